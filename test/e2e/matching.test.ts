/**
 * Talk now, black box over real HTTP and WebSocket: one `it` per rule of API.md §Talk now and
 * issue #7 (the queue, its rooms, reports, bans and blocks), on every dialect, with a clock the
 * tests move by hand.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app.js';
import { RiffApiError, RiffClient, type HistoryItemView, type MessageView, type QueueStateView, type TalkModeValue } from '../../src/client/index.js';
import { defaultConfig } from '../../src/config.js';
import { iso, ManualClock } from '../../src/platform/clock.js';
import type { ServerFrame } from '../../src/platform/gateway/protocol.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect, DEFAULT_WAIT_MS } from '../helpers/socket.js';
import { failure, refused } from '../helpers/failures.js';

const SECOND = 1000;
const FALLBACK_MS = 10 * SECOND;
const GRACE_MS = 30 * SECOND;
const HOUR = 3_600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until `accept` holds (bounded), returning the accepted value. */
async function eventually<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5 * DEFAULT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

interface Person {
  client: RiffClient;
  id: string;
  token: string;
  /** Registered users only. */
  username?: string;
}

const isMessage = (item: HistoryItemView): item is MessageView => item.kind === 'message';
const roomFrame = (roomId: string) => (f: ServerFrame) => 'channel_id' in f && f.channel_id === roomId;

describeEachDialect('matching', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  /** Everyone a test queued, taken out of the queue after it so tests do not pair across. */
  let queued: Person[] = [];

  beforeAll(async () => {
    server = await startRiff(dialect, {
      clock,
      config: {
        matching: { fallbackMs: FALLBACK_MS, graceMs: GRACE_MS },
        rateLimits: { ...defaultConfig.rateLimits, guestsPerBannedIp: { max: 2, windowMs: HOUR } },
      },
    });
  });
  afterAll(() => server.close());
  afterEach(async () => {
    await closeAllSockets();
    await Promise.all(queued.map((person) => person.client.leaveQueue().catch(() => {})));
    queued = [];
  });

  async function guest(): Promise<Person> {
    const client = server.client();
    const { user_id, token } = await client.guest();
    return { client, id: user_id, token };
  }

  async function musician(): Promise<Person> {
    const client = server.client();
    const user = await client.signUp(newMusician());
    return { client, id: user.id, token: user.token, username: user.username ?? undefined };
  }

  async function admin(): Promise<Person> {
    const person = await musician();
    await server.riff.accounts.grantAdmin(server.riff.storage.db, person.username!);
    return person;
  }

  async function enqueue(person: Person, mode: TalkModeValue) {
    queued.push(person);
    return person.client.enqueue(mode);
  }

  const online = (person: Person) => connect(server.url, { token: person.token });

  /** Runs the jobs due now the way every node's timer does; twice, in case the timer's own pass was already under way. */
  async function runDueJobs(): Promise<void> {
    await server.riff.jobs.runDue();
    await server.riff.jobs.runDue();
  }

  /** Waits until the node has noted that `person`'s last socket closed (their grace period started). */
  const awayNoted = (person: Person) =>
    eventually(
      'the grace period job',
      () => server.riff.storage.db.selectFrom('jobs').select('run_at').where('key', '=', `talk-away:${person.id}`).executeTakeFirst(),
      (job) => job !== undefined,
    );

  /** Two people paired in a room, with their sockets following it (its first row arrived). */
  async function room(modes: [TalkModeValue, TalkModeValue] = ['vent', 'listen'], make: () => Promise<Person> = guest) {
    const a = await make();
    const b = await make();
    const onA = await online(a);
    const onB = await online(b);
    expect((await enqueue(a, modes[0])).state).toBe('queued');
    const matched = await enqueue(b, modes[1]);
    expect(matched).toMatchObject({ status: 200, state: 'matched' });
    const roomId = matched.room_id!;
    const matchA = (await onA.next('queue.matched')).data;
    const matchB = (await onB.next('queue.matched')).data;
    await onA.next('announcement', (f) => f.channel_id === roomId);
    await onB.next('announcement', (f) => f.channel_id === roomId);
    return { a, b, onA, onB, roomId, matchA, matchB };
  }

  describe('guests', () => {
    it('a guest may use /v1/queue, /v1/users/me, /v1/ws and DELETE /v1/sessions/mine; every other /v1 route answers 403', async () => {
      const visitor = await guest();
      const player = await musician();
      const channel = await player.client.createChannel({ name: 'Open jam' });
      expect((await visitor.client.queueState()).state).toBe('idle');
      expect((await visitor.client.me()).id).toBe(visitor.id);
      const socket = await online(visitor);
      await socket.roundTrip();
      for (const call of [
        () => visitor.client.channels(),
        () => visitor.client.createChannel({ name: 'Guests only' }),
        () => visitor.client.history(channel.id),
        () => visitor.client.post(channel.id, { body: 'hi' }),
        () => visitor.client.musicians(),
        () => visitor.client.user(player.id),
        () => visitor.client.updateProfile({ bio: 'hi' }),
        () => visitor.client.events(),
        () => visitor.client.search('hi'),
        () => visitor.client.logOutEverywhere(),
        () => visitor.client.reports(),
        () => visitor.client.ban({ user_id: player.id, reason: 'no' }),
      ]) {
        await refused(call(), 403, 'guest_forbidden');
      }
      await visitor.client.logOut();
      expect((await socket.waitClosed()).code).toBe(4403);
    });

    it('a guest reads, posts, reacts and marks read in their own room', async () => {
      const { a, b, roomId } = await room();
      const message = await a.client.post(roomId, { body: 'hello there', nonce: 'n-1' });
      expect(message).toMatchObject({ created: true, body: 'hello there', nonce: 'n-1' });
      expect((await a.client.post(roomId, { body: 'hello there', nonce: 'n-1' })).created).toBe(false);
      expect((await b.client.react(message.id, '👍')).reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
      expect((await b.client.history(roomId)).items.filter(isMessage).map((m) => m.body)).toEqual(['hello there']);
      expect(await b.client.markRead(roomId, message.seq + 1)).toMatchObject({ last_read_seq: message.seq + 1, unread_count: 0 });
    });
  });

  describe('the queue: POST, GET and DELETE /v1/queue', () => {
    it('vent ↔ listen: the second of them is matched at once (200 matched {room_id}) and both sockets get queue.matched {room_id, partner_alias, partner_mode}', async () => {
      const vent = await guest();
      const listener = await guest();
      const onVent = await online(vent);
      const onListener = await online(listener);
      expect(await enqueue(vent, 'vent')).toEqual({ status: 202, state: 'queued', mode: 'vent', position: 1, waited_s: 0 });
      const matched = await enqueue(listener, 'listen');
      expect(matched).toMatchObject({ status: 200, state: 'matched', room_id: expect.any(String), mode: 'listen', partner_mode: 'vent' });
      const toVent = await onVent.next('queue.matched');
      const toListener = await onListener.next('queue.matched');
      expect(toVent).toEqual({
        type: 'queue.matched',
        data: { room_id: matched.room_id, partner_alias: toListener.data.alias, partner_alias_id: toListener.data.alias_id, partner_mode: 'listen', alias: expect.any(String), alias_id: expect.any(String), mode: 'vent' },
      });
      expect(toListener.data).toMatchObject({ room_id: matched.room_id, partner_alias: toVent.data.alias, partner_mode: 'vent', mode: 'listen' });
      expect(toVent.data.alias).not.toBe(toListener.data.alias);
      expect('seq' in toVent).toBe(false);
    });

    it('talk ↔ talk', async () => {
      const { matchA, matchB } = await room(['talk', 'talk']);
      expect({ a: matchA.partner_mode, b: matchB.partner_mode }).toEqual({ a: 'talk', b: 'talk' });
    });

    it('vent never matches vent, and listen never listen, not even after the fallback wait', async () => {
      const [v1, v2, l1, l2] = [await guest(), await guest(), await guest(), await guest()];
      expect(await enqueue(v1, 'vent')).toMatchObject({ status: 202, position: 1 });
      expect(await enqueue(v2, 'vent')).toMatchObject({ status: 202, position: 2 });
      expect(await enqueue(l1, 'listen')).toMatchObject({ status: 200, state: 'matched', partner_mode: 'vent' });
      await l1.client.leaveRoom((await l1.client.queueState()).room_id!);
      expect(await enqueue(l2, 'listen')).toMatchObject({ status: 200, state: 'matched', partner_mode: 'vent' });
      const [v3, v4] = [await guest(), await guest()];
      await enqueue(v3, 'vent');
      await enqueue(v4, 'vent');
      clock.advance(FALLBACK_MS);
      await runDueJobs();
      expect(await v3.client.queueState()).toMatchObject({ state: 'queued', position: 1, waited_s: 10 });
      expect(await v4.client.queueState()).toMatchObject({ state: 'queued', position: 2 });
    });

    it('oldest waiting first: a listener gets the vent who has waited longest', async () => {
      const [first, second] = [await guest(), await guest()];
      await enqueue(first, 'vent');
      clock.advance(2 * SECOND);
      await enqueue(second, 'vent');
      clock.advance(2 * SECOND);
      const listener = await guest();
      const matched = await enqueue(listener, 'listen');
      expect((await first.client.queueState())).toMatchObject({ state: 'matched', room_id: matched.room_id });
      expect(await second.client.queueState()).toMatchObject({ state: 'queued', position: 1, waited_s: 2 });
    });

    it('one entry per user: queueing again answers the current state (202 with the same position, 200 with the room once matched), never a second entry', async () => {
      const [vent, other] = [await guest(), await guest()];
      await enqueue(vent, 'vent');
      await enqueue(other, 'vent');
      clock.advance(3 * SECOND);
      expect(await enqueue(vent, 'vent')).toMatchObject({ status: 202, state: 'queued', position: 1, waited_s: 3 });
      expect(await enqueue(vent, 'listen')).toMatchObject({ status: 202, state: 'queued', mode: 'vent', position: 1 });
      expect(await other.client.queueState()).toMatchObject({ position: 2 });
      const listener = await guest();
      const matched = await enqueue(listener, 'listen');
      expect(await enqueue(vent, 'vent')).toMatchObject({ status: 200, state: 'matched', room_id: matched.room_id });
      expect(await enqueue(listener, 'talk')).toMatchObject({ status: 200, state: 'matched', room_id: matched.room_id });
      expect(await other.client.queueState()).toMatchObject({ state: 'queued', position: 1 });
    });

    it('GET /v1/queue: idle, then queued {mode, position, waited_s}, then matched {room_id, partner_alias, partner_mode}', async () => {
      const [talker, partner] = [await guest(), await guest()];
      expect(await talker.client.queueState()).toEqual({ state: 'idle' });
      await enqueue(talker, 'talk');
      clock.advance(4500);
      expect(await talker.client.queueState()).toEqual({ state: 'queued', mode: 'talk', position: 1, waited_s: 4 });
      const matched = await enqueue(partner, 'talk');
      expect(await talker.client.queueState()).toEqual({
        state: 'matched',
        mode: 'talk',
        room_id: matched.room_id,
        partner_alias: matched.alias,
        partner_alias_id: matched.alias_id,
        partner_mode: 'talk',
        alias: matched.partner_alias,
        alias_id: matched.partner_alias_id,
      });
    });

    it('DELETE /v1/queue leaves the queue: idle, and a later partner is not paired with them', async () => {
      const [vent, listener] = [await guest(), await guest()];
      await enqueue(vent, 'vent');
      expect(await vent.client.leaveQueue()).toEqual({ state: 'idle' });
      expect(await vent.client.leaveQueue()).toEqual({ state: 'idle' });
      expect(await enqueue(listener, 'listen')).toMatchObject({ status: 202, state: 'queued', position: 1 });
      expect(await vent.client.queueState()).toEqual({ state: 'idle' });
    });

    it('a vent or listen entry unmatched after 10 s pairs with a talk entry; before that it does not', async () => {
      const [vent, talker] = [await guest(), await guest()];
      const onVent = await online(vent);
      const onTalker = await online(talker);
      await enqueue(vent, 'vent');
      clock.advance(1000);
      expect(await enqueue(talker, 'talk')).toMatchObject({ status: 202 });
      clock.advance(FALLBACK_MS - 1001);
      await runDueJobs();
      expect((await vent.client.queueState()).state).toBe('queued');
      clock.advance(1);
      await runDueJobs();
      expect((await onVent.next('queue.matched')).data).toMatchObject({ mode: 'vent', partner_mode: 'talk' });
      expect((await onTalker.next('queue.matched')).data).toMatchObject({ mode: 'talk', partner_mode: 'vent' });
    });

    it('a talk entry takes a listener who has waited 10 s at once', async () => {
      const [listener, talker] = [await guest(), await guest()];
      await enqueue(listener, 'listen');
      clock.advance(FALLBACK_MS);
      expect(await enqueue(talker, 'talk')).toMatchObject({ status: 200, state: 'matched', partner_mode: 'listen' });
    });

    it('a waiting vent still prefers a listener to a talk partner', async () => {
      const [vent, talker, listener] = [await guest(), await guest(), await guest()];
      await enqueue(vent, 'vent');
      await enqueue(talker, 'talk');
      clock.advance(FALLBACK_MS - 1);
      expect(await enqueue(listener, 'listen')).toMatchObject({ status: 200, partner_mode: 'vent' });
      clock.advance(1);
      await runDueJobs();
      expect(await talker.client.queueState()).toMatchObject({ state: 'queued' });
    });

    it('matching is atomic: 200 concurrent queue entries (on two nodes with PostgreSQL), nobody matched twice, every pair obeys the mode rules, and no pair that could be made is left', async () => {
      const modes: TalkModeValue[] = [...Array(70).fill('vent'), ...Array(50).fill('listen'), ...Array(80).fill('talk')];
      modes.sort(() => Math.random() - 0.5);
      const people: Person[] = [];
      for (let i = 0; i < modes.length; i += 25) people.push(...(await Promise.all(modes.slice(i, i + 25).map(() => musician()))));
      // Embedded SQLite is one node; PostgreSQL deployments run several, so half the entries arrive at another.
      const other = dialect === 'postgres' ? await buildApp(server.config, { clock }) : undefined;
      let answers: Array<QueueStateView & { status: number }>;
      try {
        let otherUrl = server.url;
        if (other) {
          await other.http.listen({ port: 0, host: '127.0.0.1' });
          otherUrl = `http://127.0.0.1:${(other.http.server.address() as AddressInfo).port}`;
        }
        queued.push(...people);
        answers = await Promise.all(people.map((person, i) => (i % 2 === 0 ? person.client : new RiffClient(otherUrl, person.token)).enqueue(modes[i]!)));
      } finally {
        await other?.http.close();
      }
      expect(answers.every((answer) => answer.status === (answer.state === 'matched' ? 200 : 202))).toBe(true);
      const states = await Promise.all(people.map((person) => person.client.queueState()));
      const rooms = new Map<string, number[]>();
      states.forEach((state, i) => {
        if (state.state === 'matched') rooms.set(state.room_id!, [...(rooms.get(state.room_id!) ?? []), i]);
      });
      for (const [, pair] of rooms) {
        expect(pair).toHaveLength(2);
        const kinds = pair.map((i) => modes[i]).sort().join('+');
        expect(['listen+vent', 'talk+talk']).toContain(kinds);
      }
      expect(rooms.size).toBe(50 + 40);
      expect(states.filter((s) => s.state === 'queued').map((s) => s.mode)).toEqual(Array(20).fill('vent'));
      // Everyone is in one conversation at most, as their channel lists show.
      const conversations = await Promise.all(people.map(async (person) => (await person.client.channels()).filter((c) => c.kind === 'conversation').length));
      expect(Math.max(...conversations)).toBe(1);
      expect(conversations.reduce((sum, n) => sum + n, 0)).toBe(180);
    });

    it('a queued user whose last socket closes leaves the queue after the grace period', async () => {
      const vent = await guest();
      const socket = await online(vent);
      await enqueue(vent, 'vent');
      await socket.close();
      await awayNoted(vent);
      clock.advance(GRACE_MS - 1);
      await runDueJobs();
      expect((await vent.client.queueState()).state).toBe('queued');
      clock.advance(1);
      await runDueJobs();
      expect(await vent.client.queueState()).toEqual({ state: 'idle' });
    });

    it('a queued user who comes back within the grace period stays queued', async () => {
      const vent = await guest();
      const first = await online(vent);
      await enqueue(vent, 'vent');
      await first.close();
      await awayNoted(vent);
      clock.advance(GRACE_MS / 2);
      await online(vent);
      clock.advance(GRACE_MS);
      await runDueJobs();
      expect((await vent.client.queueState()).state).toBe('queued');
    });

    it('a mode other than vent, listen or talk is a 400 naming mode', async () => {
      const person = await guest();
      const error = await refused(person.client.request('POST', '/v1/queue', { mode: 'shout' }), 400, 'validation_failed');
      expect(JSON.stringify(error.body.details)).toContain('mode');
      await refused(person.client.request('POST', '/v1/queue', {}), 400, 'validation_failed');
    });
  });

  describe('rooms', () => {
    it('a room is a private conversation channel of the two: 403 for anyone else, 404 once unknown', async () => {
      const { roomId, a } = await room(['talk', 'talk'], musician);
      const outsider = await musician();
      await refused(outsider.client.history(roomId), 403, 'forbidden');
      await refused(outsider.client.post(roomId, { body: 'hi' }), 403);
      await refused(outsider.client.leaveRoom(roomId), 404, 'not_found');
      await refused(outsider.client.blockPartner(roomId), 404, 'not_found');
      await refused(a.client.history('nosuchroom'), 404, 'not_found');
      const listed = (await a.client.channels()).find((c) => c.id === roomId);
      expect(listed).toMatchObject({ kind: 'conversation', private: true, creator_id: null });
      // Not even an admin in it ends it by deleting the channel, nor changes who is in it.
      await server.riff.accounts.grantAdmin(server.riff.storage.db, a.username!);
      await refused(a.client.deleteChannel(roomId), 403, 'channel_protected');
      await refused(a.client.addMember(roomId, outsider.id), 403, 'channel_protected');
      await refused(a.client.removeMember(roomId, a.id), 403, 'channel_protected');
    });

    it('in a room every user reference is the room-scoped {id, alias}: creators, reactions, typing, announcements and members; nothing names the user', async () => {
      const { a, b, onA, onB, roomId, matchA, matchB } = await room(['vent', 'listen'], musician);
      const aliasA = { id: matchA.alias_id, alias: matchA.alias };
      const aliasB = { id: matchB.alias_id, alias: matchB.alias };
      onA.send({ type: 'send', channel_id: roomId, body: 'rough day', nonce: 'a-1' });
      const ack = await onA.next('ack');
      expect(ack.data.creator).toEqual(aliasA);
      const created = await onB.next('message.created', (f) => f.channel_id === roomId);
      expect(created.data).toMatchObject({ body: 'rough day', nonce: 'a-1', creator: aliasA });
      await b.client.react(ack.data.id, '👍');
      expect((await onA.next('reaction.updated')).data).toMatchObject({ message_id: ack.data.id, user_id: aliasB.id, reactions: [{ emoji: '👍', count: 1 }] });
      onB.send({ type: 'typing', channel_id: roomId });
      expect(await onA.next('typing')).toEqual({ type: 'typing', channel_id: roomId, data: { user_id: aliasB.id, alias: aliasB.alias } });
      const members = await a.client.roomMembers(roomId);
      expect(members.map(({ id, alias, is_creator }) => ({ id, alias, is_creator })).sort((x, y) => x.id.localeCompare(y.id))).toEqual(
        [{ ...aliasA, is_creator: false }, { ...aliasB, is_creator: false }].sort((x, y) => x.id.localeCompare(y.id)),
      );
      expect(members.every((m) => !('online' in m))).toBe(true);
      const history = (await b.client.history(roomId)).items;
      expect(history.filter(isMessage).map((m) => m.creator)).toEqual([aliasA]);
      await b.client.leaveRoom(roomId);
      const left = await onA.next('member.left', (f) => f.channel_id === roomId);
      expect(left.data.announcement).toEqual({ type: 'member_left', user_id: aliasB.id, alias: aliasB.alias });
      const everything = JSON.stringify([history, members, onA.frames.filter(roomFrame(roomId)), onB.frames.filter(roomFrame(roomId)), (await a.client.history(roomId)).items]);
      for (const secret of [a.id, b.id, a.username!, b.username!]) expect(everything).not.toContain(secret);
      expect((await a.client.searchChannel(roomId, 'rough')).items.map((m) => m.creator)).toEqual([aliasA]);
      expect((await a.client.search('rough day')).items.find((m) => m.channel_id === roomId)?.creator).toEqual(aliasA);
    });

    it('no presence frames pass between the two partners (someone else sharing General still sees them)', async () => {
      const { a, b, onA, onB } = await room(['talk', 'talk'], musician);
      // Before they were paired they were just two people in General.
      const pairedAt = onA.frames.length;
      const watcher = await musician();
      const onWatcher = await online(watcher);
      await onB.close();
      await onWatcher.next('presence', (f) => f.data.user_id === b.id && !f.data.online);
      const onBAgain = await online(b);
      await onWatcher.next('presence', (f) => f.data.user_id === b.id && f.data.online);
      await onA.close();
      await onWatcher.next('presence', (f) => f.data.user_id === a.id && !f.data.online);
      await onBAgain.roundTrip();
      expect(onA.frames.slice(pairedAt).filter((f) => f.type === 'presence' && f.data.user_id === b.id)).toEqual([]);
      expect(onBAgain.received('presence', (f) => f.data.user_id === a.id)).toEqual([]);
    });

    it('leaving: the partner gets member.left and can no longer post or react (422 partner_left); the one who left can no longer read the room', async () => {
      const { a, b, onA, roomId, matchB } = await room();
      const message = await a.client.post(roomId, { body: 'are you there?' });
      expect(await b.client.leaveRoom(roomId)).toEqual({ ok: true, room_closed: false });
      const left = await onA.next('member.left', (f) => f.channel_id === roomId);
      expect(left.data).toMatchObject({ kind: 'announcement', creator: null, body: `${matchB.alias} left` });
      await refused(a.client.post(roomId, { body: 'hello?' }), 422, 'partner_left');
      await refused(a.client.react(message.id, '👍'), 422, 'partner_left');
      onA.send({ type: 'send', channel_id: roomId, body: 'hello?', nonce: 'late' });
      expect(await onA.next('error')).toMatchObject({ nonce: 'late', code: 'partner_left' });
      expect((await a.client.history(roomId)).items.filter(isMessage).map((m) => m.body)).toEqual(['are you there?']);
      await refused(b.client.history(roomId), 403);
      await refused(b.client.leaveRoom(roomId), 404, 'not_found');
      expect(await b.client.queueState()).toEqual({ state: 'idle' });
      expect(await a.client.queueState()).toMatchObject({ state: 'matched', room_id: roomId });
    });

    it('when both have left, the room and its messages are deleted (404) and room.closed {room_id} reaches both', async () => {
      const { a, b, onA, onB, roomId } = await room();
      const message = await a.client.post(roomId, { body: 'thanks for listening' });
      await a.client.leaveRoom(roomId);
      expect(await b.client.leaveRoom(roomId)).toEqual({ ok: true, room_closed: true });
      const closedA = await onA.next('room.closed');
      const closedB = await onB.next('room.closed');
      expect(closedA).toEqual({ type: 'room.closed', channel_id: roomId, seq: expect.any(Number), data: { room_id: roomId } });
      expect(closedB).toEqual(closedA);
      await refused(a.client.history(roomId), 404, 'not_found');
      await refused(b.client.history(roomId), 404, 'not_found');
      await refused(a.client.editMessage(message.id, 'edited'), 404, 'not_found');
      await refused(b.client.react(message.id, '👍'), 404, 'not_found');
      expect(await a.client.queueState()).toEqual({ state: 'idle' });
      // Free to talk to someone new.
      expect((await enqueue(a, 'talk')).state).toBe('queued');
    });

    it('both partners disconnected beyond the grace period: the room and its messages are deleted', async () => {
      const { a, b, onA, onB, roomId } = await room(['talk', 'talk']);
      await a.client.post(roomId, { body: 'brb' });
      await onA.close();
      await awayNoted(a);
      clock.advance(GRACE_MS / 2);
      await onB.close();
      await awayNoted(b);
      clock.advance(GRACE_MS / 2);
      await runDueJobs();
      expect((await b.client.history(roomId)).items.filter(isMessage)).toHaveLength(1);
      clock.advance(GRACE_MS / 2);
      await runDueJobs();
      await refused(a.client.history(roomId), 404, 'not_found');
      expect(await b.client.queueState()).toEqual({ state: 'idle' });
    });

    it('a room stays while one partner is still connected', async () => {
      const { a, b, onA, roomId } = await room(['talk', 'talk']);
      await onA.close();
      await awayNoted(a);
      clock.advance(2 * GRACE_MS);
      await runDueJobs();
      expect((await b.client.history(roomId)).items.length).toBeGreaterThan(0);
      expect(await a.client.queueState()).toMatchObject({ state: 'matched', room_id: roomId });
    });
  });

  describe('safety', () => {
    it('a reported message’s text is kept with the report, also after the room is deleted (GET /v1/admin/reports)', async () => {
      const moderator = await admin();
      const { a, b, roomId } = await room();
      const message = await a.client.post(roomId, { body: 'something nasty' });
      const receipt = await b.client.report({ message_id: message.id, reason: 'abusive' });
      expect(receipt).toEqual({ id: expect.any(String), message_id: message.id, room_id: roomId, user_id: null, reason: 'abusive', created_at: iso(clock.now()) });
      await a.client.leaveRoom(roomId);
      await b.client.leaveRoom(roomId);
      await refused(b.client.history(roomId), 404);
      const { items } = await moderator.client.reports();
      expect(items.find((r) => r.id === receipt.id)).toEqual({
        id: receipt.id,
        reporter_id: b.id,
        reported_user_id: a.id,
        message_id: message.id,
        room_id: roomId,
        reason: 'abusive',
        message_text: 'something nasty',
        transcript: null,
        created_at: receipt.created_at,
      });
    });

    it('reports accept room_id (the partner, with the room’s recent messages) and user_id, exactly one target; the receipt names nobody', async () => {
      const moderator = await admin();
      const { a, b, roomId } = await room();
      await a.client.post(roomId, { body: 'first' });
      await b.client.post(roomId, { body: 'second' });
      const receipt = await b.client.report({ room_id: roomId, reason: 'creepy' });
      expect(receipt).toMatchObject({ room_id: roomId, message_id: null, user_id: null });
      expect(JSON.stringify(receipt)).not.toContain(a.id);
      const player = await musician();
      const aboutUser = await a.client.report({ user_id: player.id, reason: 'spam' });
      expect(aboutUser).toMatchObject({ user_id: player.id, room_id: null });
      const { items } = await moderator.client.reports();
      expect(items[0]).toMatchObject({ id: aboutUser.id, reported_user_id: player.id });
      expect(items[1]).toMatchObject({
        id: receipt.id,
        reporter_id: b.id,
        reported_user_id: a.id,
        room_id: roomId,
        transcript: [
          { from: 'reported', body: 'first', created_at: expect.any(String) },
          { from: 'reporter', body: 'second', created_at: expect.any(String) },
        ],
      });
      await refused(a.client.report({ reason: 'nothing named' }), 400, 'validation_failed');
      await refused(a.client.report({ room_id: roomId, user_id: player.id, reason: 'two' }), 400, 'validation_failed');
      await refused(a.client.report({ room_id: roomId, reason: '   ' }), 400, 'validation_failed');
      await refused(a.client.report({ user_id: 'nosuchuser', reason: 'ghost' }), 404, 'not_found');
      await refused(player.client.report({ room_id: roomId, reason: 'not mine' }), 404, 'not_found');
    });

    it('GET /v1/admin/reports pages newest first with a Link to the next page', async () => {
      const moderator = await admin();
      const reporter = await musician();
      const target = await musician();
      for (const reason of ['one', 'two', 'three']) await reporter.client.report({ user_id: target.id, reason });
      const first = await moderator.client.reports({ limit: 2 });
      expect(first.items.map((r) => r.reason)).toEqual(['three', 'two']);
      expect(first.next).toBeDefined();
      const second = await moderator.client.page<{ reason: string }>(first.next!);
      expect(second.items[0]?.reason).toBe('one');
    });

    it('reports and bans are for admins: 403 for a registered user', async () => {
      const player = await musician();
      await refused(player.client.reports(), 403, 'forbidden');
      await refused(player.client.ban({ user_id: player.id, reason: 'x' }), 403, 'forbidden');
    });

    it('a ban ends the user’s sessions and closes their sockets; they cannot log in until it ends', async () => {
      const moderator = await admin();
      const body = newMusician();
      const offender = server.client();
      const { id } = await offender.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ username: body.username, password: body.password });
      const sockets = [await connect(server.url, { token: offender.token }), await connect(server.url, { token: laptop.token })];
      const until = iso(clock.now() + HOUR);
      const ban = await moderator.client.ban({ user_id: id, reason: 'harassment', until });
      expect(ban).toEqual({ id: expect.any(String), user_id: id, reason: 'harassment', until, created_by: moderator.id, created_at: iso(clock.now()) });
      for (const socket of sockets) expect((await socket.waitClosed()).code).toBe(4403);
      await refused(offender.me(), 401);
      const refusal = await refused(server.client().logIn({ username: body.username, password: body.password }), 403, 'account_banned');
      expect(refusal.body.details).toEqual([{ until }]);
      await refused(server.client().logIn({ username: body.username, password: 'wrong password' }), 401, 'invalid_credentials');
      clock.advance(HOUR);
      await server.client().logIn({ username: body.username, password: body.password });
    });

    it('a banned user leaves the queue and their rooms: the partner gets member.left', async () => {
      const moderator = await admin();
      const { a, b, onA, roomId } = await room(['talk', 'talk']);
      const waiting = await musician();
      await enqueue(waiting, 'vent');
      await moderator.client.ban({ user_id: b.id, reason: 'abuse', until: iso(clock.now() + HOUR) });
      await moderator.client.ban({ user_id: waiting.id, reason: 'abuse', until: iso(clock.now() + HOUR) });
      await onA.next('member.left', (f) => f.channel_id === roomId);
      await refused(a.client.post(roomId, { body: 'hello?' }), 422, 'partner_left');
      const listener = await guest();
      expect(await enqueue(listener, 'listen')).toMatchObject({ status: 202 });
      clock.advance(HOUR);
    });

    it('new guest identities from the address of a banned guest are rate limited: 429 with Retry-After', async () => {
      const moderator = await admin();
      const { a, b, roomId } = await room();
      const message = await a.client.post(roomId, { body: 'abuse' });
      await b.client.report({ message_id: message.id, reason: 'abusive' });
      await moderator.client.ban({ user_id: a.id, reason: 'abusive', until: iso(clock.now() + HOUR) });
      await server.client().guest();
      await server.client().guest();
      const limited = await refused(server.client().guest(), 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      clock.advance(HOUR);
      await server.client().guest();
    });

    it('a ban needs a known user, a reason and an end in the future', async () => {
      const moderator = await admin();
      const player = await musician();
      await refused(moderator.client.ban({ user_id: 'nosuchuser', reason: 'x' }), 404, 'not_found');
      await refused(moderator.client.ban({ user_id: player.id, reason: ' ' }), 400, 'validation_failed');
      await refused(moderator.client.ban({ user_id: player.id, reason: 'x', until: iso(clock.now() - 1000) }), 400, 'validation_failed');
      await refused(moderator.client.ban({ user_id: player.id, reason: 'x', until: 'tomorrow' }), 400, 'validation_failed');
      await refused(moderator.client.ban({ user_id: moderator.id, reason: 'x' }), 400, 'validation_failed');
    });

    it('POST /v1/rooms/{id}/block: the blocked partner is never matched with the blocker again, in either direction', async () => {
      const { a, b, roomId } = await room(['talk', 'talk']);
      await a.client.blockPartner(roomId);
      await a.client.leaveRoom(roomId);
      await b.client.leaveRoom(roomId);
      expect(await enqueue(a, 'talk')).toMatchObject({ status: 202 });
      expect(await enqueue(b, 'talk')).toMatchObject({ status: 202 });
      const other = await guest();
      const matched = await enqueue(other, 'talk');
      expect(matched).toMatchObject({ status: 200, state: 'matched' });
      const [stateA, stateB] = [await a.client.queueState(), await b.client.queueState()];
      // The newcomer took the oldest (a); b still waits rather than being paired with a.
      expect(stateA).toMatchObject({ state: 'matched', room_id: matched.room_id });
      expect(stateB.state).toBe('queued');
    });
  });
});
