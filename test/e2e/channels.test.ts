import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RiffApiError,
  type AnnouncementView,
  type ChannelView,
  type HistoryItemView,
  type MemberView,
  type MessageView,
  type RiffClient,
} from '../../src/client/index.js';
import type { Clock } from '../../src/platform/clock.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { failure, refused, randomTag } from '../helpers/failures.js';

/**
 * Real time, but never the same millisecond twice: "most recently active first" and "newest
 * first" then have one right answer however fast the requests come.
 */
function strictlyIncreasingClock(): Clock {
  let last = 0;
  return { now: () => (last = Math.max(Date.now(), last + 1)) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const isMessage = (item: HistoryItemView): item is MessageView => item.kind === 'message';
const isAnnouncement = (item: HistoryItemView): item is AnnouncementView => item.kind === 'announcement';
/** Whom an announcement is about. */
const subject = (item: AnnouncementView) => (item.announcement as { user_id?: string }).user_id;

interface Player {
  client: RiffClient;
  id: string;
  username: string;
  /** How announcements name them. */
  name: string;
  token: string;
}

describeEachDialect('channels', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock: strictlyIncreasingClock() });
  });
  afterAll(() => server.close());

  let players = 0;
  async function player(): Promise<Player> {
    const n = ++players;
    const first_name = `Player${n}`;
    const last_name = randomTag();
    const client = server.client();
    const user = await client.signUp(newMusician({ first_name, last_name }));
    return { client, id: user.id, username: user.username!, name: `${first_name} ${last_name}`, token: user.token };
  }

  async function raw(method: string, path: string, options: { token?: string; body?: unknown; text?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.text !== undefined || options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = options.text ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : undefined) as unknown };
  }

  function expectEnvelope(response: { status: number; json: unknown }, status: number, code: string): void {
    expect(response.status).toBe(status);
    expect(response.json).toEqual({ error: { code, message: expect.any(String), details: expect.any(Array) } });
  }

  async function createChannel(owner: Player, input: { name?: string; description?: string; private?: boolean; members?: string[] } = {}): Promise<ChannelView> {
    return owner.client.createChannel({ name: input.name ?? `Room ${randomTag()}`, ...input });
  }

  /** The whole history of a channel, read forward page by page through the `Link` header. */
  async function wholeHistory(client: RiffClient, channelId: string): Promise<HistoryItemView[]> {
    const items: HistoryItemView[] = [];
    let page = await client.history(channelId, { after: 0, limit: 100 });
    items.push(...page.items);
    while (page.next) {
      page = await client.page<HistoryItemView>(page.next);
      items.push(...page.items);
    }
    return items;
  }

  async function myChannel(client: RiffClient, channelId: string): Promise<ChannelView | undefined> {
    return (await client.channels()).find((c) => c.id === channelId);
  }

  describe('General and my channels: GET /v1/channels', () => {
    it('everyone joins "General" (id general) at sign-up, announced in its history', async () => {
      const ann = await player();
      const mine = await ann.client.channels();
      expect(mine.map((c) => c.id)).toEqual(['general']);
      expect(mine[0]).toMatchObject({ id: 'general', kind: 'channel', name: 'General', private: false, is_member: true, unread_count: 0 });
      const history = (await ann.client.history('general')).items;
      const joined = history.filter(isAnnouncement).find((a) => subject(a) === ann.id);
      expect(joined).toMatchObject({ kind: 'announcement', creator: null, body: `${ann.name} joined`, announcement: { type: 'member_joined', user_id: ann.id } });
      expect((await ann.client.members('general')).map((m) => m.id)).toContain(ann.id);
    });

    it('lists my channels most recently active first, with last_seq, last_read_seq, unread_count and is_member', async () => {
      const ann = await player();
      const bob = await player();
      const a = await createChannel(ann);
      const b = await createChannel(ann);
      const c = await createChannel(ann);
      await bob.client.post(b.id, { body: 'hey' });
      await ann.client.post(a.id, { body: 'first' });
      const mine = await ann.client.channels();
      expect(mine.map((ch) => ch.id)).toEqual([a.id, b.id, c.id, 'general']);
      const pick = (ch: ChannelView | undefined) => ch && { last_seq: ch.last_seq, last_read_seq: ch.last_read_seq, unread_count: ch.unread_count, is_member: ch.is_member };
      // a: created (1), Ann's message (2), and posting moved Ann's marker to it.
      expect(pick(mine[0])).toEqual({ last_seq: 2, last_read_seq: 2, unread_count: 0, is_member: true });
      // b: created (1), Bob joined by posting (2), Bob's message (3).
      expect(pick(mine[1])).toEqual({ last_seq: 3, last_read_seq: 0, unread_count: 1, is_member: true });
      expect(pick(mine[2])).toEqual({ last_seq: 1, last_read_seq: 0, unread_count: 0, is_member: true });
      expect(mine[0]).toMatchObject({ id: a.id, kind: 'channel', name: a.name, private: false, creator_id: ann.id, description: '' });
      expect((await bob.client.channels()).map((ch) => ch.id)).toEqual([b.id, 'general']);
    });

    it('?scope=public&q= discovers public channels by partial name in any case, never private ones; is_member false where I am not in', async () => {
      const tag = randomTag();
      const ann = await player();
      const stranger = await player();
      const open = await createChannel(ann, { name: `Jazz ${tag} Cellar` });
      const secret = await createChannel(ann, { name: `Jazz ${tag} Secret`, private: true });
      const other = await createChannel(ann, { name: `Blues ${tag}` });

      const found = await stranger.client.publicChannels(`ZZ ${tag.toUpperCase()}`);
      expect(found.map((c) => c.id)).toEqual([open.id]);
      expect(found[0]).toMatchObject({ id: open.id, name: `Jazz ${tag} Cellar`, private: false, is_member: false, last_seq: 1 });

      const all = await stranger.client.publicChannels(tag);
      expect(all.map((c) => c.id).sort()).toEqual([open.id, other.id].sort());
      expect(all.map((c) => c.id)).not.toContain(secret.id);

      const asCreator = await ann.client.publicChannels(`jazz ${tag}`);
      expect(asCreator.map((c) => ({ id: c.id, is_member: c.is_member }))).toEqual([{ id: open.id, is_member: true }]);
      expect((await stranger.client.publicChannels('General')).map((c) => c.id)).toContain('general');
    });
  });

  describe('creating channels: POST /v1/channels', () => {
    it('creates a public channel: 201, the creator is a member, and the history starts with a channel_created announcement', async () => {
      const ann = await player();
      const name = `Funk ${randomTag()}`;
      const { status, data } = await ann.client.request<ChannelView>('POST', '/v1/channels', { name, description: 'Slap bass only' });
      expect(status).toBe(201);
      expect(data).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        kind: 'channel',
        name,
        description: 'Slap bass only',
        private: false,
        creator_id: ann.id,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        last_seq: 1,
        last_read_seq: 0,
        unread_count: 0,
        is_member: true,
      });
      const members = await ann.client.members(data.id);
      expect(members).toEqual([
        { id: ann.id, username: ann.username, first_name: expect.any(String), last_name: expect.any(String), photo_url: null, joined_at: data.created_at, is_creator: true, online: false },
      ]);
      const history = (await ann.client.history(data.id)).items;
      expect(history).toEqual([
        {
          id: expect.any(String),
          kind: 'announcement',
          channel_id: data.id,
          seq: 1,
          body: `${ann.name} created ${name}`,
          creator: null,
          announcement: { type: 'channel_created', user_id: ann.id },
          created_at: expect.any(String),
        },
      ]);
    });

    it('creates a private channel with members at creation: they list it, nobody else sees it', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const outsider = await player();
      const channel = await createChannel(ann, { private: true, members: [bob.id, cleo.id, ann.id] });
      expect(channel.private).toBe(true);
      expect((await ann.client.members(channel.id)).map((m) => m.id).sort()).toEqual([ann.id, bob.id, cleo.id].sort());
      expect((await myChannel(bob.client, channel.id))?.is_member).toBe(true);
      expect((await myChannel(cleo.client, channel.id))?.private).toBe(true);
      expect(await myChannel(outsider.client, channel.id)).toBeUndefined();
      expect((await bob.client.history(channel.id)).items.map((i) => i.seq)).toEqual([1]);
    });

    it('refuses an unknown member id: 400 naming members, and creates nothing', async () => {
      const ann = await player();
      const guest = server.client();
      const { user_id: guestId } = await guest.guest();
      const before = (await ann.client.channels()).length;
      const unknown = await refused(ann.client.createChannel({ name: 'Ghosts', members: ['nosuchuser0000000000000000'] }), 400, 'validation_failed');
      expect(unknown.body.details.map((d) => d.field)).toEqual(['members']);
      await refused(ann.client.createChannel({ name: 'Ghosts', members: [guestId] }), 400, 'validation_failed');
      expect((await ann.client.channels()).length).toBe(before);
    });

    it.each([
      ['a whitespace-only name', { name: '   \t ' }],
      ['an empty name', { name: '' }],
      ['a name over 100 characters', { name: 'x'.repeat(101) }],
      ['a number as the name', { name: 5 }],
      ['a string for private', { name: 'Room', private: 'yes' }],
      ['no name', {}],
    ])('refuses %s: 400', async (_what, body) => {
      const ann = await player();
      const error = await refused(ann.client.createChannel(body as never), 400, 'validation_failed');
      expect(error.body.details.length).toBeGreaterThan(0);
    });
  });

  describe('who may use a channel', () => {
    let owner: Player;
    let outsider: Player;
    let secret: ChannelView;
    let secretMessage: MessageView;
    beforeAll(async () => {
      owner = await player();
      outsider = await player();
      secret = await createChannel(owner, { private: true });
      secretMessage = await owner.client.post(secret.id, { body: 'between us' });
    });

    it('a non-member of a private channel gets 403 on history, post, members, read and search in it', async () => {
      const c = outsider.client;
      for (const call of [
        () => c.history(secret.id),
        () => c.post(secret.id, { body: 'let me in' }),
        () => c.members(secret.id),
        () => c.markRead(secret.id, 1),
        () => c.searchChannel(secret.id, 'between'),
        () => c.addMember(secret.id, outsider.id),
        () => c.removeMember(secret.id, outsider.id),
        () => c.updateChannel(secret.id, { name: 'Mine now' }),
        () => c.deleteChannel(secret.id),
      ]) {
        await refused(call(), 403, 'forbidden');
      }
      expect((await owner.client.history(secret.id)).items.filter(isMessage).map((m) => m.body)).toEqual(['between us']);
    });

    it('on /v1/messages routes a message in a private channel I am not in is 404', async () => {
      await refused(outsider.client.editMessage(secretMessage.id, 'mine'), 404, 'not_found');
      await refused(outsider.client.deleteMessage(secretMessage.id), 404, 'not_found');
      await refused(outsider.client.react(secretMessage.id, '👍'), 404, 'not_found');
      await refused(outsider.client.unreact(secretMessage.id, '👍'), 404, 'not_found');
    });

    it('any registered user reads a public channel they are not in', async () => {
      const open = await createChannel(owner);
      await owner.client.post(open.id, { body: 'all welcome' });
      expect((await outsider.client.history(open.id)).items.map((i) => i.body)).toEqual([`${owner.name} created ${open.name}`, 'all welcome']);
      expect((await outsider.client.members(open.id)).map((m) => m.id)).toEqual([owner.id]);
      expect((await outsider.client.searchChannel(open.id, 'welcome')).items.map((m) => m.body)).toEqual(['all welcome']);
    });

    it('an unknown channel id is 404 on every channel route', async () => {
      const c = outsider.client;
      const id = 'nosuchchannel00000000000000';
      for (const call of [
        () => c.history(id),
        () => c.post(id, { body: 'hello?' }),
        () => c.updateChannel(id, { name: 'x' }),
        () => c.deleteChannel(id),
        () => c.members(id),
        () => c.addMember(id, outsider.id),
        () => c.removeMember(id, outsider.id),
        () => c.markRead(id, 1),
        () => c.searchChannel(id, 'hello'),
      ]) {
        await refused(call(), 404, 'not_found');
      }
    });

    it('a guest gets 403 guest_forbidden on channel routes', async () => {
      const guest = server.client();
      const { user_id } = await guest.guest();
      const open = await createChannel(owner);
      for (const call of [
        () => guest.channels(),
        () => guest.publicChannels(),
        () => guest.createChannel({ name: 'Guests only' }),
        () => guest.history(open.id),
        () => guest.post(open.id, { body: 'hi' }),
        () => guest.members(open.id),
        () => guest.addMember(open.id, user_id),
        () => guest.removeMember(open.id, user_id),
        () => guest.markRead(open.id, 1),
        () => guest.searchChannel(open.id, 'hi'),
        () => guest.search('hi'),
        () => guest.updateChannel(open.id, { name: 'x' }),
        () => guest.deleteChannel(open.id),
        () => guest.history('general'),
      ]) {
        await refused(call(), 403, 'guest_forbidden');
      }
      expect((await owner.client.history(open.id)).items.filter(isMessage)).toEqual([]);
    });

    it('without a session the channel routes are 401', async () => {
      const anonymous = server.client();
      await refused(anonymous.channels(), 401, 'unauthorized');
      await refused(anonymous.history('general'), 401, 'unauthorized');
      await refused(anonymous.post('general', { body: 'hi' }), 401, 'unauthorized');
    });
  });

  describe('renaming and deleting: PATCH and DELETE /v1/channels/{id}', () => {
    it('only the creator renames or describes: 200 with a channel_renamed announcement; anyone else 403', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      const newName = `Renamed ${randomTag()}`;
      await refused(bob.client.updateChannel(channel.id, { name: 'Bob’s room' }), 403, 'forbidden');
      const renamed = await ann.client.updateChannel(channel.id, { name: newName });
      expect(renamed).toMatchObject({ id: channel.id, name: newName, description: '', last_seq: 2 });
      const described = await ann.client.updateChannel(channel.id, { description: 'Tuesdays at 8' });
      expect(described).toMatchObject({ name: newName, description: 'Tuesdays at 8', last_seq: 3 });
      const history = (await bob.client.history(channel.id)).items;
      expect(history.map((i) => [i.seq, i.kind, i.body])).toEqual([
        [1, 'announcement', `${ann.name} created ${channel.name}`],
        [2, 'announcement', `${ann.name} renamed the channel to ${newName}`],
        [3, 'announcement', `${ann.name} changed the channel’s description`],
      ]);
      expect((history[1] as AnnouncementView).announcement).toEqual({ type: 'channel_renamed', user_id: ann.id, name: newName });
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ name: newName, description: 'Tuesdays at 8' });
      await refused(ann.client.updateChannel(channel.id, { name: '   ' }), 400, 'validation_failed');
      await refused(ann.client.updateChannel(channel.id, {}), 400, 'validation_failed');
      await refused(ann.client.updateChannel(channel.id, { topic: 'jazz' } as never), 400, 'validation_failed');
    });

    it('only the creator deletes (403 for a member); afterwards the channel is 404 and gone from every list', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      await bob.client.post(channel.id, { body: 'still here' });
      await refused(bob.client.deleteChannel(channel.id), 403, 'forbidden');
      const { status, data } = await ann.client.request<ChannelView>('DELETE', `/v1/channels/${channel.id}`);
      expect(status).toBe(200);
      expect(data).toMatchObject({ id: channel.id, name: channel.name });
      await refused(bob.client.history(channel.id), 404, 'not_found');
      await refused(bob.client.post(channel.id, { body: 'hello?' }), 404, 'not_found');
      await refused(ann.client.members(channel.id), 404, 'not_found');
      await refused(ann.client.deleteChannel(channel.id), 404, 'not_found');
      expect(await myChannel(ann.client, channel.id)).toBeUndefined();
      expect(await myChannel(bob.client, channel.id)).toBeUndefined();
      expect((await bob.client.publicChannels(channel.name)).map((c) => c.id)).toEqual([]);
    });

    it('General cannot be deleted: 403 channel_protected', async () => {
      const ann = await player();
      await refused(ann.client.deleteChannel('general'), 403, 'channel_protected');
      expect((await myChannel(ann.client, 'general'))?.name).toBe('General');
    });
  });

  describe('members: POST and DELETE /v1/channels/{id}/members', () => {
    it('the creator adds a member: 201 with the members, announced as "X added Y"', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { private: true });
      const { status, data } = await ann.client.request<MemberView[]>('POST', `/v1/channels/${channel.id}/members`, { user_id: bob.id });
      expect(status).toBe(201);
      expect(data.map((m) => ({ id: m.id, username: m.username, is_creator: m.is_creator }))).toEqual([
        { id: ann.id, username: ann.username, is_creator: true },
        { id: bob.id, username: bob.username, is_creator: false },
      ]);
      const last = (await bob.client.history(channel.id)).items.at(-1);
      expect(last).toMatchObject({ seq: 2, kind: 'announcement', creator: null, body: `${ann.name} added ${bob.name}`, announcement: { type: 'member_added', user_id: bob.id, by_user_id: ann.id } });
      expect((await myChannel(bob.client, channel.id))?.is_member).toBe(true);
      const again = await ann.client.request<MemberView[]>('POST', `/v1/channels/${channel.id}/members`, { user_id: bob.id });
      expect(again.status).toBe(200);
      await refused(ann.client.addMember(channel.id, 'nosuchuser0000000000000000'), 404, 'not_found');
    });

    it('a member who is not the creator cannot add someone else: 403', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const open = await createChannel(ann, { members: [bob.id] });
      await refused(bob.client.addMember(open.id, cleo.id), 403, 'forbidden');
      expect((await ann.client.members(open.id)).map((m) => m.id).sort()).toEqual([ann.id, bob.id].sort());
    });

    it('anyone joins a public channel with their own user_id: 201, then 200 when already a member', async () => {
      const ann = await player();
      const bob = await player();
      const open = await createChannel(ann);
      const joined = await bob.client.request<MemberView[]>('POST', `/v1/channels/${open.id}/members`, { user_id: bob.id });
      expect(joined.status).toBe(201);
      expect(joined.data.map((m) => m.id)).toEqual([ann.id, bob.id]);
      const again = await bob.client.request<MemberView[]>('POST', `/v1/channels/${open.id}/members`, { user_id: bob.id });
      expect(again.status).toBe(200);
      const announcements = (await ann.client.history(open.id)).items.filter(isAnnouncement);
      expect(announcements.map((a) => [a.body, a.announcement])).toEqual([
        [`${ann.name} created ${open.name}`, { type: 'channel_created', user_id: ann.id }],
        [`${bob.name} joined`, { type: 'member_joined', user_id: bob.id }],
      ]);
      expect((await myChannel(bob.client, open.id))?.is_member).toBe(true);
    });

    it('a private channel cannot be self-joined: 403', async () => {
      const ann = await player();
      const bob = await player();
      const secret = await createChannel(ann, { private: true });
      await refused(bob.client.addMember(secret.id, bob.id), 403, 'forbidden');
      expect((await ann.client.members(secret.id)).map((m) => m.id)).toEqual([ann.id]);
    });

    it('the creator removes a member, a member leaves by removing themself, and nobody else removes another: 403', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const channel = await createChannel(ann, { members: [bob.id, cleo.id] });
      await refused(bob.client.removeMember(channel.id, cleo.id), 403, 'forbidden');
      const removed = await ann.client.request<{ ok: true }>('DELETE', `/v1/channels/${channel.id}/members`, { user_id: bob.id });
      expect(removed).toMatchObject({ status: 200, data: { ok: true } });
      const left = await cleo.client.request<{ ok: true }>('DELETE', `/v1/channels/${channel.id}/members`, { user_id: cleo.id });
      expect(left).toMatchObject({ status: 200, data: { ok: true } });
      expect((await ann.client.members(channel.id)).map((m) => m.id)).toEqual([ann.id]);
      const announcements = (await ann.client.history(channel.id)).items.filter(isAnnouncement).slice(1);
      expect(announcements.map((a) => [a.seq, a.body, a.announcement])).toEqual([
        [2, `${ann.name} removed ${bob.name}`, { type: 'member_removed', user_id: bob.id, by_user_id: ann.id }],
        [3, `${cleo.name} left`, { type: 'member_left', user_id: cleo.id }],
      ]);
      expect(await myChannel(bob.client, channel.id)).toBeUndefined();
      expect(await myChannel(cleo.client, channel.id)).toBeUndefined();
      await refused(cleo.client.removeMember(channel.id, cleo.id), 404, 'not_found');
    });

    it('nobody leaves General: 403 channel_protected', async () => {
      const ann = await player();
      await refused(ann.client.removeMember('general', ann.id), 403, 'channel_protected');
      expect((await myChannel(ann.client, 'general'))?.is_member).toBe(true);
    });

    it('after leaving a private channel its history is 403', async () => {
      const ann = await player();
      const bob = await player();
      const secret = await createChannel(ann, { private: true, members: [bob.id] });
      await bob.client.post(secret.id, { body: 'bye all' });
      await bob.client.removeMember(secret.id, bob.id);
      await refused(bob.client.history(secret.id), 403, 'forbidden');
      await refused(bob.client.post(secret.id, { body: 'wait' }), 403, 'forbidden');
    });
  });

  describe('posting: POST /v1/channels/{id}', () => {
    let ann: Player;
    let channel: ChannelView;
    beforeAll(async () => {
      ann = await player();
      channel = await createChannel(ann);
    });

    it('answers 201 with the message, its body trimmed before validation and storage', async () => {
      const { status, data } = await ann.client.request<MessageView>('POST', `/v1/channels/${channel.id}`, { body: '  hi  \n' });
      expect(status).toBe(201);
      expect(data).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        kind: 'message',
        channel_id: channel.id,
        seq: expect.any(Number),
        body: 'hi',
        creator: { id: ann.id, username: ann.username, first_name: ann.name.split(' ')[0], last_name: ann.name.split(' ')[1], photo_url: null },
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        edited_at: null,
        nonce: null,
        reactions: [],
        reply_to: null,
        quote: null,
        reply_count: 0,
        mentions: [],
      });
      const stored = (await ann.client.history(channel.id)).items.find((i) => i.id === data.id);
      expect(stored?.body).toBe('hi');
    });

    it('refuses a whitespace-only or empty body: 400', async () => {
      for (const body of ['   \n\t ', '']) {
        const error = await refused(ann.client.post(channel.id, { body }), 400, 'validation_failed');
        expect(error.body.details.map((d) => d.field)).toEqual(['body']);
      }
    });

    it('accepts 4,000 code points (8,000 UTF-16 units) and refuses 4,001: 400', async () => {
      const longest = '🎸'.repeat(4000);
      expect(longest.length).toBe(8000);
      const posted = await ann.client.post(channel.id, { body: `  ${longest}  ` });
      expect(posted.body).toBe(longest);
      const stored = (await ann.client.history(channel.id)).items.find((i) => i.id === posted.id);
      expect(stored?.body).toBe(longest);
      await refused(ann.client.post(channel.id, { body: '🎸'.repeat(4001) }), 400, 'validation_failed');
      await refused(ann.client.post(channel.id, { body: 'x'.repeat(4001) }), 400, 'validation_failed');
    });

    it('posting in a public channel I am not in makes me a member; my join announcement comes just before my message', async () => {
      const bob = await player();
      const message = await bob.client.post(channel.id, { body: 'mind if I sit in?' });
      expect(message.created).toBe(true);
      const history = (await ann.client.history(channel.id, { after: message.seq - 2 })).items;
      expect(history.map((i) => [i.seq, i.kind, i.body])).toEqual([
        [message.seq - 1, 'announcement', `${bob.name} joined`],
        [message.seq, 'message', 'mind if I sit in?'],
      ]);
      expect((history[0] as AnnouncementView).announcement).toEqual({ type: 'member_joined', user_id: bob.id });
      expect((await myChannel(bob.client, channel.id))?.is_member).toBe(true);
      expect((await ann.client.members(channel.id)).map((m) => m.id)).toContain(bob.id);
      // A member already: no second announcement.
      const second = await bob.client.post(channel.id, { body: 'thanks' });
      expect(second.seq).toBe(message.seq + 1);
    });
  });

  describe('nonces: retried sends', () => {
    it('the same author and nonce again answers 200 with the original message and adds nothing', async () => {
      const ann = await player();
      const channel = await createChannel(ann);
      const first = await ann.client.request<MessageView>('POST', `/v1/channels/${channel.id}`, { body: 'once only', nonce: 'n-1' });
      expect(first.status).toBe(201);
      expect(first.data.nonce).toBe('n-1');
      const retry = await ann.client.request<MessageView>('POST', `/v1/channels/${channel.id}`, { body: '  once only ', nonce: 'n-1' });
      expect(retry.status).toBe(200);
      expect(retry.data).toEqual(first.data);
      const messages = (await ann.client.history(channel.id)).items.filter(isMessage);
      expect(messages.map((m) => m.id)).toEqual([first.data.id]);
      expect((await myChannel(ann.client, channel.id))?.last_seq).toBe(2);
    });

    it('the same nonce with another body is 409 nonce_reused', async () => {
      const ann = await player();
      const channel = await createChannel(ann);
      await ann.client.post(channel.id, { body: 'take one', nonce: 'n-2' });
      await refused(ann.client.post(channel.id, { body: 'take two', nonce: 'n-2' }), 409, 'nonce_reused');
      expect((await ann.client.history(channel.id)).items.filter(isMessage).map((m) => m.body)).toEqual(['take one']);
    });

    it('the same nonce in another channel is 409 nonce_reused', async () => {
      const ann = await player();
      const one = await createChannel(ann);
      const two = await createChannel(ann);
      await ann.client.post(one.id, { body: 'same words', nonce: 'n-3' });
      await refused(ann.client.post(two.id, { body: 'same words', nonce: 'n-3' }), 409, 'nonce_reused');
      expect((await ann.client.history(two.id)).items.filter(isMessage)).toEqual([]);
    });

    it('a nonce is unique per author: another author may use the same one', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      const mine = await ann.client.post(channel.id, { body: 'same', nonce: 'shared' });
      const theirs = await bob.client.post(channel.id, { body: 'same', nonce: 'shared' });
      expect(theirs.created).toBe(true);
      expect(theirs.id).not.toBe(mine.id);
    });

    it('10 concurrent sends with one nonce make exactly one message: one 201, the rest 200, all with its id', async () => {
      const ann = await player();
      const channel = await createChannel(ann);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => raw('POST', `/v1/channels/${channel.id}`, { token: ann.token, body: { body: 'racing', nonce: 'n-race' } })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      const ids = new Set(answers.map((a) => (a.json as MessageView).id));
      expect(ids.size).toBe(1);
      const messages = (await ann.client.history(channel.id)).items.filter(isMessage);
      expect(messages.map((m) => [m.id, m.body, m.nonce])).toEqual([[[...ids][0], 'racing', 'n-race']]);
      expect((await myChannel(ann.client, channel.id))?.last_seq).toBe(2);
    });
  });

  describe('history: GET /v1/channels/{id}', () => {
    let ann: Player;
    let channel: ChannelView;
    beforeAll(async () => {
      ann = await player();
      const bob = await player();
      const cleo = await player();
      channel = await createChannel(ann, { members: [bob.id, cleo.id] });
      // 105 messages (seq 2..106) from three people, so no one meets the rate limit.
      const authors = [ann, bob, cleo];
      for (let i = 1; i <= 105; i++) await authors[i % 3]!.client.post(channel.id, { body: `m${i}` });
    });

    it('with no cursor returns the newest 100 in chronological order, with a Link to the older ones', async () => {
      const page = await ann.client.history(channel.id);
      expect(page.items.map((i) => i.seq)).toEqual(range(7, 106));
      expect(page.items.map((i) => i.body)).toEqual(range(6, 105).map((n) => `m${n}`));
      expect(page.next).toBe(`/v1/channels/${channel.id}?before=7`);
      const response = await raw('GET', `/v1/channels/${channel.id}`, { token: ann.token });
      expect(response.headers.get('link')).toBe(`</v1/channels/${channel.id}?before=7>; rel="next"`);
    });

    it('before= pages back to the start, and the last page has no Link', async () => {
      const older = await ann.client.history(channel.id, { before: 7 });
      expect(older.items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(older.items.map((i) => i.kind)).toEqual(['announcement', 'message', 'message', 'message', 'message', 'message']);
      expect(older.next).toBeUndefined();
      const response = await raw('GET', `/v1/channels/${channel.id}?before=7`, { token: ann.token });
      expect(response.headers.get('link')).toBeNull();

      const small = await ann.client.history(channel.id, { before: 50, limit: 10 });
      expect(small.items.map((i) => i.seq)).toEqual(range(40, 49));
      expect(small.next).toBe(`/v1/channels/${channel.id}?limit=10&before=40`);
    });

    it('after= pages forward in chronological order, with a Link while there is more', async () => {
      const seqs: number[] = [];
      let page = await ann.client.history(channel.id, { after: 0, limit: 50 });
      expect(page.next).toBe(`/v1/channels/${channel.id}?limit=50&after=50`);
      seqs.push(...page.items.map((i) => i.seq));
      let pages = 1;
      while (page.next) {
        page = await ann.client.page<HistoryItemView>(page.next);
        seqs.push(...page.items.map((i) => i.seq));
        pages++;
      }
      expect(pages).toBe(3);
      expect(seqs).toEqual(range(1, 106));
      expect((await ann.client.history(channel.id, { after: 106 })).items).toEqual([]);
    });

    it.each([
      ['a limit over 100', 'limit=101'],
      ['a limit of 0', 'limit=0'],
      ['a non-numeric before', 'before=abc'],
      ['a negative after', 'after=-1'],
      ['a fractional limit', 'limit=2.5'],
    ])('refuses %s: 400', async (_what, query) => {
      const response = await raw('GET', `/v1/channels/${channel.id}?${query}`, { token: ann.token });
      expectEnvelope(response, 400, 'validation_failed');
    });
  });

  describe('the event log under concurrency', () => {
    it('20 people posting 50 messages each at once get seqs 1..N with no gaps or duplicates, N = last_seq, and every message kept', async () => {
      const owner = await player();
      const posters = await Promise.all(Array.from({ length: 20 }, () => player()));
      // 15 are members from the start; 5 join by posting, so join announcements race too.
      const channel = await createChannel(owner, { members: posters.slice(0, 15).map((p) => p.id) });
      const sent = await Promise.all(
        posters.map((p) => Promise.all(range(1, 50).map((i) => p.client.post(channel.id, { body: `${p.username} #${i}` })))),
      );
      const answers = sent.flat();
      expect(answers.every((m) => m.created)).toBe(true);

      const head = (await myChannel(owner.client, channel.id))!.last_seq;
      expect(head).toBe(1 + 5 + 1000);
      const items = await wholeHistory(owner.client, channel.id);
      expect(items.map((i) => i.seq)).toEqual(range(1, head));

      const messages = items.filter(isMessage);
      expect(messages).toHaveLength(1000);
      expect(new Set(messages.map((m) => m.body))).toEqual(new Set(posters.flatMap((p) => range(1, 50).map((i) => `${p.username} #${i}`))));
      expect(new Map(messages.map((m) => [m.id, m.seq]))).toEqual(new Map(answers.map((m) => [m.id, m.seq])));

      const joins = items.filter(isAnnouncement).filter((a) => a.announcement.type === 'member_joined');
      expect(joins.map(subject).sort()).toEqual(posters.slice(15).map((p) => p.id).sort());
      for (const join of joins) {
        const firstOwn = messages.find((m) => m.creator?.id === subject(join))!;
        expect(join.seq).toBeLessThan(firstOwn.seq);
      }
    }, 60_000);
  });

  describe('editing and deleting: PATCH and DELETE /v1/messages/{id}', () => {
    let ann: Player;
    let bob: Player;
    let outsider: Player;
    let channel: ChannelView;
    beforeAll(async () => {
      ann = await player();
      bob = await player();
      outsider = await player();
      channel = await createChannel(ann, { private: true, members: [bob.id] });
    });

    it('only the author edits: another member 403, a non-reader 404; the edit is trimmed, sets edited_at and shows in history', async () => {
      const message = await ann.client.post(channel.id, { body: 'frist' });
      await refused(bob.client.editMessage(message.id, 'hacked'), 403, 'forbidden');
      await refused(outsider.client.editMessage(message.id, 'hacked'), 404, 'not_found');
      await refused(ann.client.editMessage(message.id, '   '), 400, 'validation_failed');
      await refused(ann.client.editMessage(message.id, '🎸'.repeat(4001)), 400, 'validation_failed');
      const edited = await ann.client.editMessage(message.id, '  first  ');
      expect(edited).toMatchObject({ id: message.id, seq: message.seq, body: 'first', created_at: message.created_at, edited_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
      expect(message.edited_at).toBeNull();
      const inHistory = (await bob.client.history(channel.id)).items.find((i) => i.id === message.id) as MessageView;
      expect(inHistory).toMatchObject({ body: 'first', edited_at: edited.edited_at, seq: message.seq });
    });

    it('only the author deletes (403 for others); the message leaves history and is 404 from then on', async () => {
      const message = await ann.client.post(channel.id, { body: 'oops' });
      await refused(bob.client.deleteMessage(message.id), 403, 'forbidden');
      await refused(outsider.client.deleteMessage(message.id), 404, 'not_found');
      const { status, data } = await ann.client.request('DELETE', `/v1/messages/${message.id}`);
      expect(status).toBe(200);
      expect(data).toEqual({ id: message.id });
      expect((await bob.client.history(channel.id)).items.map((i) => i.id)).not.toContain(message.id);
      await refused(ann.client.editMessage(message.id, 'back'), 404, 'not_found');
      await refused(ann.client.deleteMessage(message.id), 404, 'not_found');
      await refused(ann.client.react(message.id, '👍'), 404, 'not_found');
    });

    it('a deleted message’s nonce stays used: 409 nonce_reused', async () => {
      const message = await ann.client.post(channel.id, { body: 'gone soon', nonce: 'n-deleted' });
      await ann.client.deleteMessage(message.id);
      await refused(ann.client.post(channel.id, { body: 'gone soon', nonce: 'n-deleted' }), 409, 'nonce_reused');
    });
  });

  describe('reactions: PUT and DELETE /v1/messages/{id}/reactions/{emoji}', () => {
    let ann: Player;
    let bob: Player;
    let reader: Player;
    let message: MessageView;
    beforeAll(async () => {
      ann = await player();
      bob = await player();
      reader = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      message = await ann.client.post(channel.id, { body: 'new riff, what do you think?' });
    });

    const reactionsIn = async (viewer: Player) =>
      ((await viewer.client.history(message.channel_id)).items.find((i) => i.id === message.id) as MessageView).reactions;

    it('a like counts once per person, each viewer sees their own me, and DELETE takes mine back', async () => {
      const first = await ann.client.request('PUT', `/v1/messages/${message.id}/reactions/${encodeURIComponent('👍')}`);
      expect(first).toMatchObject({ status: 200, data: { message_id: message.id, reactions: [{ emoji: '👍', count: 1, me: true }] } });
      expect(await ann.client.react(message.id, '👍')).toEqual({ message_id: message.id, reactions: [{ emoji: '👍', count: 1, me: true }] });
      expect(await bob.client.react(message.id, '👍')).toEqual({ message_id: message.id, reactions: [{ emoji: '👍', count: 2, me: true }] });
      expect(await bob.client.react(message.id, '🎸')).toEqual({
        message_id: message.id,
        reactions: [
          { emoji: '👍', count: 2, me: true },
          { emoji: '🎸', count: 1, me: true },
        ],
      });
      expect(await reactionsIn(ann)).toEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: '🎸', count: 1, me: false },
      ]);
      expect(await reactionsIn(reader)).toEqual([
        { emoji: '👍', count: 2, me: false },
        { emoji: '🎸', count: 1, me: false },
      ]);
      expect(await ann.client.unreact(message.id, '👍')).toEqual({
        message_id: message.id,
        reactions: [
          { emoji: '👍', count: 1, me: false },
          { emoji: '🎸', count: 1, me: false },
        ],
      });
      expect(await ann.client.unreact(message.id, '👍')).toEqual({
        message_id: message.id,
        reactions: [
          { emoji: '👍', count: 1, me: false },
          { emoji: '🎸', count: 1, me: false },
        ],
      });
      expect(await reactionsIn(bob)).toEqual([
        { emoji: '👍', count: 1, me: true },
        { emoji: '🎸', count: 1, me: true },
      ]);
    });

    it('takes emoji with variation selectors, skin tones and joiners', async () => {
      for (const emoji of ['❤️', '👍🏽', '👩‍🎤']) {
        const { reactions } = await reader.client.react(message.id, emoji);
        expect(reactions.find((r) => r.emoji === emoji)).toEqual({ emoji, count: 1, me: true });
      }
    });

    it('refuses something that is not an emoji: 400', async () => {
      for (const text of ['abc', 'a👍', ' ']) {
        const response = await raw('PUT', `/v1/messages/${message.id}/reactions/${encodeURIComponent(text)}`, { token: bob.token });
        expectEnvelope(response, 400, 'validation_failed');
      }
    });

    it('reacting to a message in a private channel I cannot read is 404', async () => {
      const secret = await createChannel(ann, { private: true });
      const hidden = await ann.client.post(secret.id, { body: 'hidden' });
      await refused(reader.client.react(hidden.id, '👍'), 404, 'not_found');
      expect((await ann.client.history(secret.id)).items.find((i) => i.id === hidden.id)).toMatchObject({ reactions: [] });
    });
  });

  describe('read markers and unread counts', () => {
    it('unread_count counts other people’s live messages after my marker — not mine, nor announcements, edits or reactions', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      await bob.client.post(channel.id, { body: 'b1' }); // seq 2, Bob's marker moves to 2
      const a1 = await ann.client.post(channel.id, { body: 'a1' }); // 3
      const a2 = await ann.client.post(channel.id, { body: 'a2' }); // 4
      const a3 = await ann.client.post(channel.id, { body: 'a3' }); // 5
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_seq: 5, last_read_seq: 2, unread_count: 3 });
      await ann.client.editMessage(a1.id, 'a1 (edited)'); // 6
      await ann.client.react(a2.id, '👍'); // 7
      await bob.client.react(a3.id, '🎸'); // 8
      await ann.client.addMember(channel.id, cleo.id); // 9
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_seq: 9, last_read_seq: 2, unread_count: 3 });
      expect(await myChannel(ann.client, channel.id)).toMatchObject({ last_seq: 9, last_read_seq: 5, unread_count: 0 });
      // Cleo joined after all of it: her marker starts at the head.
      expect(await myChannel(cleo.client, channel.id)).toMatchObject({ last_seq: 9, unread_count: 0 });
      await ann.client.deleteMessage(a2.id);
      expect((await myChannel(bob.client, channel.id))?.unread_count).toBe(2);
    });

    it('POST /v1/channels/{id}/read moves the marker forward; a lower seq never moves it back; a seq past the head is clamped to last_seq', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      for (const body of ['one', 'two', 'three', 'four']) await ann.client.post(channel.id, { body }); // seqs 2..5
      const { status, data } = await bob.client.request('POST', `/v1/channels/${channel.id}/read`, { seq: 3 });
      expect(status).toBe(200);
      expect(data).toEqual({ channel_id: channel.id, last_read_seq: 3, unread_count: 2 });
      expect(await bob.client.markRead(channel.id, 2)).toEqual({ channel_id: channel.id, last_read_seq: 3, unread_count: 2 });
      expect(await bob.client.markRead(channel.id, 0)).toEqual({ channel_id: channel.id, last_read_seq: 3, unread_count: 2 });
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_read_seq: 3, unread_count: 2 });
      expect(await bob.client.markRead(channel.id, 1_000_000)).toEqual({ channel_id: channel.id, last_read_seq: 5, unread_count: 0 });
      await ann.client.post(channel.id, { body: 'five' }); // 6
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_seq: 6, last_read_seq: 5, unread_count: 1 });
      await refused(bob.client.markRead(channel.id, -1), 400, 'validation_failed');
      await refused(bob.client.markRead(channel.id, '4' as never), 400, 'validation_failed');
    });

    it('posting moves my own marker to my message', async () => {
      const ann = await player();
      const bob = await player();
      const channel = await createChannel(ann, { members: [bob.id] });
      await ann.client.post(channel.id, { body: 'are you there?' });
      await ann.client.post(channel.id, { body: 'hello?' });
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_read_seq: 0, unread_count: 2 });
      const reply = await bob.client.post(channel.id, { body: 'yes!' });
      expect(await myChannel(bob.client, channel.id)).toMatchObject({ last_seq: reply.seq, last_read_seq: reply.seq, unread_count: 0 });
      expect(await myChannel(ann.client, channel.id)).toMatchObject({ last_read_seq: reply.seq - 1, unread_count: 1 });
    });

    it('two devices of one user see the same unread_count', async () => {
      const ann = await player();
      const body = newMusician();
      const phone = server.client();
      await phone.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ email: body.email, password: body.password });
      const channel = await createChannel(ann, { members: [(await phone.me()).id] });
      for (const text of ['x', 'y', 'z']) await ann.client.post(channel.id, { body: text });
      expect((await myChannel(phone, channel.id))?.unread_count).toBe(3);
      expect((await myChannel(laptop, channel.id))?.unread_count).toBe(3);
      await phone.markRead(channel.id, 3);
      expect(await myChannel(laptop, channel.id)).toMatchObject({ last_read_seq: 3, unread_count: 1 });
      expect(await myChannel(phone, channel.id)).toMatchObject({ last_read_seq: 3, unread_count: 1 });
    });
  });

  describe('search', () => {
    let ann: Player;
    let channel: ChannelView;
    const posted: Record<string, MessageView & { created: boolean }> = {};
    beforeAll(async () => {
      ann = await player();
      channel = await createChannel(ann);
      for (const body of ['hello world', 'say HELLO WORLD again', 'lo-fi beats', 'nothing here', '100% sure', 'snake_case', '100 sure', 'snakeXcase']) {
        posted[body] = await ann.client.post(channel.id, { body });
      }
    });

    const bodies = async (q: string) => (await ann.client.searchChannel(channel.id, q)).items.map((m) => m.body);

    it('GET /v1/channels/{id}/search finds a fragment inside a word, in any case, newest first', async () => {
      expect(await bodies('orld')).toEqual(['say HELLO WORLD again', 'hello world']);
      expect(await bodies('ORLD')).toEqual(['say HELLO WORLD again', 'hello world']);
      expect(await bodies('o wOr')).toEqual(['say HELLO WORLD again', 'hello world']);
      expect(await bodies('planet')).toEqual([]);
      const [found] = (await ann.client.searchChannel(channel.id, 'lo-fi')).items;
      const { created: _created, ...original } = posted['lo-fi beats']!;
      expect(found).toEqual(original);
    });

    it('1- and 2-character queries work too', async () => {
      expect(await bodies('lo')).toEqual(['lo-fi beats', 'say HELLO WORLD again', 'hello world']);
      expect(await bodies('LO')).toEqual(['lo-fi beats', 'say HELLO WORLD again', 'hello world']);
      expect(await bodies('w')).toEqual(['say HELLO WORLD again', 'hello world']);
    });

    it('% and _ in a query match themselves', async () => {
      expect(await bodies('%')).toEqual(['100% sure']);
      expect(await bodies('0%')).toEqual(['100% sure']);
      expect(await bodies('0% s')).toEqual(['100% sure']);
      expect(await bodies('_')).toEqual(['snake_case']);
      expect(await bodies('e_c')).toEqual(['snake_case']);
      expect(await bodies('e_case')).toEqual(['snake_case']);
      expect(await bodies('1_0')).toEqual([]);
    });

    it('refuses an empty, whitespace-only or missing q: 400', async () => {
      for (const query of ['q=', 'q=%20%20%09', '']) {
        expectEnvelope(await raw('GET', `/v1/channels/${channel.id}/search?${query}`, { token: ann.token }), 400, 'validation_failed');
        expectEnvelope(await raw('GET', `/v1/search?${query}`, { token: ann.token }), 400, 'validation_failed');
      }
    });

    it('search pages newest first with before= and limit=, in a channel and everywhere, each message once', async () => {
      const tag = randomTag();
      const mine = [];
      for (let i = 0; i < 5; i++) mine.push(await ann.client.post(channel.id, { body: `${tag}page ${i}` }));
      const newestFirst = mine.map((m) => m.id).reverse();
      for (const search of [(cursor: { before?: string }) => ann.client.searchChannel(channel.id, `${tag}page`, { ...cursor, limit: 2 }), (cursor: { before?: string }) => ann.client.search(`${tag}page`, { ...cursor, limit: 2 })]) {
        const seen: string[] = [];
        let before: string | undefined;
        for (let page = 0; page < 4; page++) {
          const { items, next } = await search({ before });
          seen.push(...items.map((m) => m.id));
          before = items.at(-1)?.id;
          expect(next === undefined).toBe(items.length < 2);
        }
        expect(seen).toEqual(newestFirst);
      }
    });

    it('GET /v1/search covers every channel I can read and never a private channel I am not in', async () => {
      const tag = randomTag();
      const me = await player();
      const other = await player();
      const openNotJoined = await createChannel(other);
      const mySecret = await createChannel(other, { private: true, members: [me.id] });
      const theirSecret = await createChannel(other, { private: true });
      const inOpen = await other.client.post(openNotJoined.id, { body: `open ${tag}zebra` });
      const inMine = await other.client.post(mySecret.id, { body: `mine ${tag}zebra` });
      const inTheirs = await other.client.post(theirSecret.id, { body: `theirs ${tag}zebra` });
      const mineByMe = await me.client.post('general', { body: `general ${tag}Zebra` });

      expect((await me.client.search(`${tag}ZEBRA`)).items.map((m) => m.id)).toEqual([mineByMe.id, inMine.id, inOpen.id]);
      expect((await me.client.search(`zebra`)).items.map((m) => m.id)).not.toContain(inTheirs.id);
      expect((await other.client.search(`${tag}zebra`)).items.map((m) => m.id)).toEqual([mineByMe.id, inTheirs.id, inMine.id, inOpen.id]);
      const [found] = (await me.client.search(`mine ${tag}`)).items;
      expect(found).toMatchObject({ id: inMine.id, channel_id: mySecret.id, body: `mine ${tag}zebra`, creator: { id: other.id } });
    });

    it('search follows edits and deletes', async () => {
      const tag = randomTag();
      const message = await ann.client.post(channel.id, { body: `${tag}oldword` });
      expect((await ann.client.searchChannel(channel.id, `${tag}old`)).items.map((m) => m.id)).toEqual([message.id]);
      await ann.client.editMessage(message.id, `${tag}newword`);
      expect((await ann.client.searchChannel(channel.id, `${tag}old`)).items).toEqual([]);
      expect((await ann.client.search(`${tag}old`)).items).toEqual([]);
      expect((await ann.client.searchChannel(channel.id, `${tag}new`)).items.map((m) => [m.id, m.body])).toEqual([[message.id, `${tag}newword`]]);
      expect((await ann.client.search(`${tag}new`)).items.map((m) => m.id)).toEqual([message.id]);
      await ann.client.deleteMessage(message.id);
      expect((await ann.client.searchChannel(channel.id, `${tag}new`)).items).toEqual([]);
      expect((await ann.client.search(`${tag}new`)).items).toEqual([]);
    });
  });

  describe('bad input', () => {
    let ann: Player;
    let channel: ChannelView;
    let message: MessageView;
    beforeAll(async () => {
      ann = await player();
      channel = await createChannel(ann);
      message = await ann.client.post(channel.id, { body: 'original' });
    });

    it('malformed JSON is 400 invalid_json', async () => {
      for (const [method, path] of [
        ['POST', '/v1/channels'],
        ['PATCH', `/v1/channels/${channel.id}`],
        ['POST', `/v1/channels/${channel.id}`],
        ['POST', `/v1/channels/${channel.id}/members`],
        ['POST', `/v1/channels/${channel.id}/read`],
        ['PATCH', `/v1/messages/${message.id}`],
      ] as const) {
        expectEnvelope(await raw(method, path, { token: ann.token, text: '{"body": "hi"' }), 400, 'invalid_json');
      }
    });

    it.each([
      ['a number as a message body', 'POST', 'channel', { body: 5 }, 'body'],
      ['an array as a message body', 'POST', 'channel', { body: ['hi'] }, 'body'],
      ['a number as a nonce', 'POST', 'channel', { body: 'hi', nonce: 7 }, 'nonce'],
      ['a number as an edit', 'PATCH', 'message', { body: 5 }, 'body'],
      ['a string as a read seq', 'POST', 'read', { seq: '5' }, 'seq'],
      ['a number as a member id', 'POST', 'members', { user_id: 5 }, 'user_id'],
      ['a number as a channel name', 'POST', 'channels', { name: 5 }, 'name'],
      ['a string as private', 'POST', 'channels', { name: 'Room', private: 'true' }, 'private'],
      ['a number as a new name', 'PATCH', 'channel', { name: 5 }, 'name'],
    ] as const)('refuses %s: 400 naming the field', async (_what, method, target, body, field) => {
      const path = {
        channel: `/v1/channels/${channel.id}`,
        message: `/v1/messages/${message.id}`,
        read: `/v1/channels/${channel.id}/read`,
        members: `/v1/channels/${channel.id}/members`,
        channels: '/v1/channels',
      }[target];
      const response = await raw(method, path, { token: ann.token, body });
      expectEnvelope(response, 400, 'validation_failed');
      expect((response.json as { error: { details: Array<{ field: string }> } }).error.details.map((d) => d.field)).toContain(field);
      expect((await ann.client.history(channel.id)).items.filter(isMessage).map((m) => m.body)).toEqual(['original']);
    });

    it('an unknown message id is 404 on every message route; an unsafe id is 400', async () => {
      const id = 'nosuchmessage0000000000000';
      expectEnvelope(await raw('PATCH', `/v1/messages/${id}`, { token: ann.token, body: { body: 'x' } }), 404, 'not_found');
      expectEnvelope(await raw('DELETE', `/v1/messages/${id}`, { token: ann.token }), 404, 'not_found');
      expectEnvelope(await raw('PUT', `/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`, { token: ann.token }), 404, 'not_found');
      expectEnvelope(await raw('DELETE', `/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`, { token: ann.token }), 404, 'not_found');
      expectEnvelope(await raw('PATCH', `/v1/messages/a%20b`, { token: ann.token, body: { body: 'x' } }), 400, 'validation_failed');
      expectEnvelope(await raw('GET', `/v1/channels/a%20b`, { token: ann.token }), 400, 'validation_failed');
    });
  });
});
