/**
 * The real-time gateway, `GET /v1/ws`, black box: real servers, real HTTP (through the typed
 * client) and real WebSockets. One `it` per rule of API.md §"Real time" and DESIGN.md
 * §"The event log".
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView, RiffClient, UserView } from '../../src/client/index.js';
import { defaultConfig, type Config, type GatewayOptions } from '../../src/config.js';
import type { ServerFrame } from '../../src/platform/gateway/protocol.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect, DEFAULT_WAIT_MS, refusedUpgrade, type ConnectOptions, type TestSocket } from '../helpers/socket.js';

const GENERAL = 'general';

interface Musician {
  client: RiffClient;
  token: string;
  id: string;
  username: string;
}

async function musician(server: TestRiff): Promise<Musician> {
  const client = server.client();
  const signed = await client.signUp(newMusician());
  return { client, token: signed.token, id: signed.id, username: signed.username ?? '' };
}

/** Posts over REST and returns the message exactly as the API answered it. */
async function post(author: Musician, channelId: string, body: string, nonce?: string): Promise<MessageView> {
  const { created: _created, ...message } = await author.client.post(channelId, nonce === undefined ? { body } : { body, nonce });
  return message;
}

const gateway = (overrides: Partial<GatewayOptions>): Partial<Config> => ({ gateway: { ...defaultConfig.gateway, ...overrides } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** The seqs of the log rows a socket received on one channel, in arrival order. */
const seqsOn = (socket: TestSocket, channelId: string): number[] =>
  socket.frames.flatMap((f) => ('seq' in f && f.channel_id === channelId ? [f.seq] : []));

/** A predicate: the log row `seq` of `channelId`. */
const row = (channelId: string, seq: number) => (f: ServerFrame) => 'seq' in f && f.channel_id === channelId && f.seq === seq;

/** The head of `channelId` the socket's `ready` announced. */
function readyHead(socket: TestSocket, channelId: string): number {
  const ready = socket.received('ready')[0];
  const channel = ready?.data.channels.find((c) => c.id === channelId);
  if (!channel) throw new Error(`ready did not list ${channelId}: ${JSON.stringify(ready)}`);
  return channel.last_seq;
}

/** The unlabelled `riff_*` samples of `/metrics`. */
async function metrics(server: TestRiff): Promise<Record<string, number>> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  const values: Record<string, number> = {};
  for (const line of (await response.text()).split('\n')) {
    const match = line.match(/^(riff_[a-z_]+) (\S+)$/);
    if (match) values[match[1]!] = Number(match[2]);
  }
  return values;
}

/** Polls `probe` until `accept` holds (bounded), returning the accepted value. */
async function eventually<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

const byId = <T extends { id: string }>(list: T[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));

const rawSockets = new Set<net.Socket>();

/** Closes the sockets and the raw connections a test left open (also when it failed). */
async function cleanUp(): Promise<void> {
  for (const socket of rawSockets) socket.destroy();
  rawSockets.clear();
  await closeAllSockets();
}

/** Writes an upgrade request by hand on a raw TCP connection (for clients that misbehave below WebSocket). */
async function rawUpgrade(server: TestRiff, headers: Record<string, string> = {}): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  rawSockets.add(socket);
  socket.on('error', () => {});
  socket.on('close', () => rawSockets.delete(socket));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines = [
    'GET /v1/ws HTTP/1.1',
    `Host: 127.0.0.1`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return socket;
}

/** Resolves when the server has answered on a raw connection (bounded). */
function answered(socket: net.Socket, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer on the raw connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describeEachDialect('gateway', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { config: gateway({ authTimeoutMs: 300, typingIntervalMs: 300 }) });
  });
  afterEach(cleanUp);
  afterAll(async () => {
    await cleanUp();
    await server?.close();
  });

  const open = (who: Musician, options: ConnectOptions = {}) => connect(server.url, { token: who.token, ...options });

  /** A and B, both members of a fresh channel created by A. */
  async function duo(options: { private?: boolean } = {}) {
    const a = await musician(server);
    const b = await musician(server);
    const channel = await a.client.createChannel({ name: 'duo', private: options.private ?? false, members: [b.id] });
    return { a, b, channel };
  }

  describe('auth', () => {
    it('a token in the Authorization header gets ready with the user and their channels [{id, last_seq}], General included', async () => {
      const a = await musician(server);
      const band = await a.client.createChannel({ name: 'band', private: true });
      await post(a, band.id, 'first');
      const socket = await open(a, { auth: 'header' });
      const [ready] = socket.received('ready');
      expect(ready!.data.user).toEqual(await a.client.me());
      expect(ready!.data.channels.map((c) => c.id).sort()).toEqual([band.id, GENERAL].sort());
      expect(ready!.data.channels.find((c) => c.id === band.id)).toEqual({ id: band.id, last_seq: 2 });
      expect(byId(ready!.data.channels)).toEqual(byId((await a.client.channels()).map((c) => ({ id: c.id, last_seq: c.last_seq }))));
      expect(socket.received('ready')).toHaveLength(1);
    });

    it('?auth=Bearer%20<token> (the Musician Meetup client) gets ready the same way', async () => {
      const a = await musician(server);
      const socket = await open(a, { auth: 'query' });
      expect(socket.ws.url).toContain(`?auth=Bearer%20${a.token}`);
      const [ready] = socket.received('ready');
      expect(ready!.data.user).toEqual(await a.client.me());
      expect(ready!.data.channels).toEqual([{ id: GENERAL, last_seq: (await a.client.channels())[0]!.last_seq }]);
    });

    it('a first {"type":"auth","token"} frame gets ready the same way', async () => {
      const a = await musician(server);
      const socket = await open(a, { auth: 'frame' });
      expect(socket.ws.url).not.toContain(a.token);
      const [ready] = socket.received('ready');
      expect(ready!.data.user).toEqual(await a.client.me());
      expect(ready!.data.channels).toEqual([{ id: GENERAL, last_seq: (await a.client.channels())[0]!.last_seq }]);
    });

    it('refuses a bad token on upgrade with HTTP 401 and the JSON error envelope (header or ?auth=)', async () => {
      for (const auth of ['header', 'query'] as const) {
        const refusal = await refusedUpgrade(server.url, { token: 'not-a-session', auth });
        expect(refusal.status).toBe(401);
        expect(JSON.parse(refusal.body)).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: [] } });
      }
    });

    it('closes with 4401 when the auth frame carries a bad token', async () => {
      const socket = await connect(server.url, { token: 'not-a-session', auth: 'frame', untilOpen: true });
      expect((await socket.waitClosed()).code).toBe(4401);
      expect(socket.received('ready')).toEqual([]);
    });

    it('closes with 4401 when the first frame is not an auth frame', async () => {
      const socket = await connect(server.url, { untilOpen: true });
      socket.send({ type: 'ping' });
      expect((await socket.waitClosed()).code).toBe(4401);
      expect(socket.frames).toEqual([]);
    });

    it('closes with 4408 when no auth frame comes within authTimeoutMs', async () => {
      const started = Date.now();
      const socket = await connect(server.url, { untilOpen: true });
      const { code } = await socket.waitClosed(2000);
      expect(code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(socket.frames).toEqual([]);
    });

    it('logging a session out (DELETE /v1/sessions/mine) closes its sockets with 4403; the other session’s socket stays open', async () => {
      const body = newMusician();
      const phone = server.client();
      await phone.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ email: body.email, password: body.password });
      const onPhone = await connect(server.url, { token: phone.token });
      const onLaptop = await connect(server.url, { token: laptop.token });
      await phone.logOut();
      expect((await onPhone.waitClosed()).code).toBe(4403);
      await onLaptop.roundTrip();
      expect(onLaptop.isOpen).toBe(true);
    });

    it('DELETE /v1/sessions closes every socket of the user with 4403', async () => {
      const body = newMusician();
      const phone = server.client();
      await phone.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ email: body.email, password: body.password });
      const sockets = [await connect(server.url, { token: phone.token }), await connect(server.url, { token: laptop.token, auth: 'frame' })];
      expect(await laptop.logOutEverywhere()).toBe(2);
      for (const socket of sockets) expect((await socket.waitClosed()).code).toBe(4403);
    });

    it('a plain GET /v1/ws without an upgrade is 426 with the JSON error envelope', async () => {
      const response = await fetch(`${server.url}/v1/ws`);
      expect(response.status).toBe(426);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: { code: 'upgrade_required', message: expect.any(String), details: [] } });
    });
  });

  describe('protocol', () => {
    it.each([
      ['an unknown frame type', JSON.stringify({ type: 'dance' }), /Unknown frame type "dance"/],
      ['invalid JSON', '{"type": "ping"', /JSON/],
      ['a frame that is not an object', '42', /Unknown frame type/],
      ['subscribe without channel_id', JSON.stringify({ type: 'subscribe' }), /^Bad subscribe frame: channel_id /],
      ['send without a nonce', JSON.stringify({ type: 'send', channel_id: GENERAL, body: 'hi' }), /^Bad send frame: nonce /],
    ])('answers %s with an error frame and stays usable', async (_name, text, message) => {
      const a = await musician(server);
      const socket = await open(a);
      socket.sendRaw(text);
      const error = await socket.next('error');
      expect(error).toEqual({ type: 'error', code: 'invalid_frame', message: expect.stringMatching(message) });
      await socket.roundTrip();
      expect(socket.isOpen).toBe(true);
    });

    it('answers a binary frame with an error frame and stays usable', async () => {
      const a = await musician(server);
      const socket = await open(a);
      socket.sendRaw(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
      expect(await socket.next('error')).toEqual({ type: 'error', code: 'invalid_frame', message: expect.any(String) });
      await socket.roundTrip();
    });

    it('answers a second auth frame on an authenticated socket with an error frame', async () => {
      const a = await musician(server);
      const socket = await open(a, { auth: 'frame' });
      socket.send({ type: 'auth', token: a.token });
      expect(await socket.next('error')).toEqual({ type: 'error', code: 'invalid_frame', message: expect.any(String) });
      await socket.roundTrip();
      expect(socket.received('ready')).toHaveLength(1);
    });

    it('answers ping with pong', async () => {
      const a = await musician(server);
      const socket = await open(a);
      socket.send({ type: 'ping' });
      expect(await socket.next('pong')).toEqual({ type: 'pong' });
    });
  });

  describe('delivery', () => {
    it('a REST post arrives at every member’s socket as message.created with its seq and the REST message as data', async () => {
      const { a, b, channel } = await duo();
      const onA = await open(a);
      const onB = await open(b);
      const message = await post(a, channel.id, '  Rehearsal at 8?  ');
      expect(message.body).toBe('Rehearsal at 8?');
      const expected = { type: 'message.created', channel_id: channel.id, seq: message.seq, data: message };
      expect(await onB.next(row(channel.id, message.seq))).toEqual(expected);
      expect(await onA.next(row(channel.id, message.seq))).toEqual(expected);
      const [inHistory] = (await b.client.history(channel.id, { after: message.seq - 1 })).items;
      expect(inHistory).toEqual(message);
    });

    it('an edit arrives as message.updated with the edited message; a delete as message.deleted {id}', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      const message = await post(a, channel.id, 'Rehearsal at 8');
      const edited = await a.client.editMessage(message.id, 'Rehearsal at 9');
      expect(await onB.next(row(channel.id, message.seq + 1))).toEqual({ type: 'message.updated', channel_id: channel.id, seq: message.seq + 1, data: edited });
      expect(edited).toMatchObject({ id: message.id, body: 'Rehearsal at 9', edited_at: expect.any(String) });
      await a.client.deleteMessage(message.id);
      expect(await onB.next(row(channel.id, message.seq + 2))).toEqual({ type: 'message.deleted', channel_id: channel.id, seq: message.seq + 2, data: { id: message.id } });
      expect(seqsOn(onB, channel.id)).toEqual([message.seq, message.seq + 1, message.seq + 2]);
    });

    it('a reaction arrives as reaction.updated with the counts and the acting user_id, without per-viewer `me`', async () => {
      const { a, b, channel } = await duo();
      const onA = await open(a);
      const message = await post(a, channel.id, 'New song idea');
      const byB = await b.client.react(message.id, '👍');
      expect(byB.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
      expect(await onA.next(row(channel.id, message.seq + 1))).toEqual({
        type: 'reaction.updated',
        channel_id: channel.id,
        seq: message.seq + 1,
        data: { message_id: message.id, reactions: [{ emoji: '👍', count: 1 }], user_id: b.id, emoji: '👍', reacted: true },
      });
      await a.client.react(message.id, '👍');
      expect(await onA.next(row(channel.id, message.seq + 2))).toEqual({
        type: 'reaction.updated',
        channel_id: channel.id,
        seq: message.seq + 2,
        data: { message_id: message.id, reactions: [{ emoji: '👍', count: 2 }], user_id: a.id, emoji: '👍', reacted: true },
      });
      await b.client.unreact(message.id, '👍');
      expect(await onA.next(row(channel.id, message.seq + 3))).toEqual({
        type: 'reaction.updated',
        channel_id: channel.id,
        seq: message.seq + 3,
        data: { message_id: message.id, reactions: [{ emoji: '👍', count: 1 }], user_id: b.id, emoji: '👍', reacted: false },
      });
    });

    it('joining and leaving arrive as member.joined / member.left with the history item as data', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const channel = await a.client.createChannel({ name: 'open jam' });
      const onA = await open(a);
      await b.client.addMember(channel.id, b.id);
      const joined = await onA.next('member.joined', (f) => f.channel_id === channel.id);
      await b.client.removeMember(channel.id, b.id);
      const left = await onA.next('member.left', (f) => f.channel_id === channel.id);
      const history = (await a.client.history(channel.id)).items;
      expect(joined).toEqual({ type: 'member.joined', channel_id: channel.id, seq: 2, data: history.find((i) => i.seq === 2) });
      expect(left).toEqual({ type: 'member.left', channel_id: channel.id, seq: 3, data: history.find((i) => i.seq === 3) });
      expect(joined.data).toMatchObject({ kind: 'announcement', creator: null, announcement: { type: 'member_joined', user_id: b.id } });
      expect(left.data).toMatchObject({ kind: 'announcement', creator: null, announcement: { type: 'member_left', user_id: b.id } });
    });

    it('seqs on one channel arrive strictly increasing, without gaps, also under concurrent posts', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      const head = readyHead(onB, channel.id);
      await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? a : b, channel.id, `take ${i}`)));
      await onB.next(row(channel.id, head + 20));
      expect(seqsOn(onB, channel.id)).toEqual(range(head + 1, head + 20));
      for (const frame of onB.received('message.created', (f) => f.channel_id === channel.id)) expect(frame.data.seq).toBe(frame.seq);
    });

    it('log rows carry a seq, frames for one user (ack, error, read, pong) do not', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      const onB2 = await open(b);
      await post(a, channel.id, 'hello');
      onB.send({ type: 'send', channel_id: channel.id, body: 'hi', nonce: 'n-1' });
      onB.send({ type: 'send', channel_id: channel.id, body: ' ', nonce: 'n-2' });
      const ack = await onB.next('ack');
      const error = await onB.next('error');
      await b.client.markRead(channel.id, ack.data.seq);
      const read = await onB2.next('read');
      for (const frame of [ack, error, read]) expect(frame).not.toHaveProperty('seq');
      for (const frame of onB.frames.filter((f) => f.type === 'message.created')) expect(frame).toHaveProperty('seq');
    });
  });

  describe('sends over the socket', () => {
    it('send {channel_id, body, nonce} is answered by ack {nonce, data: message}; the other member gets message.created', async () => {
      const { a, b, channel } = await duo();
      const onA = await open(a);
      const onB = await open(b);
      onB.send({ type: 'send', channel_id: channel.id, body: '  On my way  ', nonce: 'nonce-1' });
      const ack = await onB.next('ack');
      expect(ack).toEqual({ type: 'ack', nonce: 'nonce-1', data: expect.objectContaining({ kind: 'message', channel_id: channel.id, body: 'On my way', nonce: 'nonce-1' }) });
      expect(ack.data.creator?.id).toBe(b.id);
      const created = await onA.next('message.created', (f) => f.channel_id === channel.id);
      expect(created).toEqual({ type: 'message.created', channel_id: channel.id, seq: ack.data.seq, data: ack.data });
      expect((await a.client.history(channel.id, { after: ack.data.seq - 1 })).items).toEqual([ack.data]);
    });

    it('a resend with the same nonce is acked with the same message and creates no second message.created', async () => {
      const { a, b, channel } = await duo();
      const onA = await open(a);
      const onB = await open(b);
      onB.send({ type: 'send', channel_id: channel.id, body: 'once', nonce: 'retry-me' });
      const first = await onB.next('ack');
      onB.send({ type: 'send', channel_id: channel.id, body: 'once', nonce: 'retry-me' });
      const second = await onB.next('ack');
      expect(second).toEqual({ type: 'ack', nonce: 'retry-me', data: first.data });
      // A later send is the sentinel: when it arrived, a duplicate would have arrived before it.
      onB.send({ type: 'send', channel_id: channel.id, body: 'twice?', nonce: 'sentinel' });
      const sentinel = await onB.next('ack');
      await onA.next(row(channel.id, sentinel.data.seq));
      expect(onA.received('message.created', (f) => f.channel_id === channel.id).map((f) => f.data.id)).toEqual([first.data.id, sentinel.data.id]);
      expect(sentinel.data.seq).toBe(first.data.seq + 1);
      expect((await a.client.history(channel.id)).items.filter((i) => i.kind === 'message').map((i) => i.id)).toEqual([first.data.id, sentinel.data.id]);
    });

    it.each([
      ['an empty body after trimming', { body: '   \n ' }, 'validation_failed'],
      ['a body over 4,000 characters', { body: 'x'.repeat(4001) }, 'validation_failed'],
      ['a NUL character', { body: 'a\u0000b' }, 'invalid_text'],
      ['a private channel the user is not in', { channel: 'private' }, 'forbidden'],
      ['an unknown channel', { channel: 'no-such-channel' }, 'not_found'],
    ])('an invalid send (%s) gets an error frame with its nonce and a code', async (_name, input, code) => {
      const { a, b, channel } = await duo();
      const secret = await a.client.createChannel({ name: 'secret', private: true });
      const onB = await open(b);
      const channelId = 'channel' in input ? (input.channel === 'private' ? secret.id : input.channel) : channel.id;
      onB.send({ type: 'send', channel_id: channelId, body: 'body' in input ? input.body : 'hello', nonce: 'bad-1' });
      expect(await onB.next('error')).toEqual({ type: 'error', nonce: 'bad-1', code, message: expect.any(String) });
      await onB.roundTrip();
      expect(onB.received('ack')).toEqual([]);
    });

    it('sends from one socket land in the order they were sent, and a refused one does not hold up the rest', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      const nonces = Array.from({ length: 40 }, (_, i) => `in-order-${i}`);
      for (const [i, nonce] of nonces.entries()) onB.send({ type: 'send', channel_id: channel.id, body: i === 20 ? ' ' : `take ${i}`, nonce });
      expect(await onB.next('error')).toEqual({ type: 'error', nonce: 'in-order-20', code: 'validation_failed', message: expect.any(String) });
      const sent = nonces.filter((_, i) => i !== 20);
      await onB.next('ack', (f) => f.nonce === sent.at(-1));
      const acks = onB.received('ack');
      expect(acks.map((f) => f.nonce)).toEqual(sent);
      expect(acks.map((f) => f.data.seq)).toEqual([...acks.map((f) => f.data.seq)].sort((x, y) => x - y));
      const history = (await a.client.history(channel.id)).items.filter((i) => i.kind === 'message');
      expect(history.map((i) => i.nonce)).toEqual(sent);
    });

    it('the same nonce with another body gets an error frame nonce_reused', async () => {
      const { b, channel } = await duo();
      const onB = await open(b);
      onB.send({ type: 'send', channel_id: channel.id, body: 'first', nonce: 'mine' });
      await onB.next('ack');
      onB.send({ type: 'send', channel_id: channel.id, body: 'second', nonce: 'mine' });
      expect(await onB.next('error')).toEqual({ type: 'error', nonce: 'mine', code: 'nonce_reused', message: expect.any(String) });
    });
  });

  describe('subscriptions follow membership', () => {
    it('when A adds B to a private channel, B’s open socket gets the member.joined and then A’s next message', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const secret = await a.client.createChannel({ name: 'secret', private: true });
      const onB = await open(b);
      expect(onB.received('ready')[0]!.data.channels.map((c) => c.id)).toEqual([GENERAL]);
      await a.client.addMember(secret.id, b.id);
      const joined = await onB.next(row(secret.id, 2));
      expect(joined).toMatchObject({ type: 'member.joined', data: { announcement: { type: 'member_added', user_id: b.id, by_user_id: a.id } } });
      const message = await post(a, secret.id, 'welcome');
      expect(await onB.next(row(secret.id, 3))).toEqual({ type: 'message.created', channel_id: secret.id, seq: 3, data: message });
      expect(seqsOn(onB, secret.id)).toEqual([2, 3]);
    });

    it('a channel created with B as a member is followed by B’s open socket', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const onB = await open(b);
      const secret = await a.client.createChannel({ name: 'secret', private: true, members: [b.id] });
      expect(await onB.next(row(secret.id, 1))).toMatchObject({ type: 'announcement', data: { announcement: { type: 'channel_created', user_id: a.id } } });
      await post(a, secret.id, 'hello');
      await onB.next(row(secret.id, 2));
    });

    it('when A removes B, B’s socket stops receiving the channel at once (a later message in General arrives, the channel’s does not)', async () => {
      const { a, b, channel } = await duo({ private: true });
      const onA = await open(a);
      const onB = await open(b);
      await post(a, channel.id, 'before');
      await onB.next(row(channel.id, 2));
      await a.client.removeMember(channel.id, b.id);
      const after = await post(a, channel.id, 'after');
      const sentinel = await post(a, GENERAL, 'sentinel in General');
      await onB.next(row(GENERAL, sentinel.seq));
      await onA.next(row(channel.id, after.seq));
      expect(onB.received('message.created', (f) => f.channel_id === channel.id).map((f) => f.data.body)).toEqual(['before']);
      expect(seqsOn(onB, channel.id).filter((seq) => seq >= after.seq)).toEqual([]);
    });

    it('leaving a channel (removing oneself) stops that user’s socket receiving it', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      await b.client.removeMember(channel.id, b.id);
      const after = await post(a, channel.id, 'after you left');
      const sentinel = await post(a, GENERAL, 'sentinel in General');
      await onB.next(row(GENERAL, sentinel.seq));
      expect(seqsOn(onB, channel.id).filter((seq) => seq >= after.seq)).toEqual([]);
    });

    it('subscribe to a public channel one is not a member of delivers it (without making one a member)', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const stage = await a.client.createChannel({ name: 'stage' });
      const onB = await open(b);
      const head = (await b.client.publicChannels()).find((c) => c.id === stage.id)!.last_seq;
      onB.send({ type: 'subscribe', channel_id: stage.id, after_seq: head });
      const message = await post(a, stage.id, 'live from the stage');
      expect(await onB.next(row(stage.id, message.seq))).toEqual({ type: 'message.created', channel_id: stage.id, seq: message.seq, data: message });
      expect((await a.client.members(stage.id)).map((m) => m.id)).toEqual([a.id]);
    });

    it('unsubscribe stops delivery of that channel', async () => {
      const { a, b, channel } = await duo();
      const onB = await open(b);
      onB.send({ type: 'unsubscribe', channel_id: channel.id });
      await onB.roundTrip();
      const after = await post(a, channel.id, 'not for you');
      const sentinel = await post(a, GENERAL, 'sentinel in General');
      await onB.next(row(GENERAL, sentinel.seq));
      expect(seqsOn(onB, channel.id).filter((seq) => seq >= after.seq)).toEqual([]);
    });

    it('subscribe to a private channel one is not in gets an error frame forbidden; an unknown one not_found', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const secret = await a.client.createChannel({ name: 'secret', private: true });
      const onB = await open(b);
      onB.send({ type: 'subscribe', channel_id: secret.id, after_seq: 0 });
      expect(await onB.next('error')).toEqual({ type: 'error', code: 'forbidden', message: expect.any(String) });
      onB.send({ type: 'subscribe', channel_id: 'no-such-channel' });
      expect(await onB.next('error')).toEqual({ type: 'error', code: 'not_found', message: expect.any(String) });
      const message = await post(a, secret.id, 'private');
      const sentinel = await post(a, GENERAL, 'sentinel in General');
      await onB.next(row(GENERAL, sentinel.seq));
      expect(seqsOn(onB, secret.id)).toEqual([]);
      expect(message.seq).toBe(2);
    });
  });

  describe('resume exactly once', () => {
    /** B connects, notes the channel's head, disconnects; A posts `count` messages meanwhile. */
    async function missed(count: number) {
      const { a, b, channel } = await duo();
      const first = await open(b);
      const from = readyHead(first, channel.id);
      await first.close();
      const messages: MessageView[] = [];
      for (let i = 0; i < count; i++) messages.push(await post(a, channel.id, `missed ${i}`));
      return { a, b, channel, from, messages };
    }

    async function expectReplayThenLive(socket: TestSocket, a: Musician, channelId: string, from: number, messages: MessageView[]) {
      await socket.next(row(channelId, from + messages.length));
      const replayed = socket.frames.filter((f) => 'seq' in f && f.channel_id === channelId);
      expect(replayed).toEqual(messages.map((m) => ({ type: 'message.created', channel_id: channelId, seq: m.seq, data: m })));
      const live = await post(a, channelId, 'live again');
      expect(await socket.next(row(channelId, live.seq))).toEqual({ type: 'message.created', channel_id: channelId, seq: from + messages.length + 1, data: live });
      expect(seqsOn(socket, channelId)).toEqual(range(from + 1, from + messages.length + 1));
    }

    it('?resume=<channel>:<seq> replays exactly the 50 missed messages in order, then live ones continue', async () => {
      const { a, b, channel, from, messages } = await missed(50);
      const again = await open(b, { resume: { [channel.id]: from } });
      expect(again.ws.url).toContain(`resume=${channel.id}:${from}`);
      expect(readyHead(again, channel.id)).toBe(from + 50);
      await expectReplayThenLive(again, a, channel.id, from, messages);
    });

    it('the resume map of the auth frame replays exactly the missed messages, then live ones continue', async () => {
      const { a, b, channel, from, messages } = await missed(50);
      const again = await open(b, { auth: 'frame', resume: { [channel.id]: from } });
      await expectReplayThenLive(again, a, channel.id, from, messages);
    });

    it('subscribe {channel_id, after_seq} on a public channel one is not a member of replays from there, then live', async () => {
      const a = await musician(server);
      const b = await musician(server);
      const stage = await a.client.createChannel({ name: 'stage' });
      const from = (await b.client.publicChannels()).find((c) => c.id === stage.id)!.last_seq;
      const messages: MessageView[] = [];
      for (let i = 0; i < 50; i++) messages.push(await post(a, stage.id, `missed ${i}`));
      const onB = await open(b);
      onB.send({ type: 'subscribe', channel_id: stage.id, after_seq: from });
      await expectReplayThenLive(onB, a, stage.id, from, messages);
    });

    it('subscribe {after_seq} on a channel already live sends the older rows it was not sent, once', async () => {
      const { a, b, channel } = await duo();
      const older: MessageView[] = [];
      for (let i = 0; i < 5; i++) older.push(await post(a, channel.id, `older ${i}`));
      const onB = await open(b);
      const head = readyHead(onB, channel.id);
      expect(head).toBe(6);
      onB.send({ type: 'subscribe', channel_id: channel.id, after_seq: 3 });
      await onB.next(row(channel.id, 6));
      expect(onB.frames.filter((f) => 'seq' in f && f.channel_id === channel.id)).toEqual(
        older.slice(2).map((m) => ({ type: 'message.created', channel_id: channel.id, seq: m.seq, data: m })),
      );
      onB.send({ type: 'subscribe', channel_id: channel.id, after_seq: 3 });
      const live = await post(a, channel.id, 'live');
      await onB.next(row(channel.id, live.seq));
      expect(seqsOn(onB, channel.id)).toEqual([4, 5, 6, 7]);
    });

    it('posts racing a resume (30 concurrent REST posts while B replays) still yield a contiguous, duplicate-free seq sequence up to last_seq', async () => {
      const { a, b, channel, from } = await missed(40);
      const racing = Promise.all(Array.from({ length: 30 }, (_, i) => post(a, channel.id, `racing ${i}`)));
      // Three sockets of B resume at once, each with its own hand-over from replay to live.
      const sockets = await Promise.all([open(b, { resume: { [channel.id]: from } }), open(b, { auth: 'frame', resume: { [channel.id]: from } }), open(b, { resume: { [channel.id]: from } })]);
      await racing;
      const last = (await b.client.channels()).find((c) => c.id === channel.id)!.last_seq;
      expect(last).toBe(from + 70);
      for (const socket of sockets) {
        await socket.next(row(channel.id, last));
        expect(seqsOn(socket, channel.id)).toEqual(range(from + 1, last));
      }
    });

    describe('with replayLimit 20', () => {
      let limited: TestRiff;
      beforeAll(async () => {
        limited = await startRiff(dialect, { config: gateway({ replayLimit: 20 }) });
      });
      afterAll(async () => {
        await cleanUp();
        await limited?.close();
      });

      async function behind(count: number) {
        const a = await musician(limited);
        const b = await musician(limited);
        const channel = await a.client.createChannel({ name: 'long gap', members: [b.id] });
        const first = await connect(limited.url, { token: b.token });
        const from = readyHead(first, channel.id);
        await first.close();
        const messages: MessageView[] = [];
        for (let i = 0; i < count; i++) messages.push(await post(a, channel.id, `missed ${i}`));
        return { a, b, channel, from, messages };
      }

      it('a resume further behind than replayLimit gets resync_required for that channel, then live delivery continues', async () => {
        const { a, b, channel, from } = await behind(25);
        const again = await connect(limited.url, { token: b.token, resume: { [channel.id]: from } });
        expect(await again.next('resync_required')).toEqual({ type: 'resync_required', channel_id: channel.id });
        const live = await post(a, channel.id, 'live');
        expect(await again.next(row(channel.id, live.seq))).toEqual({ type: 'message.created', channel_id: channel.id, seq: from + 26, data: live });
        expect(seqsOn(again, channel.id)).toEqual([from + 26]);
        expect(again.frames.map((f) => f.type).filter((t) => t !== 'presence')).toEqual(['ready', 'resync_required', 'message.created']);
      });

      it('a resume exactly replayLimit behind is replayed', async () => {
        const { b, channel, from, messages } = await behind(20);
        const again = await connect(limited.url, { token: b.token, resume: { [channel.id]: from } });
        await again.next(row(channel.id, from + 20));
        expect(seqsOn(again, channel.id)).toEqual(range(from + 1, from + 20));
        expect(again.received('resync_required')).toEqual([]);
        expect(messages).toHaveLength(20);
      });
    });
  });

  describe('typing', () => {
    it('typing {channel_id} reaches the other member as typing {channel_id, data: {user_id, username}} without a seq; a repeat within typingIntervalMs is not forwarded', async () => {
      const { a, b, channel } = await duo();
      const onA = await open(a);
      const onB = await open(b);
      onA.send({ type: 'typing', channel_id: channel.id });
      onA.send({ type: 'typing', channel_id: channel.id });
      expect(await onB.next('typing')).toEqual({ type: 'typing', channel_id: channel.id, data: { user_id: a.id, username: a.username } });
      await onA.roundTrip();
      // A message after both typing frames were handled is the sentinel for the dropped repeat.
      const sentinel = await post(a, channel.id, 'done typing');
      await onB.next(row(channel.id, sentinel.seq));
      expect(onB.received('typing', (f) => f.data.user_id === a.id)).toHaveLength(1);
      await sleep(350);
      onA.send({ type: 'typing', channel_id: channel.id });
      await onB.next('typing');
      expect(onB.received('typing', (f) => f.data.user_id === a.id)).toHaveLength(2);
    });

    it('typing in a channel the socket does not follow gets an error frame', async () => {
      const a = await musician(server);
      const secret = await (await musician(server)).client.createChannel({ name: 'secret', private: true });
      const onA = await open(a);
      onA.send({ type: 'typing', channel_id: secret.id });
      expect(await onA.next('error')).toEqual({ type: 'error', code: 'forbidden', message: expect.any(String) });
    });
  });

  describe('presence', () => {
    const onlineIn = async (viewer: Musician, channelId: string, userId: string) =>
      (await viewer.client.members(channelId)).find((m) => m.id === userId)?.online;

    it('B’s first socket announces presence {user_id: B, online: true} to someone sharing a channel; members show B online', async () => {
      const { a, b, channel } = await duo({ private: true });
      const onA = await open(a);
      expect(await onlineIn(a, channel.id, b.id)).toBe(false);
      await open(b);
      expect(await onA.next('presence', (f) => f.data.user_id === b.id)).toEqual({ type: 'presence', data: { user_id: b.id, online: true } });
      expect(await onlineIn(a, channel.id, b.id)).toBe(true);
    });

    it('B opening a second socket does not announce B again', async () => {
      const { a, b } = await duo({ private: true });
      const c = await musician(server);
      const onA = await open(a);
      await open(b);
      await onA.next('presence', (f) => f.data.user_id === b.id);
      await open(b);
      await open(c);
      // C came online after B's second socket opened: its announcement is the sentinel.
      await onA.next('presence', (f) => f.data.user_id === c.id && f.data.online);
      expect(onA.received('presence', (f) => f.data.user_id === b.id)).toEqual([{ type: 'presence', data: { user_id: b.id, online: true } }]);
    });

    it('closing one of B’s two sockets does not announce offline; closing the last announces online: false', async () => {
      const { a, b, channel } = await duo({ private: true });
      const c = await musician(server);
      const onA = await open(a);
      const first = await open(b);
      const second = await open(b);
      await onA.next('presence', (f) => f.data.user_id === b.id);
      await first.close();
      const onC = await open(c);
      await onA.next('presence', (f) => f.data.user_id === c.id && f.data.online);
      await onC.close();
      await onA.next('presence', (f) => f.data.user_id === c.id && !f.data.online);
      expect(onA.received('presence', (f) => f.data.user_id === b.id)).toEqual([{ type: 'presence', data: { user_id: b.id, online: true } }]);
      expect(await onlineIn(a, channel.id, b.id)).toBe(true);
      await second.close();
      expect(await onA.next('presence', (f) => f.data.user_id === b.id && !f.data.online)).toEqual({ type: 'presence', data: { user_id: b.id, online: false } });
      expect(await onlineIn(a, channel.id, b.id)).toBe(false);
    });
  });

  describe('read markers', () => {
    it('read {channel_id, seq} over a socket moves last_read_seq and unread_count; the user’s other socket gets read {channel_id, data: {last_read_seq}}, the sender does not', async () => {
      const { a, b, channel } = await duo();
      const messages = [await post(a, channel.id, 'one'), await post(a, channel.id, 'two'), await post(a, channel.id, 'three')];
      expect((await b.client.channels()).find((c) => c.id === channel.id)).toMatchObject({ last_read_seq: 0, unread_count: 3 });
      const sender = await open(b);
      const other = await open(b);
      sender.send({ type: 'read', channel_id: channel.id, seq: messages[1]!.seq });
      expect(await other.next('read')).toEqual({ type: 'read', channel_id: channel.id, data: { last_read_seq: messages[1]!.seq } });
      expect((await b.client.channels()).find((c) => c.id === channel.id)).toMatchObject({ last_read_seq: messages[1]!.seq, unread_count: 1 });
      // A REST read afterwards is the sentinel: the sender gets its echo, and got none before it.
      await b.client.markRead(channel.id, messages[2]!.seq);
      expect(await sender.next('read')).toEqual({ type: 'read', channel_id: channel.id, data: { last_read_seq: messages[2]!.seq } });
      expect(sender.received('read')).toHaveLength(1);
    });

    it('a REST POST /v1/channels/{id}/read is echoed to every socket of the user, and to no one else', async () => {
      const { a, b, channel } = await duo();
      const message = await post(a, channel.id, 'read me');
      const onA = await open(a);
      const sockets = [await open(b), await open(b, { auth: 'query' })];
      expect(await b.client.markRead(channel.id, message.seq)).toEqual({ channel_id: channel.id, last_read_seq: message.seq, unread_count: 0 });
      for (const socket of sockets) expect(await socket.next('read')).toEqual({ type: 'read', channel_id: channel.id, data: { last_read_seq: message.seq } });
      const sentinel = await post(b, channel.id, 'sentinel');
      await onA.next(row(channel.id, sentinel.seq));
      expect(onA.received('read')).toEqual([]);
    });
  });

  describe('connection hygiene', () => {
    it('a client that resets its connection while its upgrade is being authenticated does not take the server down', async () => {
      const a = await musician(server);
      for (const token of ['not-a-session', a.token]) {
        const sockets = await Promise.all(Array.from({ length: 5 }, () => rawUpgrade(server, { Authorization: `Bearer ${token}` })));
        for (const socket of sockets) socket.resetAndDestroy();
      }
      await sleep(200);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await (await open(a)).roundTrip();
    });

    it('a socket that goes away while it is being opened is not left counted or online', async () => {
      await eventually('open sockets left by earlier tests', () => metrics(server), (m) => m.riff_open_sockets === 0);
      const a = await musician(server);
      for (let i = 0; i < 30; i++) {
        const socket = await rawUpgrade(server, { Authorization: `Bearer ${a.token}` });
        // Gone at different moments: while the token is checked, while the profile or the channels are read.
        if (i % 3 === 0) await answered(socket);
        else await sleep(i % 3);
        socket.resetAndDestroy();
      }
      await sleep(100);
      await eventually('open sockets', () => metrics(server), (m) => m.riff_open_sockets === 0);
      expect((await a.client.members(GENERAL)).find((m) => m.id === a.id)?.online).toBe(false);
      const onA = await open(a);
      expect((await metrics(server)).riff_open_sockets).toBe(1);
      await onA.close();
      await eventually('open sockets', () => metrics(server), (m) => m.riff_open_sockets === 0);
    });
  });

  describe('metrics', () => {
    it('/metrics counts open sockets, frames in and out, and replayed events', async () => {
      await eventually('open sockets left by earlier tests', () => metrics(server), (m) => m.riff_open_sockets === 0);
      const a = await musician(server);
      const solo = await a.client.createChannel({ name: 'solo', private: true });
      const before = await metrics(server);
      for (let i = 0; i < 5; i++) await post(a, solo.id, `while away ${i}`);
      const socket = await open(a, { resume: { [solo.id]: 1 } });
      await socket.next(row(solo.id, 6));
      socket.send({ type: 'ping' });
      socket.send({ type: 'ping' });
      await socket.next('pong');
      await socket.next('pong');
      const during = await metrics(server);
      expect(during.riff_open_sockets).toBe(before.riff_open_sockets! + 1);
      expect(during.riff_ws_frames_in_total).toBe(before.riff_ws_frames_in_total! + 2);
      // Every frame the socket received was counted once; it is the only socket open.
      expect(during.riff_ws_frames_out_total).toBe(before.riff_ws_frames_out_total! + socket.frames.length);
      expect(socket.frames.length).toBeGreaterThanOrEqual(8);
      expect(during.riff_ws_replayed_events_total).toBe(before.riff_ws_replayed_events_total! + 5);
      await socket.close();
      await eventually('open sockets after the close', () => metrics(server), (m) => m.riff_open_sockets === before.riff_open_sockets);
    });
  });
});

describe('gateway health [sqlite]', () => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite', {
      config: { rateLimits: { ...defaultConfig.rateLimits, enabled: false }, ...gateway({ maxBufferedBytes: 64 * 1024, maxFrameBytes: 65_536 }) },
    });
  });
  afterEach(cleanUp);
  afterAll(async () => {
    await cleanUp();
    await server?.close();
  });

  it('disconnects a slow consumer (it stops reading) while a normal reader on the same channel gets everything', async () => {
    const a = await musician(server);
    const reader = await musician(server);
    const slow = await musician(server);
    const channel = await a.client.createChannel({ name: 'firehose', members: [reader.id, slow.id] });
    const onReader = await connect(server.url, { token: reader.token });
    const onSlow = await connect(server.url, { token: slow.token });
    const before = await metrics(server);
    onSlow.tcp.pause();
    const body = '🎸'.repeat(3900); // 3,900 characters, 15,600 bytes of UTF-8
    const started = Date.now();
    let posted = 0;
    let last = 0;
    for (let m = before; m.riff_ws_slow_consumer_disconnects_total === before.riff_ws_slow_consumer_disconnects_total; m = await metrics(server)) {
      if (posted >= 2000 || Date.now() - started > 10_000) throw new Error(`the slow consumer was not cut off after ${posted} messages`);
      const batch = await Promise.all(Array.from({ length: 25 }, () => post(a, channel.id, body)));
      posted += batch.length;
      last = Math.max(last, ...batch.map((message) => message.seq));
    }
    const after = await eventually('the slow consumer’s socket closed', () => metrics(server), (m) => m.riff_open_sockets === before.riff_open_sockets! - 1);
    expect(after.riff_ws_slow_consumer_disconnects_total).toBe(before.riff_ws_slow_consumer_disconnects_total! + 1);
    await onReader.next(row(channel.id, last), 5000);
    expect(seqsOn(onReader, channel.id)).toEqual(range(2, last));
    expect(onReader.isOpen).toBe(true);
    onSlow.tcp.resume();
    await onSlow.waitClosed(5000);
  });

  it('a frame larger than maxFrameBytes closes the socket with 1009', async () => {
    const a = await musician(server);
    const socket = await connect(server.url, { token: a.token });
    socket.sendRaw(JSON.stringify({ type: 'send', channel_id: GENERAL, body: 'x'.repeat(65_536), nonce: 'big' }));
    expect((await socket.waitClosed()).code).toBe(1009);
  });

  it('a frame larger than maxFrameBytes before authenticating closes the socket with 1009, and the server keeps serving', async () => {
    const socket = await connect(server.url, { untilOpen: true });
    socket.sendRaw('x'.repeat(70_000));
    expect((await socket.waitClosed()).code).toBe(1009);
    await sleep(50);
    const a = await musician(server);
    await (await connect(server.url, { token: a.token })).roundTrip();
  });

});

describe('gateway heartbeats [sqlite]', () => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite', { config: gateway({ heartbeatMs: 200 }) });
  });
  afterEach(cleanUp);
  afterAll(async () => {
    await cleanUp();
    await server?.close();
  });

  it('a client that answers pings stays connected for more than 3 heartbeat intervals', async () => {
    const a = await musician(server);
    const socket = await connect(server.url, { token: a.token });
    let pings = 0;
    socket.ws.on('ping', () => pings++);
    await sleep(750);
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(socket.isOpen).toBe(true);
    await socket.roundTrip();
  });

  it('a client that does not answer pings is cut off within a few intervals', async () => {
    const a = await musician(server);
    const socket = await connect(server.url, { token: a.token, ws: { autoPong: false } });
    const started = Date.now();
    await socket.waitClosed(2000);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
