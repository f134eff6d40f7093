import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { EventView, MessageView, NotificationView, RiffClient } from '../../src/client/index.js';
import { iso, ManualClock } from '../../src/platform/clock.js';
import { refused, randomTag } from '../helpers/failures.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect } from '../helpers/socket.js';

const HOUR = 3_600_000;

interface Player {
  client: RiffClient;
  id: string;
  token: string;
  username: string;
}

describeEachDialect('replies, mentions, notifications and reminders', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock });
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  async function player(): Promise<Player> {
    const client = server.client();
    const user = await client.signUp(newMusician());
    return { client, id: user.id, token: user.token, username: user.username! };
  }

  const notificationsOf = async (p: Player) => (await p.client.notifications()).items;
  const about = (notifications: NotificationView[], messageId: string) => notifications.filter((n) => n.message_id === messageId);

  async function band(owner: Player, members: Player[], options: { private?: boolean } = {}) {
    return owner.client.createChannel({ name: `band ${randomTag()}`, members: members.map((m) => m.id), private: options.private ?? true });
  }

  it('lists a thread oldest first under its parent, with a quote that follows the parent’s edit and deletion', async () => {
    const [ana, ben, cat] = await Promise.all([player(), player(), player()]);
    const channel = await band(ana, [ben, cat]);
    const parent = await ana.client.post(channel.id, { body: 'Who can bring a bass amp on Friday?' });
    const first = await ben.client.post(channel.id, { body: 'I can, an Ampeg', reply_to: parent.id });
    await cat.client.post(channel.id, { body: 'unrelated: nice gig yesterday' });
    const second = await cat.client.post(channel.id, { body: 'I have a spare cab', reply_to: parent.id });

    expect(first).toMatchObject({ reply_to: parent.id, quote: { id: parent.id, body: 'Who can bring a bass amp on Friday?', deleted: false, creator: { id: ana.id } } });
    expect((await ana.client.replies(parent.id)).items.map((m) => m.id)).toEqual([first.id, second.id]);
    const inHistory = (await ana.client.history(channel.id)).items.find((item) => item.id === parent.id) as MessageView;
    expect(inHistory.reply_count).toBe(2);

    await ana.client.editMessage(parent.id, 'Who can bring a bass amp on Saturday?');
    const thread = (await cat.client.replies(parent.id)).items;
    expect(thread.map((m) => m.id)).toEqual([first.id, second.id]);
    expect(thread.map((m) => m.quote?.body)).toEqual(['Who can bring a bass amp on Saturday?', 'Who can bring a bass amp on Saturday?']);

    await ben.client.deleteMessage(first.id);
    expect(((await ana.client.history(channel.id)).items.find((item) => item.id === parent.id) as MessageView).reply_count).toBe(1);
    await ana.client.deleteMessage(parent.id);
    const orphan = (await ben.client.history(channel.id)).items.find((item) => item.id === second.id) as MessageView;
    expect(orphan.quote).toMatchObject({ id: parent.id, body: '', deleted: true });
  });

  it('refuses a reply to a message of another channel, and hides a private thread', async () => {
    const [ana, ben, eve] = await Promise.all([player(), player(), player()]);
    const here = await band(ana, [ben]);
    const there = await band(ana, []);
    const elsewhere = await ana.client.post(there.id, { body: 'elsewhere' });
    await refused(ana.client.post(here.id, { body: 'a reply', reply_to: elsewhere.id }), 400, 'validation_failed');
    await refused(ana.client.post(here.id, { body: 'a reply', reply_to: 'nothing' }), 400, 'validation_failed');
    await refused(eve.client.replies(elsewhere.id), 404, 'not_found');
  });

  it('turns @username into one mention and one notification for that person, never for someone who cannot read the channel', async () => {
    const [ana, ben, outsider] = await Promise.all([player(), player(), player()]);
    const channel = await band(ana, [ben]);
    const message = await ana.client.post(channel.id, { body: `@${ben.username} and @${outsider.username} and @${ben.username.toUpperCase()}, soundcheck at 6. @nobody-here` });
    expect(message.mentions).toEqual([ben.id]);

    const bens = about(await notificationsOf(ben), message.id);
    expect(bens).toEqual([expect.objectContaining({ type: 'mention', channel_id: channel.id, actor_id: ana.id, read: false })]);
    expect(about(await notificationsOf(outsider), message.id)).toEqual([]);
    expect(about(await notificationsOf(ana), message.id)).toEqual([]);
  });

  it('mentions anyone registered in a public channel, since they can read it', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const channel = await band(ana, [], { private: false });
    const message = await ana.client.post(channel.id, { body: `@${ben.username} come and see` });
    expect(message.mentions).toEqual([ben.id]);
    expect(about(await notificationsOf(ben), message.id)).toHaveLength(1);
  });

  it('tells the author of the original about a reply, once even when the reply also names them', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const channel = await band(ana, [ben]);
    const parent = await ana.client.post(channel.id, { body: 'Setlist draft is up' });
    const reply = await ben.client.post(channel.id, { body: `@${ana.username} looks good`, reply_to: parent.id });
    const plain = await ben.client.post(channel.id, { body: 'and one more thing', reply_to: parent.id });
    expect(about(await notificationsOf(ana), reply.id).map((n) => n.type)).toEqual(['mention']);
    expect(about(await notificationsOf(ana), plain.id).map((n) => n.type)).toEqual(['reply']);
  });

  it('notifies every member for @channel in a small channel, but only from the creator in a big one', async () => {
    const people = await Promise.all(Array.from({ length: 22 }, () => player()));
    const [owner, member, ...rest] = people as [Player, Player, ...Player[]];
    const small = await band(owner, [member, rest[0]!]);
    const call = await member.client.post(small.id, { body: '@channel rehearsal moved to 8' });
    expect(call.mentions_channel).toBe(true);
    expect(about(await notificationsOf(owner), call.id)).toHaveLength(1);
    expect(about(await notificationsOf(rest[0]!), call.id)).toHaveLength(1);

    const big = await band(owner, [member, ...rest]);
    const ignored = await member.client.post(big.id, { body: '@channel anyone?' });
    expect(ignored.mentions_channel).toBeUndefined();
    expect(about(await notificationsOf(owner), ignored.id)).toEqual([]);
    const honoured = await owner.client.post(big.id, { body: '@channel the gig is on' });
    expect(honoured.mentions_channel).toBe(true);
    expect(about(await notificationsOf(rest[19]!), honoured.id)).toHaveLength(1);
  });

  it('follows each person’s channel settings: none suppresses, mentions skips @channel, a mute lasts until its time', async () => {
    const [ana, ben, cat] = await Promise.all([player(), player(), player()]);
    const channel = await band(ana, [ben, cat]);
    expect(await ben.client.notificationSettings(channel.id)).toEqual({ channel_id: channel.id, level: 'all', muted_until: null });
    expect(await ben.client.setNotificationSettings(channel.id, { level: 'none' })).toEqual({ channel_id: channel.id, level: 'none', muted_until: null });
    await cat.client.setNotificationSettings(channel.id, { level: 'mentions' });

    const named = await ana.client.post(channel.id, { body: `@${ben.username} @${cat.username} tune to 442` });
    const everyone = await ana.client.post(channel.id, { body: '@channel doors at 7' });
    expect(about(await notificationsOf(ben), named.id)).toEqual([]);
    expect(about(await notificationsOf(cat), named.id)).toHaveLength(1);
    expect(about(await notificationsOf(cat), everyone.id)).toEqual([]);

    const until = iso(clock.now() + HOUR);
    await ben.client.setNotificationSettings(channel.id, { level: 'all', muted_until: until });
    const muted = await ana.client.post(channel.id, { body: `@${ben.username} still there?` });
    expect(about(await notificationsOf(ben), muted.id)).toEqual([]);
    clock.advance(HOUR + 1000);
    const later = await ana.client.post(channel.id, { body: `@${ben.username} now?` });
    expect(about(await notificationsOf(ben), later.id)).toHaveLength(1);

    const outsider = await player();
    await refused(outsider.client.setNotificationSettings(channel.id, { level: 'none' }), 403);
  });

  it('notifies the other people of a DM of every message, live, and counts them in my profile until read', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const socket = await connect(server.url, { token: ben.token });
    const dm = await ana.client.openDm({ user_id: ben.id });
    const message = await ana.client.post(dm.id, { body: 'fancy a duo set?' });

    const frame = await socket.next('notification', (f) => f.data.message_id === message.id);
    expect(frame.data).toMatchObject({ type: 'dm', channel_id: dm.id, actor_id: ana.id, read: false, data: { snippet: 'fancy a duo set?' } });
    expect((await ben.client.me()).unread_notifications).toBe(1);
    expect((await ana.client.me()).unread_notifications).toBe(0);

    const second = await ana.client.post(dm.id, { body: 'Sunday works' });
    const [newest] = await notificationsOf(ben);
    expect(newest?.message_id).toBe(second.id);
    expect(await ben.client.markNotificationsRead({ ids: [newest!.id] })).toEqual({ unread_count: 1 });
    // Unread first: the older, unread one now leads the list.
    expect((await notificationsOf(ben)).map((n) => [n.message_id, n.read])).toEqual([
      [message.id, false],
      [second.id, true],
    ]);
    expect(await ben.client.markNotificationsRead({ all: true })).toEqual({ unread_count: 0 });
    expect((await ben.client.notifications({ unread: true })).items).toEqual([]);
  });

  it('sends nothing from someone I blocked', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const channel = await band(ana, [ben]);
    await ben.client.block(ana.id);
    const message = await ana.client.post(channel.id, { body: `@${ben.username} hello?` });
    expect(about(await notificationsOf(ben), message.id)).toEqual([]);
  });

  it('pages notifications by the Link header, unread ones first', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const dm = await ana.client.openDm({ user_id: ben.id });
    for (let i = 0; i < 5; i++) await ana.client.post(dm.id, { body: `note ${i}` });
    const first = await ben.client.notifications({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next).toBeDefined();
    const seen = [...first.items];
    for (let next = first.next; next; ) {
      const page = await ben.client.page<NotificationView>(next);
      seen.push(...page.items);
      next = page.next;
    }
    expect(seen.map((n) => n.data.snippet)).toEqual(['note 4', 'note 3', 'note 2', 'note 1', 'note 0']);
  });

  async function meetup(organizer: Player, input: { capacity?: number; hours?: number } = {}): Promise<EventView> {
    return organizer.client.createEvent({ title: `Jam ${randomTag()}`, starts_at: iso(clock.now() + (input.hours ?? 48) * HOUR), time_zone: 'Europe/Berlin', location: 'Room 3', ...(input.capacity ? { capacity: input.capacity } : {}) });
  }
  const ofEvent = async (p: Player, eventId: string) => (await notificationsOf(p)).filter((n) => n.event_id === eventId).map((n) => n.type);

  async function runDueJobs(): Promise<void> {
    await server.riff.jobs.runDue();
    await server.riff.jobs.runDue();
  }

  it('tells people of a seat from the waitlist, polls opening and closing, changes and cancellation of their meetup', async () => {
    const [host, ben, cat] = await Promise.all([player(), player(), player()]);
    const event = await meetup(host, { capacity: 2 });
    await ben.client.joinEvent(event.id);
    await cat.client.joinEvent(event.id);
    expect((await cat.client.rsvp(event.id, 'going')).status).toBe('waitlisted');
    await ben.client.rsvp(event.id, 'not_going');
    expect(await ofEvent(cat, event.id)).toEqual(['rsvp_promoted']);

    const poll = await host.client.createPoll(event.id, { kind: 'generic', question: 'Bring snacks?', options: ['yes', 'no'] });
    expect(await ofEvent(cat, event.id)).toEqual(['poll_opened', 'rsvp_promoted']);
    expect(await ofEvent(ben, event.id)).toEqual([]);
    await cat.client.vote(poll.id, 0);
    await host.client.vote(poll.id, 0);
    expect((await ofEvent(cat, event.id))[0]).toBe('poll_closed');

    await host.client.updateEvent(event.id, { location: 'Room 5' });
    expect((await ofEvent(cat, event.id))[0]).toBe('event_changed');
    await host.client.cancelEvent(event.id);
    expect((await ofEvent(cat, event.id))[0]).toBe('event_cancelled');
    expect(await ofEvent(host, event.id)).toEqual(['poll_closed']);
  });

  it('reminds the people going a day and an hour before, once each, and not for a moved or cancelled meetup', async () => {
    const [host, ben, maybe] = await Promise.all([player(), player(), player()]);
    const event = await meetup(host, { hours: 30 });
    await ben.client.joinEvent(event.id);
    await maybe.client.rsvp(event.id, 'maybe');
    const cancelled = await meetup(host, { hours: 30 });
    await ben.client.joinEvent(cancelled.id);
    await host.client.cancelEvent(cancelled.id);

    clock.advance(5 * HOUR);
    await runDueJobs();
    expect(await ofEvent(ben, event.id)).toEqual([]);
    clock.advance(1 * HOUR + 1000);
    await runDueJobs();
    await runDueJobs();
    const reminders = (await notificationsOf(ben)).filter((n) => n.type === 'reminder' && n.event_id === event.id);
    expect(reminders.map((n) => n.data.lead)).toEqual(['24h']);
    expect(await ofEvent(host, event.id)).toEqual(['reminder']);
    expect(await ofEvent(maybe, event.id)).toEqual([]);

    // Moved a day later: the hour-before reminder follows the new time.
    await host.client.updateEvent(event.id, { starts_at: iso(Date.parse(event.starts_at) + 24 * HOUR) });
    clock.advance(24 * HOUR);
    await runDueJobs();
    expect((await notificationsOf(ben)).filter((n) => n.type === 'reminder' && n.event_id === event.id).map((n) => n.data.lead)).toEqual(['24h', '24h']);
    clock.advance(23 * HOUR);
    await runDueJobs();
    await runDueJobs();
    const all = (await notificationsOf(ben)).filter((n) => n.type === 'reminder' && n.event_id === event.id);
    expect(all.map((n) => n.data.lead)).toEqual(['1h', '24h', '24h']);
    expect((await notificationsOf(ben)).filter((n) => n.event_id === cancelled.id).map((n) => n.type)).toEqual(['event_cancelled']);
  });
});
