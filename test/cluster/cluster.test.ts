/**
 * Riff scaled out: several real `riff serve` processes (the built CLI) on one PostgreSQL
 * database and one Redis, talked to only over HTTP and WebSocket. The database is the truth;
 * the bus carries committed events between nodes; sessions, presence and rate limits are
 * shared; a node killed with `kill -9` or a Redis restart loses nothing a client was told about.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CuttableLink,
  RedisServer,
  api,
  busPrefix,
  createChannel,
  deleteRedisKeys,
  fullHistory,
  join,
  killAllChildren,
  killChildren,
  seqsOf,
  sequenceProblems,
  signUp,
  sleep,
  startCluster,
  waitUntil,
  type Child,
  type Health,
  type RiffNode,
} from '../helpers/nodes.js';
import { createTestDatabase, postgresAvailable, redisAvailable, TEST_REDIS_URL } from '../helpers/services.js';
import { closeAllSockets, connect, type TestSocket } from '../helpers/socket.js';

const [postgresUp, redisUp] = await Promise.all([postgresAvailable(), redisAvailable()]);
const servicesUp = postgresUp && redisUp;
if (!servicesUp) console.warn('\n!!! test/cluster needs PostgreSQL and Redis: SKIPPING every multi-node test !!!\n');
const suite = servicesUp ? describe : describe.skip;

let database: { url: string; drop: () => Promise<void> } | undefined;
/** Processes one test started for itself: killed after that test, whatever happened. */
const perTest: Child[] = [];
/** Each test run its own prefix: keys and channels of other runs on the shared Redis stay apart. */
const prefix = busPrefix();

const clusterEnv = (extra: Record<string, string> = {}) => ({ DATABASE_URL: database!.url, BUS_URL: TEST_REDIS_URL, BUS_PREFIX: prefix, ...extra });

async function startOwnCluster(count: number, env: Record<string, string>, name: string): Promise<RiffNode[]> {
  const nodes = await startCluster(count, env, name);
  perTest.push(...nodes.map((node) => node.child));
  return nodes;
}

if (servicesUp) {
  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await closeAllSockets();
    await killChildren(perTest.splice(0));
  });

  afterAll(async () => {
    await closeAllSockets();
    await killAllChildren();
    await database?.drop();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
  });
}

/** Waits until every socket holds `count` frames matching `match`; fails naming who lacks what. */
async function allReceive(sockets: Array<[string, TestSocket]>, count: number, match: (frame: TestSocket['frames'][number]) => boolean, ms: number): Promise<void> {
  const have = () => sockets.map(([name, socket]) => `${name}: ${socket.frames.filter(match).length}/${count}`).join(', ');
  await waitUntil(() => sockets.every(([, socket]) => socket.frames.filter(match).length >= count), ms, () => `every socket to receive ${count} frames (${have()})`);
}

suite('a cluster of three nodes on one PostgreSQL and one Redis', () => {
  let nodes: RiffNode[];

  beforeAll(async () => {
    // Default rate limits: nothing here floods, and the limits are what the last test checks.
    nodes = await startCluster(3, clusterEnv());
    for (const node of nodes) expect(await node.health()).toEqual({ status: 'ok', database: 'postgres', bus: 'redis', bus_up: true });
  });

  afterAll(async () => {
    await closeAllSockets();
    await killChildren(nodes?.map((node) => node.child) ?? []);
  });

  it('a message posted over REST on node 1 reaches the sockets on nodes 2 and 3; 100 posts round-robin over the nodes arrive on every node in seq order, no gaps, no duplicates', async () => {
    const users = await Promise.all(nodes.map((node) => signUp(node)));
    const channelId = await createChannel(nodes[0]!, users[0]!, `round robin ${prefix}`);
    await join(nodes[1]!, users[1]!, channelId);
    await join(nodes[2]!, users[2]!, channelId);

    const sockets = await Promise.all(nodes.map((node, i) => connect(node.url, { token: users[i]!.token })));
    const head = sockets.map((socket) => socket.received('ready')[0]!.data.channels.find((c) => c.id === channelId)?.last_seq);
    expect(head[0]).toBeGreaterThan(0);
    expect(head).toEqual([head[0], head[0], head[0]]);
    const start = head[0]!;

    const first = await api('POST', `${nodes[0]!.url}/v1/channels/${channelId}`, { token: users[0]!.token, body: { body: 'hello from node 1' } });
    expect(first.status).toBe(201);
    for (const socket of sockets.slice(1)) {
      const frame = await socket.next('message.created', (f) => f.channel_id === channelId, 5000);
      expect(frame.data).toMatchObject({ body: 'hello from node 1', seq: start + 1, creator: { id: users[0]!.id } });
    }

    // All at once, so commits and publishes interleave across the nodes and may reach the bus out of order.
    const posts = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const n = i % 3;
        return api('POST', `${nodes[n]!.url}/v1/channels/${channelId}`, { token: users[n]!.token, body: { body: `round robin ${i}` } });
      }),
    );
    expect(posts.map((p) => p.status)).toEqual(Array(100).fill(201));
    const last = start + 101;
    expect(Math.max(...posts.map((p) => (p.body as { seq: number }).seq))).toBe(last);

    const named = sockets.map((socket, i) => [`node ${i + 1}`, socket] as [string, TestSocket]);
    await allReceive(named, 101, (f) => f.type === 'message.created' && f.channel_id === channelId, 15_000);
    await sleep(200); // anything extra (a duplicate) would arrive now
    for (const [name, socket] of named) {
      const seqs = seqsOf(socket.frames, channelId);
      expect(sequenceProblems(seqs, start + 1, last), `${name} received seqs ${seqs.join(',')}`).toEqual([]);
      const bodies = socket.received('message.created', (f) => f.channel_id === channelId).map((f) => f.data.body);
      expect(new Set(bodies).size).toBe(101);
    }
  });

  it('logging out on node 1 refuses the token on node 3 at once and closes that session’s socket on node 2 (4403); another session of the user lives on', async () => {
    const user = await signUp(nodes[0]!);
    const other = await api<{ token: string }>('POST', `${nodes[1]!.url}/v1/sessions`, { body: { username: user.username, password: user.password } });
    expect(other.status).toBe(201);
    const socket = await connect(nodes[1]!.url, { token: user.token });
    const otherSocket = await connect(nodes[2]!.url, { token: other.body.token });
    expect((await api('GET', `${nodes[2]!.url}/v1/users/me`, { token: user.token })).status).toBe(200);

    expect((await api('DELETE', `${nodes[0]!.url}/v1/sessions/mine`, { token: user.token })).status).toBe(200);
    const refused = await api<{ error: { code: string } }>('GET', `${nodes[2]!.url}/v1/users/me`, { token: user.token });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBeDefined();
    expect((await socket.waitClosed(5000)).code).toBe(4403);

    // Only that session ended.
    expect((await api('GET', `${nodes[0]!.url}/v1/users/me`, { token: other.body.token })).status).toBe(200);
    await otherSocket.roundTrip();
    expect(otherSocket.isOpen).toBe(true);
  });

  it('presence is global: a socket on node 3 shows B online to A’s socket on node 1 and in the members list asked on node 2, and offline again after it closes', async () => {
    const a = await signUp(nodes[0]!);
    const b = await signUp(nodes[1]!);
    const online = async () => {
      const members = await api<Array<{ id: string; online?: boolean }>>('GET', `${nodes[1]!.url}/v1/channels/general/members`, { token: a.token });
      expect(members.status).toBe(200);
      return members.body.find((m) => m.id === b.id)?.online;
    };
    const aSocket = await connect(nodes[0]!.url, { token: a.token });
    expect(await online()).toBe(false);

    const bSocket = await connect(nodes[2]!.url, { token: b.token });
    const cameOnline = await aSocket.next('presence', (f) => f.data.user_id === b.id, 5000);
    expect(cameOnline.data).toEqual({ user_id: b.id, online: true });
    expect(await online()).toBe(true);

    await bSocket.close();
    const wentOffline = await aSocket.next('presence', (f) => f.data.user_id === b.id, 5000);
    expect(wentOffline.data).toEqual({ user_id: b.id, online: false });
    await waitUntil(async () => (await online()) === false, 5000, 'B to be reported offline on node 2');
  });

  it('rate limits are shared: 10 failed logins spread over nodes 1 and 2 lock the account on node 3 (429 with Retry-After)', async () => {
    const user = await signUp(nodes[0]!);
    for (let i = 0; i < 10; i++) {
      const wrong = await api('POST', `${nodes[i % 2]!.url}/v1/sessions`, { body: { username: user.username, password: `wrong password ${i}` } });
      expect(wrong.status, `failed login ${i + 1}`).toBe(401);
    }
    const locked = await api<{ error: { code: string } }>('POST', `${nodes[2]!.url}/v1/sessions`, { body: { username: user.username, password: user.password } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The lock is the account's, on every node; the session it already has still works.
    expect((await api('POST', `${nodes[0]!.url}/v1/sessions`, { body: { email: user.email, password: user.password } })).status).toBe(429);
    expect((await api('GET', `${nodes[1]!.url}/v1/users/me`, { token: user.token })).status).toBe(200);
  });
});

suite('kill -9 of a node mid-traffic', () => {
  it('loses and duplicates nothing: every acknowledged send is in history exactly once, and readers resuming on a survivor end with the whole log 1..last_seq', async () => {
    const nodes = await startOwnCluster(3, clusterEnv({ RATE_LIMITS: 'off' }), 'kill-9 node');
    const [doomed, second, third] = nodes as [RiffNode, RiffNode, RiffNode];
    const survivors = [second, third];
    const owner = await signUp(second);
    const channelId = await createChannel(second, owner, `kill nine ${prefix}`);

    const senders = await Promise.all(Array.from({ length: 50 }, (_, i) => signUp(survivors[i % 2]!)));
    const readers = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(survivors[i % 2]!)));
    await Promise.all([...senders, ...readers].map((who, i) => join(survivors[i % 2]!, who, channelId)));

    // Readers follow the channel from its first row: 3 on node 2, 2 on node 3.
    const readerSockets = await Promise.all(readers.map((reader, i) => connect(survivors[i % 2]!.url, { token: reader.token, resume: { [channelId]: 0 } })));
    const senderSockets = await Promise.all(senders.map((sender) => connect(doomed.url, { token: sender.token, timeoutMs: 10_000 })));

    let sent = 0;
    const acked = new Set<string>();
    const refused: string[] = [];
    const send = async (socket: TestSocket, i: number) => {
      for (let j = 0; socket.isOpen; j++) {
        const nonce = `k9-${i}-${j}-${Math.random().toString(36).slice(2, 6)}`;
        socket.send({ type: 'send', channel_id: channelId, body: `kill nine ${nonce}`, nonce });
        sent++;
        const answer = await socket.next((f) => (f.type === 'ack' || f.type === 'error') && f.nonce === nonce, 5000).catch(() => undefined);
        if (answer === undefined) return; // the node died with this send in flight: it may or may not have committed
        if (answer.type === 'ack') acked.add(nonce);
        else refused.push(`${nonce}: ${JSON.stringify(answer)}`);
      }
    };
    const sending = Promise.all(senderSockets.map((socket, i) => send(socket, i)));
    await sleep(1000);
    expect(acked.size, 'acknowledged sends before the kill').toBeGreaterThan(0);
    await doomed.child.kill('SIGKILL');
    expect(doomed.child.exit?.signal).toBe('SIGKILL');
    await sending;
    expect(refused).toEqual([]);

    // Commits the dead node's last transactions made are settled by now.
    await sleep(500);
    const history = await fullHistory(second, owner, channelId);
    const lastSeq = history.at(-1)!.seq;
    expect(history.map((item) => item.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const byNonce = new Map<string, number>();
    for (const item of history) if (item.nonce) byNonce.set(item.nonce, (byNonce.get(item.nonce) ?? 0) + 1);
    const lostAcked = [...acked].filter((nonce) => !byNonce.has(nonce));
    const duplicatedInHistory = [...byNonce].filter(([, count]) => count > 1).map(([nonce]) => nonce);

    // Each reader reconnects to a survivor (the other one) and resumes after the last seq it saw.
    const firstSeqs = readerSockets.map((socket) => seqsOf(socket.frames, channelId));
    await Promise.all(readerSockets.map((socket) => socket.close()));
    const resumed = await Promise.all(
      readers.map((reader, i) => connect(survivors[(i + 1) % 2]!.url, { token: reader.token, resume: { [channelId]: Math.max(0, ...firstSeqs[i]!) } })),
    );
    const allSeqs = (i: number) => [...firstSeqs[i]!, ...seqsOf(resumed[i]!.frames, channelId)];
    await waitUntil(
      () => readers.every((_, i) => Math.max(0, ...allSeqs(i)) >= lastSeq),
      10_000,
      () => `readers to reach seq ${lastSeq} (at ${readers.map((_, i) => Math.max(0, ...allSeqs(i))).join(', ')})`,
    );
    await sleep(200); // anything extra (a duplicate) would arrive now

    const delivered = readers.map((_, i) => allSeqs(i).length);
    const lost = readers.map((_, i) => lastSeq - new Set(allSeqs(i).filter((seq) => seq >= 1 && seq <= lastSeq)).size);
    const duplicated = readers.map((_, i) => allSeqs(i).length - new Set(allSeqs(i)).size);
    const inHistory = history.filter((item) => item.nonce?.startsWith('k9-')).length;
    console.log(
      `[kill -9] sent ${sent}, acknowledged ${acked.size}, in history ${inHistory} (last_seq ${lastSeq}); ` +
        `delivered to each reader ${delivered.join(' / ')} (${firstSeqs.map((s) => s.length).join(' / ')} before the kill and reconnect); ` +
        `lost ${lostAcked.length} acknowledged, ${lost.reduce((a, b) => a + b, 0)} log rows; duplicated ${duplicatedInHistory.length} in history, ${duplicated.reduce((a, b) => a + b, 0)} to readers`,
    );

    expect(lostAcked).toEqual([]);
    expect(duplicatedInHistory).toEqual([]);
    expect(inHistory).toBeGreaterThanOrEqual(acked.size);
    expect(inHistory).toBeLessThanOrEqual(sent);
    for (const [i] of readers.entries()) {
      expect(sequenceProblems(allSeqs(i), 1, lastSeq), `reader ${i + 1}`).toEqual([]);
    }
    expect(lost).toEqual([0, 0, 0, 0, 0]);
    expect(duplicated).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);
});

suite('a Redis restart mid-traffic', () => {
  let redis: RedisServer | undefined;
  let link: CuttableLink | undefined;
  afterEach(async () => {
    await link?.close();
    await redis?.kill();
    redis = link = undefined;
  });

  it('REST keeps working while the bus is down (/healthz degraded), and an open socket then has every message of before, during and after, in order, exactly once', async () => {
    redis = await RedisServer.start();
    perTest.push(redis.child!);
    const [poster, listener] = (await startOwnCluster(2, { DATABASE_URL: database!.url, BUS_URL: redis.url, BUS_PREFIX: prefix, RATE_LIMITS: 'off' }, 'redis-restart node')) as [RiffNode, RiffNode];
    const author = await signUp(poster);
    const reader = await signUp(listener);
    const channelId = await createChannel(poster, author, `redis restart ${prefix}`);
    await join(listener, reader, channelId);
    const socket = await connect(listener.url, { token: reader.token });
    const start = socket.received('ready')[0]!.data.channels.find((c) => c.id === channelId)!.last_seq;

    const posted: Array<{ body: string; seq: number; phase: string }> = [];
    const failures: string[] = [];
    let phase = 'before';
    let paused = false;
    let idle = false;
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; ) {
        idle = paused;
        if (paused) {
          await sleep(5);
          continue;
        }
        const body = `redis restart ${i++}`;
        const answer = await api<{ seq: number }>('POST', `${poster.url}/v1/channels/${channelId}`, { token: author.token, body: { body } }).catch((error: Error) => ({ status: 0, body: { seq: 0, error: error.message } }));
        if (answer.status === 201) posted.push({ body, seq: answer.body.seq, phase });
        else failures.push(`${phase}: ${body} → ${answer.status} ${JSON.stringify(answer.body)}`);
        await sleep(15);
      }
    })();
    const healthOf = async (): Promise<Array<Health | undefined>> => Promise.all([poster.health(), listener.health()]);
    const count = (which: string) => posted.filter((p) => p.phase === which).length;
    const messages = () => socket.received('message.created', (f) => f.channel_id === channelId);

    try {
      await waitUntil(() => count('before') >= 20, 10_000, 'traffic before the outage');
      await redis.kill();
      phase = 'during';
      await waitUntil(
        async () => (await healthOf()).every((h) => h?.status === 'degraded' && h.bus_up === false),
        5000,
        'both nodes to report the bus down',
      );
      expect(await listener.health()).toEqual({ status: 'degraded', database: 'postgres', bus: 'redis', bus_up: false });
      await waitUntil(() => count('during') >= 20, 10_000, 'traffic during the outage');
      // Traffic goes on while Redis comes back and the nodes reconnect, each connection in its own time.
      await redis.restart();
      perTest.push(redis.child!);
      await waitUntil(async () => (await listener.health())?.status === 'ok', 15_000, 'node 2 to report the bus up again');
      paused = true;
      await waitUntil(() => idle, 10_000, 'the traffic to pause');
      // Node 2 is back; if node 1 is not yet, what it commits now is published into the void, after node 2 re-read the log.
      if ((await poster.health())?.status !== 'ok') {
        const answer = await api<{ seq: number }>('POST', `${poster.url}/v1/channels/${channelId}`, { token: author.token, body: { body: 'while node 1 reconnects' } });
        expect(answer.status).toBe(201);
        posted.push({ body: 'while node 1 reconnects', seq: answer.body.seq, phase });
      }
      await waitUntil(async () => (await healthOf()).every((h) => h?.status === 'ok' && h.bus_up), 15_000, 'both nodes to report the bus up again');

      // With no newer message to reveal a gap, only the re-read after recovery can deliver what the outage dropped.
      const sofar = posted.length;
      await waitUntil(() => messages().length >= sofar, 5000, () => `the socket on node 2 to catch up after the outage without newer traffic: ${messages().length} of ${sofar} messages (last seq seen ${Math.max(0, ...seqsOf(socket.frames, channelId))}, last posted ${posted.at(-1)?.seq})`);
      phase = 'after';
      paused = false;
      await waitUntil(() => count('after') >= 20, 10_000, 'traffic after the outage');
    } finally {
      stop = true;
      await traffic;
    }
    expect(failures).toEqual([]);
    const last = posted.at(-1)!.seq;
    expect(posted.map((p) => p.seq)).toEqual(Array.from({ length: posted.length }, (_, i) => start + 1 + i));

    await waitUntil(() => messages().length >= posted.length, 10_000, () => `the socket on node 2 to have all ${posted.length} messages (has ${messages().length})`);
    await sleep(200); // anything extra (a duplicate) would arrive now
    expect(socket.isOpen).toBe(true);
    expect(sequenceProblems(seqsOf(socket.frames, channelId), start + 1, last)).toEqual([]);
    expect(messages().map((f) => f.data.body)).toEqual(posted.map((p) => p.body));
    console.log(`[redis restart] posted ${count('before')} before, ${count('during')} during, ${count('after')} after the outage; the open socket on node 2 received ${messages().length}, in order, once each`);
  }, 60_000);

  it('a node cut off from Redis alone: what it commits meanwhile reaches the other node’s sockets once its link is back, without newer traffic', async () => {
    redis = await RedisServer.start();
    perTest.push(redis.child!);
    link = await CuttableLink.to({ port: redis.port });
    const env = { DATABASE_URL: database!.url, BUS_PREFIX: prefix, RATE_LIMITS: 'off' };
    const [poster, listener] = (await Promise.all([
      startOwnCluster(1, { ...env, BUS_URL: link.url }, 'partitioned node'),
      startOwnCluster(1, { ...env, BUS_URL: redis.url }, 'connected node'),
    ])).flat() as [RiffNode, RiffNode];
    const author = await signUp(poster);
    const reader = await signUp(listener);
    const channelId = await createChannel(poster, author, `partition ${prefix}`);
    await join(listener, reader, channelId);
    const socket = await connect(listener.url, { token: reader.token });
    const start = socket.received('ready')[0]!.data.channels.find((c) => c.id === channelId)!.last_seq;
    const bodies: string[] = [];
    const post = async (body: string) => {
      const answer = await api('POST', `${poster.url}/v1/channels/${channelId}`, { token: author.token, body: { body } });
      expect(answer.status, body).toBe(201);
      bodies.push(body);
    };
    const messages = () => socket.received('message.created', (f) => f.channel_id === channelId).map((f) => f.data.body);

    for (let i = 0; i < 5; i++) await post(`linked ${i}`);
    await waitUntil(() => messages().length === 5, 5000, () => `the first messages through the bus (${messages().length} of 5)`);

    link.cut();
    await waitUntil(async () => (await poster.health())?.bus_up === false, 5000, 'the partitioned node to report its bus down');
    for (let i = 0; i < 10; i++) await post(`cut off ${i}`);
    expect(await listener.health()).toMatchObject({ status: 'ok', bus_up: true });

    link.restore();
    await waitUntil(async () => (await poster.health())?.status === 'ok', 15_000, 'the partitioned node to reconnect');
    await waitUntil(() => messages().length >= bodies.length, 5000, () => `the connected node's socket to get what was committed during the partition, with no newer traffic (${messages().length} of ${bodies.length})`);
    await post('after');
    await waitUntil(() => messages().length >= bodies.length, 5000, 'the last message');
    await sleep(200); // anything extra (a duplicate) would arrive now
    expect(messages()).toEqual(bodies);
    expect(sequenceProblems(seqsOf(socket.frames, channelId), start + 1, start + bodies.length)).toEqual([]);
  }, 60_000);
});
