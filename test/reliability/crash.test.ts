/**
 * Crash safety of one real `riff serve` (the built CLI), on SQLite and on PostgreSQL: 1,000
 * messages go out over REST and over socket `send` frames, the process is killed with
 * `kill -9` while they are in flight, and a new process on the same data must hold every
 * message a client was told about exactly once, dedupe every retry by its nonce, and keep each
 * channel's log gap-free. The SQLite file must pass `PRAGMA integrity_check` as the kill left it.
 */
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { MessageView } from '../../src/modules/channels/schema.js';
import { randomTag } from '../helpers/failures.js';
import {
  api,
  createChannel,
  fullHistory,
  join,
  killAllChildren,
  seqsOf,
  sequenceProblems,
  signUp,
  startNode,
  tempDir,
  waitUntil,
  type HistoryItem,
  type Musician,
  type RiffNode,
} from '../helpers/nodes.js';
import { describeEachDialect } from '../helpers/riff.js';
import { createTestDatabase } from '../helpers/services.js';
import { closeAllSockets, connect, type TestSocket } from '../helpers/socket.js';

const MESSAGES = 1000;
const CHANNELS = 4;
/** Senders per transport; each sends its share of the messages one after another. */
const SENDERS = 10;
/** The kill comes once this many sends were acknowledged: mid-way, with sends of both kinds in flight. */
const KILL_AFTER_ACKS = 400;

const drops: Array<() => Promise<void>> = [];

afterEach(async () => {
  await closeAllSockets();
  await killAllChildren();
});

afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
});

interface Planned {
  nonce: string;
  body: string;
  channelId: string;
  transport: 'rest' | 'ws';
}

/** One sender's messages over REST, one at a time; stops once the node does not answer. */
async function sendOverRest(node: RiffNode, sender: Musician, messages: readonly Planned[], sent: Set<string>, onAnswer: (message: Planned, status: number, body: MessageView) => void): Promise<void> {
  for (const message of messages) {
    sent.add(message.nonce);
    const answer = await api<MessageView>('POST', `${node.url}/v1/channels/${message.channelId}`, { token: sender.token, body: { body: message.body, nonce: message.nonce } }).catch(() => undefined);
    if (answer === undefined) return;
    onAnswer(message, answer.status, answer.body);
  }
}

/** One sender's messages as `send` frames on its socket, one at a time; stops when the socket closes. */
async function sendOverSocket(socket: TestSocket, messages: readonly Planned[], sent: Set<string>, onAnswer: (message: Planned, frame: TestSocket['frames'][number]) => void): Promise<void> {
  for (const message of messages) {
    if (!socket.isOpen) return;
    sent.add(message.nonce);
    socket.send({ type: 'send', channel_id: message.channelId, body: message.body, nonce: message.nonce });
    const answer = await socket.next((f) => (f.type === 'ack' || f.type === 'error') && f.nonce === message.nonce, 10_000).catch(() => undefined);
    if (answer === undefined) return;
    onAnswer(message, answer);
  }
}

/** How many times each nonce is in these histories. */
function nonceCounts(histories: readonly HistoryItem[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of histories.flat()) if (item.nonce) counts.set(item.nonce, (counts.get(item.nonce) ?? 0) + 1);
  return counts;
}

describeEachDialect('kill -9 of riff serve while 1,000 messages are sent over REST and WebSocket', (dialect) => {
  it('every acknowledged message is there exactly once after a restart, retries with the same nonce create nothing new, each channel’s seqs are 1..last_seq, and a SQLite file passes integrity_check as the kill left it', async () => {
    let storage: Record<string, string>;
    if (dialect === 'sqlite') {
      storage = { DATA_DIR: tempDir('riff-crash-') };
    } else {
      const database = await createTestDatabase();
      drops.push(database.drop);
      storage = { DATABASE_URL: database.url };
    }
    const env = { ...storage, RATE_LIMITS: 'off' };
    const node = await startNode(`riff serve (${dialect})`, env);

    const owner = await signUp(node);
    const tag = randomTag();
    const channelIds: string[] = [];
    for (let c = 0; c < CHANNELS; c++) channelIds.push(await createChannel(node, owner, `crash ${tag} ${c}`));
    const restSenders = await Promise.all(Array.from({ length: SENDERS }, () => signUp(node)));
    const wsSenders = await Promise.all(Array.from({ length: SENDERS }, () => signUp(node)));
    const senders = [...restSenders, ...wsSenders];
    for (const who of senders) for (const channelId of channelIds) await join(node, who, channelId);

    // Message i goes to channel i % 4, over REST when i is even, from sender (i / 2) % 10 of that transport.
    const planned: Planned[] = Array.from({ length: MESSAGES }, (_, i) => ({
      nonce: `crash-${tag}-${i}`,
      body: `crash ${tag} message ${i}`,
      channelId: channelIds[i % CHANNELS]!,
      transport: i % 2 === 0 ? 'rest' : 'ws',
    }));
    const share = (transport: Planned['transport'], s: number) => planned.filter((m, i) => m.transport === transport && Math.floor(i / 2) % SENDERS === s);

    const sent = new Set<string>();
    const acked = new Map<string, string>(); // nonce → message id
    const wrong: string[] = [];
    const acknowledge = (message: Planned, id: string) => {
      if (acked.has(message.nonce)) wrong.push(`${message.nonce} acknowledged twice`);
      acked.set(message.nonce, id);
    };
    const sockets = await Promise.all(wsSenders.map((sender) => connect(node.url, { token: sender.token, timeoutMs: 10_000 })));
    const sending = Promise.all([
      ...restSenders.map((sender, s) =>
        sendOverRest(node, sender, share('rest', s), sent, (message, status, body) => {
          if (status === 201) acknowledge(message, body.id);
          else wrong.push(`REST ${message.nonce} → ${status} ${JSON.stringify(body)}`);
        }),
      ),
      ...sockets.map((socket, s) =>
        sendOverSocket(socket, share('ws', s), sent, (message, frame) => {
          if (frame.type === 'ack') acknowledge(message, frame.data.id);
          else wrong.push(`WS ${message.nonce} → ${JSON.stringify(frame)}`);
        }),
      ),
    ]);
    await waitUntil(() => acked.size >= KILL_AFTER_ACKS, 60_000, () => `${KILL_AFTER_ACKS} acknowledged sends (${acked.size} so far; ${wrong.length} refused: ${wrong.slice(0, 3).join('; ')})`);
    const killed = await node.child.kill('SIGKILL');
    expect(killed?.signal).toBe('SIGKILL');
    await sending;
    expect(wrong).toEqual([]);
    const ackedByTransport = (transport: Planned['transport']) => planned.filter((m) => m.transport === transport && acked.has(m.nonce)).length;
    expect(acked.size, 'the kill came before the last send').toBeLessThan(MESSAGES);

    let integrity = 'not checked (PostgreSQL)';
    if (dialect === 'sqlite') {
      // As the kill left it: the WAL and its index are still beside the file.
      const file = new SQLite(path.join(storage.DATA_DIR!, 'riff.db'), { readonly: true, fileMustExist: true });
      try {
        integrity = (file.pragma('integrity_check', { simple: true }) as string);
      } finally {
        file.close();
      }
      expect(integrity).toBe('ok');
    }

    const restarted = await startNode(`riff serve (${dialect}, restarted)`, env);
    const histories = () => Promise.all(channelIds.map((channelId) => fullHistory(restarted, owner, channelId)));
    const afterCrash = await histories();
    const storedAfterCrash = new Map(afterCrash.flat().flatMap((item) => (item.nonce ? [[item.nonce, item.id] as const] : [])));
    const countsAfterCrash = nonceCounts(afterCrash);
    const lost = [...acked.keys()].filter((nonce) => !countsAfterCrash.has(nonce));
    const duplicated = [...countsAfterCrash].filter(([, count]) => count > 1).map(([nonce]) => nonce);
    const changedIds = [...acked].filter(([nonce, id]) => storedAfterCrash.has(nonce) && storedAfterCrash.get(nonce) !== id).map(([nonce]) => nonce);
    const unacknowledgedButStored = [...storedAfterCrash.keys()].filter((nonce) => !acked.has(nonce)).length;
    const lastSeqOf = async () => {
      const mine = await api<Array<{ id: string; last_seq: number }>>('GET', `${restarted.url}/v1/channels`, { token: owner.token });
      expect(mine.status).toBe(200);
      return new Map(channelIds.map((id) => [id, mine.body.find((c) => c.id === id)!.last_seq]));
    };
    const headsAfterCrash = await lastSeqOf();

    // Every message again with its nonce, acknowledged or not, over the transport it first went by.
    const retryWrong: string[] = [];
    let retriedStored = 0;
    let retriedNew = 0;
    const checkRetry = (message: Planned, created: boolean, id: string) => {
      const stored = storedAfterCrash.get(message.nonce);
      if (stored !== undefined) {
        retriedStored++;
        if (created || id !== stored) retryWrong.push(`${message.nonce} was stored as ${stored}, the retry answered ${created ? 'created ' : ''}${id}`);
      } else {
        retriedNew++;
        if (!created) retryWrong.push(`${message.nonce} was not stored, yet the retry answered 200`);
      }
    };
    const resent = new Set<string>();
    const retrySockets = await Promise.all(wsSenders.map((sender) => connect(restarted.url, { token: sender.token, timeoutMs: 10_000 })));
    await Promise.all([
      ...restSenders.map((sender, s) =>
        sendOverRest(restarted, sender, share('rest', s), resent, (message, status, body) => {
          if (status === 200 || status === 201) checkRetry(message, status === 201, body.id);
          else retryWrong.push(`REST retry ${message.nonce} → ${status} ${JSON.stringify(body)}`);
        }),
      ),
      ...retrySockets.map((socket, s) =>
        sendOverSocket(socket, share('ws', s), resent, (message, frame) => {
          // An ack does not say whether it created: a new message is one past the head the crash left.
          if (frame.type === 'ack') checkRetry(message, frame.data.seq > headsAfterCrash.get(message.channelId)!, frame.data.id);
          else retryWrong.push(`WS retry ${message.nonce} → ${JSON.stringify(frame)}`);
        }),
      ),
    ]);
    expect(retryWrong).toEqual([]);
    expect(resent.size).toBe(MESSAGES);
    expect(retriedStored + retriedNew).toBe(MESSAGES);

    const final = await histories();
    const finalCounts = nonceCounts(final);
    const missing = planned.filter((m) => finalCounts.get(m.nonce) !== 1).map((m) => `${m.nonce} ×${finalCounts.get(m.nonce) ?? 0}`);
    const ours = final.flat().filter((item) => item.nonce?.startsWith(`crash-${tag}-`)).length;

    // The log of each channel, replayed from its start to a reader, and its history: 1..last_seq, no gaps.
    const heads = await lastSeqOf();
    const lastSeq = channelIds.map((id) => heads.get(id)!);
    const reader = await connect(restarted.url, { token: owner.token, resume: Object.fromEntries(channelIds.map((id) => [id, 0])), timeoutMs: 10_000 });
    await waitUntil(
      () => channelIds.every((id, c) => Math.max(0, ...seqsOf(reader.frames, id)) >= lastSeq[c]!),
      20_000,
      () => `the replay to reach ${lastSeq.join(', ')} (at ${channelIds.map((id) => Math.max(0, ...seqsOf(reader.frames, id))).join(', ')})`,
    );
    const logProblems = channelIds.flatMap((id, c) => sequenceProblems(seqsOf(reader.frames, id), 1, lastSeq[c]!).map((p) => `channel ${c}: ${p}`));
    const historyProblems = channelIds.flatMap((id, c) => {
      // No edit, reaction or delete happened: every log row is a history item.
      const seqs = final[c]!.map((item) => item.seq);
      return sequenceProblems(seqs, 1, lastSeq[c]!).map((p) => `channel ${c} history: ${p}`);
    });

    console.log(
      `[crash ${dialect}] sent ${sent.size} before kill -9, ` +
        `acknowledged ${acked.size} (REST ${ackedByTransport('rest')}, WS ${ackedByTransport('ws')}), stored but unacknowledged ${unacknowledgedButStored}, ` +
        `lost=${lost.length}, duplicates=${duplicated.length}; retried ${MESSAGES} (${retriedStored} answered as already stored, ${retriedNew} created), ` +
        `final history ${ours} messages, each nonce once: ${missing.length === 0}; last_seq ${lastSeq.join('/')} gap-free: ${logProblems.length + historyProblems.length === 0}; integrity_check ${integrity}`,
    );

    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(changedIds).toEqual([]);
    expect(missing).toEqual([]);
    expect(ours).toBe(MESSAGES);
    expect(logProblems).toEqual([]);
    expect(historyProblems).toEqual([]);
  }, 180_000);
});
