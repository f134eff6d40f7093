/**
 * Meetups, black box over real HTTP (and WebSocket for the frames): one `it` per rule of
 * API.md §Meetups and issue #6, on every dialect, with a clock the tests move by hand.
 */
import ICAL from 'ical.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RiffApiError,
  type AnnouncementView,
  type CreateEventInput,
  type EventView,
  type HistoryItemView,
  type PollView,
  type RiffClient,
  type UserView,
} from '../../src/client/index.js';
import { iso, ManualClock } from '../../src/platform/clock.js';
import type { ServerFrame } from '../../src/platform/gateway/protocol.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect } from '../helpers/socket.js';
import { failure, refused, randomTag } from '../helpers/failures.js';

const HOUR = 3_600_000;

const isAnnouncement = (item: HistoryItemView): item is AnnouncementView => item.kind === 'announcement';
const announcementType = (item: AnnouncementView) => (item.announcement as { type: string }).type;
/** Whom an announcement is about. */
const subject = (item: AnnouncementView) => (item.announcement as { user_id?: string }).user_id;

interface Player {
  client: RiffClient;
  id: string;
  token: string;
  /** How announcements name them. */
  name: string;
}

describeEachDialect('meetups', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock });
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  /** An instant `hours` from now on the test clock. */
  const inHours = (hours: number) => iso(clock.now() + hours * HOUR);

  let players = 0;
  async function player(): Promise<Player> {
    const first_name = `Player${++players}`;
    const last_name = randomTag();
    const client = server.client();
    const user = await client.signUp(newMusician({ first_name, last_name }));
    return { client, id: user.id, token: user.token, name: `${first_name} ${last_name}` };
  }

  function meetup(organizer: Player, input: Partial<CreateEventInput> = {}): Promise<EventView> {
    return organizer.client.createEvent({
      title: `Jam ${randomTag()}`,
      starts_at: inHours(48),
      time_zone: 'Europe/Berlin',
      location: 'Rehearsal room 3, Kreuzberg',
      ...input,
    });
  }

  async function announcements(client: RiffClient, channelId: string): Promise<AnnouncementView[]> {
    return (await client.history(channelId, { limit: 100 })).items.filter(isAnnouncement);
  }

  const lastAnnouncement = async (client: RiffClient, channelId: string) => (await announcements(client, channelId)).at(-1)!;

  /** Runs the jobs due now the way every node's timer does; twice, in case the timer's own pass was already under way. */
  async function runDueJobs(): Promise<void> {
    await server.riff.jobs.runDue();
    await server.riff.jobs.runDue();
  }

  async function calendarText(path: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
    const response = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }

  /** The VEVENTs of an iCalendar text, parsed by ical.js with the file's own VTIMEZONEs. */
  function parseCalendar(text: string) {
    const calendar = new ICAL.Component(ICAL.parse(text));
    for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
    return { calendar, events: calendar.getAllSubcomponents('vevent').map((vevent) => ({ vevent, event: new ICAL.Event(vevent) })) };
  }

  describe('creating meetups: POST /v1/events', () => {
    it('creates a meetup: 201 with its channel_id, the organizer going, and capacity counting the organizer', async () => {
      const ann = await player();
      const startsAt = inHours(72);
      const { status, data } = await ann.client.request<EventView>('POST', '/v1/events', {
        title: 'Sunday blues jam',
        description: 'Bring your harp',
        starts_at: startsAt,
        ends_at: inHours(75),
        time_zone: 'America/Chicago',
        location: 'Buddy’s, 2nd floor',
        city: 'Chicago',
        capacity: 4,
        genres: ['blues'],
        instruments_wanted: ['harmonica', 'drums'],
        image_url: 'https://example.com/jam.png',
      });
      expect(status).toBe(201);
      expect(data).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        title: 'Sunday blues jam',
        description: 'Bring your harp',
        starts_at: startsAt,
        ends_at: inHours(75),
        time_zone: 'America/Chicago',
        location: 'Buddy’s, 2nd floor',
        city: 'Chicago',
        capacity: 4,
        genres: ['blues'],
        instruments_wanted: ['harmonica', 'drums'],
        image_url: 'https://example.com/jam.png',
        organizer: expect.objectContaining({ id: ann.id, first_name: ann.name.split(' ')[0] }),
        channel_id: expect.any(String),
        status: 'scheduled',
        going_count: 1,
        maybe_count: 0,
        waitlisted_count: 0,
        spots_left: 3,
        my_rsvp: 'going',
        created_at: iso(clock.now()),
      });
      expect((await ann.client.eventAttendees(data.id)).going.map((u) => u.id)).toEqual([ann.id]);
    });

    it('creates the meetup’s public channel: kind event, the organizer a member, its history opening with the creation', async () => {
      const ann = await player();
      const event = await meetup(ann, { title: 'Funk night' });
      const channel = (await ann.client.channels()).find((c) => c.id === event.channel_id);
      expect(channel).toMatchObject({ kind: 'event', name: 'Funk night', private: false, creator_id: ann.id, is_member: true });
      expect((await ann.client.members(event.channel_id)).map((m) => m.id)).toEqual([ann.id]);
      expect((await ann.client.history(event.channel_id)).items).toEqual([
        expect.objectContaining({ kind: 'announcement', seq: 1, creator: null, body: `${ann.name} created the meetup Funk night`, announcement: { type: 'channel_created', user_id: ann.id } }),
      ]);
      const stranger = await player();
      expect((await stranger.client.history(event.channel_id)).items).toHaveLength(1);
    });

    it('without the optional fields: no end, no capacity (spots_left null), empty lists', async () => {
      const ann = await player();
      const event = await meetup(ann);
      expect(event).toMatchObject({ ends_at: null, capacity: null, spots_left: null, genres: [], instruments_wanted: [], image_url: null, description: '', city: '' });
    });

    it.each([
      ['title', { title: undefined }],
      ['starts_at', { starts_at: undefined }],
      ['time_zone', { time_zone: undefined }],
      ['location', { location: undefined }],
      ['title', { title: '   ' }],
      ['location', { location: ' ' }],
      ['starts_at', { starts_at: 'next friday' }],
      ['capacity', { capacity: 0 }],
      ['capacity', { capacity: '5' }],
      ['capacity', { capacity: 2.5 }],
      ['genres', { genres: 'jazz' }],
      ['image_url', { image_url: 'javascript:alert(1)' }],
    ])('refuses a meetup without a valid %s: 400 naming it', async (field, overrides) => {
      const ann = await player();
      const body = { title: 'Jam', starts_at: inHours(5), time_zone: 'UTC', location: 'Here', ...overrides } as Record<string, unknown>;
      for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
      const error = await refused(ann.client.request('POST', '/v1/events', body), 400, 'validation_failed');
      expect(error.body.details.map((d) => d.field)).toContain(field);
    });

    it('refuses starts_at that is not in the future: 400 naming starts_at', async () => {
      const ann = await player();
      for (const startsAt of [inHours(-1), iso(clock.now())]) {
        const error = await refused(meetup(ann, { starts_at: startsAt }), 400, 'validation_failed');
        expect(error.body.details).toEqual([{ field: 'starts_at', message: 'must be in the future' }]);
      }
    });

    it('refuses ends_at that is not after starts_at: 400 naming ends_at', async () => {
      const ann = await player();
      const error = await refused(meetup(ann, { starts_at: inHours(5), ends_at: inHours(5) }), 400, 'validation_failed');
      expect(error.body.details).toEqual([{ field: 'ends_at', message: 'must be after starts_at' }]);
    });

    it('takes IANA time zones in their canonical spelling and refuses anything else: 400 naming time_zone', async () => {
      const ann = await player();
      expect((await meetup(ann, { time_zone: 'asia/kolkata' })).time_zone).toBe('Asia/Kolkata');
      expect((await meetup(ann, { time_zone: 'Europe/Kyiv' })).time_zone).toBe('Europe/Kyiv');
      expect((await meetup(ann, { time_zone: 'UTC' })).time_zone).toBe('UTC');
      for (const zone of ['Mars/Olympus_Mons', 'GMT+25', '+01:00', 'Europe/Berlin; drop table']) {
        const error = await refused(meetup(ann, { time_zone: zone }), 400, 'validation_failed');
        expect(error.body.details.map((d) => d.field)).toEqual(['time_zone']);
      }
    });

    it('needs a session (401), and guests get 403 on every meetup route', async () => {
      const ann = await player();
      const event = await meetup(ann);
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Snacks?', options: ['yes', 'no'] });
      await refused(server.client().events(), 401, 'unauthorized');
      const guest = server.client();
      await guest.guest();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['discover', () => guest.events()],
        ['create', () => guest.createEvent({ title: 'x', starts_at: inHours(3), time_zone: 'UTC', location: 'x' })],
        ['mine', () => guest.myEvents()],
        ['join', () => guest.joinEvent(event.id)],
        ['read', () => guest.event(event.id)],
        ['edit', () => guest.updateEvent(event.id, { title: 'mine now' })],
        ['cancel', () => guest.cancelEvent(event.id)],
        ['rsvp', () => guest.rsvp(event.id, 'going')],
        ['attendees', () => guest.eventAttendees(event.id)],
        ['calendar', () => guest.eventCalendar(event.id)],
        ['open poll', () => guest.createPoll(event.id, { kind: 'generic', question: 'q', options: ['a', 'b'] })],
        ['polls', () => guest.polls(event.id)],
        ['vote', () => guest.vote(poll.id, 0)],
        ['close poll', () => guest.closePoll(poll.id)],
        ['alerts', () => guest.alerts()],
        ['my calendar', () => guest.myCalendar()],
        ['feed link', () => guest.openCalendarFeed()],
      ];
      for (const [name, call] of calls) {
        const error = await failure(call());
        expect({ name, status: error.status, code: error.code }).toEqual({ name, status: 403, code: 'guest_forbidden' });
      }
    });

    it('a meetup’s channel follows its RSVPs: no direct joining, adding or deleting (403 channel_protected)', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      await refused(bob.client.addMember(event.channel_id, bob.id), 403, 'channel_protected');
      await refused(ann.client.addMember(event.channel_id, bob.id), 403, 'channel_protected');
      await refused(ann.client.deleteChannel(event.channel_id), 403, 'channel_protected');
      await refused(ann.client.updateChannel(event.channel_id, { name: 'Renamed' }), 403, 'channel_protected');
    });
  });

  describe('reading, editing and cancelling: GET / PATCH / DELETE /v1/events/{id}', () => {
    it('reads a meetup with my_rsvp for the caller (null when they have not answered); unknown → 404', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      expect(await bob.client.event(event.id)).toEqual({ ...event, my_rsvp: null, organizer: { ...event.organizer, email: undefined, role: undefined } });
      await bob.client.rsvp(event.id, 'maybe');
      expect(await bob.client.event(event.id)).toMatchObject({ my_rsvp: 'maybe', maybe_count: 1, going_count: 1 });
      await refused(bob.client.event('no-such-meetup'), 404, 'not_found');
      await refused(bob.client.event('bad id!'), 400, 'validation_failed');
    });

    it('the organizer edits: 200, one event.updated row with its announcement naming what changed', async () => {
      const ann = await player();
      const event = await meetup(ann);
      const updated = await ann.client.updateEvent(event.id, { title: 'Late jam', location: 'The cellar', capacity: 12, genres: ['jazz'] });
      expect(updated).toMatchObject({ id: event.id, title: 'Late jam', location: 'The cellar', capacity: 12, spots_left: 11, genres: ['jazz'], my_rsvp: 'going' });
      expect(await ann.client.event(event.id)).toEqual(updated);
      const items = (await ann.client.history(event.channel_id)).items;
      expect(items).toHaveLength(2);
      expect(items[1]).toMatchObject({
        kind: 'announcement',
        seq: 2,
        body: `${ann.name} changed the meetup’s title, place, capacity, genres`,
        announcement: { type: 'event_updated', user_id: ann.id, event_id: event.id, changes: ['title', 'location', 'capacity', 'genres'] },
      });
    });

    it('only the organizer edits or cancels: 403', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      await refused(bob.client.updateEvent(event.id, { title: 'Bob’s now' }), 403, 'forbidden');
      await refused(bob.client.cancelEvent(event.id), 403, 'forbidden');
      await refused(bob.client.updateEvent('no-such-meetup', { title: 'x' }), 404, 'not_found');
      expect((await ann.client.event(event.id)).title).toBe(event.title);
    });

    it('moving starts_at alone keeps the meetup’s length; a past starts_at or an end before the start is 400', async () => {
      const ann = await player();
      const event = await meetup(ann, { starts_at: inHours(10), ends_at: inHours(13) });
      const moved = await ann.client.updateEvent(event.id, { starts_at: inHours(34) });
      expect({ starts_at: moved.starts_at, ends_at: moved.ends_at }).toEqual({ starts_at: inHours(34), ends_at: inHours(37) });
      expect((await refused(ann.client.updateEvent(event.id, { starts_at: inHours(-2) }), 400)).body.details).toEqual([{ field: 'starts_at', message: 'must be in the future' }]);
      expect((await refused(ann.client.updateEvent(event.id, { ends_at: inHours(30) }), 400)).body.details).toEqual([{ field: 'ends_at', message: 'must be after starts_at' }]);
      expect((await refused(ann.client.updateEvent(event.id, { time_zone: 'Nowhere/Land' }), 400)).body.details[0]).toMatchObject({ field: 'time_zone' });
      await refused(ann.client.updateEvent(event.id, {} as never), 400, 'validation_failed');
      expect((await ann.client.updateEvent(event.id, { ends_at: null })).ends_at).toBeNull();
    });

    it('an edit that changes nothing logs nothing', async () => {
      const ann = await player();
      const event = await meetup(ann);
      await ann.client.updateEvent(event.id, { title: event.title, location: event.location });
      expect((await ann.client.history(event.channel_id)).items).toHaveLength(1);
    });

    it('cancelling: 200 with status cancelled, members are told, and RSVPs, edits and polls after it are 422 event_cancelled', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      const cancelled = await ann.client.cancelEvent(event.id);
      expect(cancelled).toMatchObject({ id: event.id, status: 'cancelled' });
      expect(await lastAnnouncement(bob.client, event.channel_id)).toMatchObject({ body: `${ann.name} cancelled the meetup`, announcement: { type: 'event_cancelled', user_id: ann.id } });
      await refused(cleo.client.joinEvent(event.id), 422, 'event_cancelled');
      await refused(bob.client.rsvp(event.id, 'not_going'), 422, 'event_cancelled');
      await refused(ann.client.updateEvent(event.id, { title: 'Back on' }), 422, 'event_cancelled');
      await refused(ann.client.createPoll(event.id, { kind: 'generic', question: 'q', options: ['a', 'b'] }), 422, 'event_cancelled');
      const head = (await ann.client.history(event.channel_id)).items.length;
      expect(await ann.client.cancelEvent(event.id)).toMatchObject({ status: 'cancelled' });
      expect((await ann.client.history(event.channel_id)).items).toHaveLength(head);
      expect((await ann.client.history(event.channel_id)).items).toHaveLength(head);
    });

    it('cancelling closes the meetup’s open polls without changing anything, and their alerts go', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'relocate', question: 'Where?', options: ['Cellar', 'Roof'] });
      await bob.client.vote(poll.id, 1);
      expect((await ann.client.alerts()).map((a) => a.poll.id)).toContain(poll.id);
      await ann.client.cancelEvent(event.id);
      expect((await ann.client.polls(event.id))[0]).toMatchObject({ status: 'closed', winner_index: null });
      expect((await ann.client.event(event.id)).location).toBe(event.location);
      expect((await ann.client.alerts()).map((a) => a.poll.id)).not.toContain(poll.id);
      await refused(ann.client.vote(poll.id, 0), 422, 'poll_closed');
    });
  });

  describe('discovery: GET /v1/events', () => {
    it('lists upcoming meetups soonest first, each with going_count, maybe_count, capacity, spots_left, my_rsvp, channel_id and organizer', async () => {
      const tag = randomTag();
      const ann = await player();
      const bob = await player();
      const later = await meetup(ann, { title: `Later ${tag}`, starts_at: inHours(30), capacity: 3 });
      const sooner = await meetup(ann, { title: `Sooner ${tag}`, starts_at: inHours(20) });
      await bob.client.rsvp(later.id, 'maybe');
      const found = (await bob.client.events({ q: tag })).items;
      expect(found.map((e) => e.id)).toEqual([sooner.id, later.id]);
      expect(found[1]).toMatchObject({ going_count: 1, maybe_count: 1, capacity: 3, spots_left: 2, my_rsvp: 'maybe', channel_id: later.channel_id, organizer: { id: ann.id } });
      expect(found[0]).toMatchObject({ my_rsvp: null, capacity: null, spots_left: null });
    });

    it('leaves out past and cancelled meetups unless include_past asks for past ones', async () => {
      const tag = randomTag();
      const ann = await player();
      const soon = await meetup(ann, { title: `Soon ${tag}`, starts_at: inHours(1) });
      const next = await meetup(ann, { title: `Next ${tag}`, starts_at: inHours(5) });
      const off = await meetup(ann, { title: `Off ${tag}`, starts_at: inHours(6) });
      await ann.client.cancelEvent(off.id);
      clock.advance(2 * HOUR);
      expect((await ann.client.events({ q: tag })).items.map((e) => e.id)).toEqual([next.id]);
      expect((await ann.client.events({ q: tag, include_past: true })).items.map((e) => e.id)).toEqual([soon.id, next.id]);
      expect((await ann.client.event(soon.id)).id).toBe(soon.id);
    });

    it('filters by from and to, q (partial, any case, title or description), genre, instrument and city', async () => {
      const tag = randomTag();
      const ann = await player();
      const jazz = await meetup(ann, { title: `Jazz ${tag}`, starts_at: inHours(10), genres: ['Jazz', 'bebop'], instruments_wanted: ['Double bass'], city: 'Berlin' });
      const rock = await meetup(ann, { title: `Rock ${tag}`, description: `loud ${tag} SESSION`, starts_at: inHours(40), genres: ['rock'], instruments_wanted: ['drums'], city: 'Hamburg' });
      const ids = async (filter: Parameters<RiffClient['events']>[0]) => (await ann.client.events({ q: tag, ...filter })).items.map((e) => e.id);
      expect(await ids({})).toEqual([jazz.id, rock.id]);
      expect(await ids({ from: inHours(20) })).toEqual([rock.id]);
      expect(await ids({ to: inHours(20) })).toEqual([jazz.id]);
      expect(await ids({ from: inHours(5), to: inHours(50) })).toEqual([jazz.id, rock.id]);
      expect((await ann.client.events({ q: `${tag.slice(2).toUpperCase()} sess` })).items.map((e) => e.id)).toEqual([rock.id]);
      expect(await ids({ genre: 'jazz' })).toEqual([jazz.id]);
      expect(await ids({ genre: 'BEBOP' })).toEqual([jazz.id]);
      expect(await ids({ instrument: 'bass' })).toEqual([jazz.id]);
      expect(await ids({ instrument: 'drums' })).toEqual([rock.id]);
      expect(await ids({ city: 'hamburg' })).toEqual([rock.id]);
      expect(await ids({ city: 'Paris' })).toEqual([]);
      expect(await ids({ genre: '%' })).toEqual([]);
      await refused(ann.client.events({ from: 'yesterday' }), 400, 'validation_failed');
    });

    it('pages with limit and a Link to the next page, soonest first throughout', async () => {
      const tag = randomTag();
      const ann = await player();
      const created: EventView[] = [];
      for (const hours of [9, 3, 7, 3, 5]) created.push(await meetup(ann, { title: `Paged ${tag}`, starts_at: inHours(hours) }));
      const seen: EventView[] = [];
      let page = await ann.client.events({ q: tag, limit: 2 });
      seen.push(...page.items);
      while (page.next) {
        expect(page.items).toHaveLength(2);
        page = await ann.client.page<EventView>(page.next);
        seen.push(...page.items);
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen.map((e) => e.id)).size).toBe(5);
      const order = seen.map((e) => Date.parse(e.starts_at));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      await refused(ann.client.events({ limit: 101 }), 400, 'validation_failed');
    });
  });

  describe('RSVP: POST /v1/events/join, PUT /v1/events/{id}/rsvp, GET /v1/events/join', () => {
    it('joining answers 201 {event_id, status: going}; joining again answers 200 with the current RSVP', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      const first = await bob.client.request('POST', '/v1/events/join', { event_id: event.id });
      expect(first).toMatchObject({ status: 201, data: { event_id: event.id, user_id: bob.id, status: 'going' } });
      const again = await bob.client.request('POST', '/v1/events/join', { event_id: event.id });
      expect(again).toMatchObject({ status: 200, data: { event_id: event.id, status: 'going' } });
      expect((await ann.client.event(event.id)).going_count).toBe(2);
    });

    it('takes {id} as the Musician Meetup client sends it; neither is 400, an unknown meetup 404', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      expect(await bob.client.request('POST', '/v1/events/join', { id: event.id })).toMatchObject({ status: 201, data: { event_id: event.id, status: 'going' } });
      expect((await refused(bob.client.request('POST', '/v1/events/join', {}), 400, 'validation_failed')).body.details).toEqual([{ field: 'event_id', message: 'is required' }]);
      await refused(bob.client.joinEvent('no-such-meetup'), 404, 'not_found');
      await refused(bob.client.rsvp('no-such-meetup', 'going'), 404, 'not_found');
    });

    it('PUT rsvp answers 200 {status} for going, maybe and not_going; anything else is 400', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      for (const status of ['maybe', 'going', 'not_going', 'going'] as const) {
        expect(await bob.client.rsvp(event.id, status)).toEqual({ event_id: event.id, user_id: bob.id, status });
        expect((await bob.client.event(event.id)).my_rsvp).toBe(status);
      }
      await refused(bob.client.rsvp(event.id, 'waitlisted' as never), 400, 'validation_failed');
      await refused(bob.client.rsvp(event.id, 'GOING' as never), 400, 'validation_failed');
    });

    it('going, maybe and waitlisted people are channel members, announced by their rsvp.updated row; not_going leaves the channel', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { capacity: 1 });
      const members = async () => (await ann.client.members(event.channel_id)).map((m) => m.id).sort();
      await bob.client.rsvp(event.id, 'maybe');
      expect(await members()).toEqual([ann.id, bob.id].sort());
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({ body: `${bob.name} might come`, announcement: { type: 'rsvp_maybe', user_id: bob.id, status: 'maybe' } });
      expect(await bob.client.rsvp(event.id, 'going')).toMatchObject({ status: 'waitlisted', position: 1 });
      expect(await members()).toEqual([ann.id, bob.id].sort());
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({ body: `${bob.name} is on the waitlist (#1)`, announcement: { type: 'rsvp_waitlisted' } });
      await bob.client.rsvp(event.id, 'not_going');
      expect(await members()).toEqual([ann.id]);
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({ body: `${bob.name} can’t make it`, announcement: { type: 'rsvp_not_going' } });
      expect((await bob.client.channels()).map((c) => c.id)).not.toContain(event.channel_id);
    });

    it('the organizer is always going: other answers are 422 organizer_always_going, joining answers 200 going', async () => {
      const ann = await player();
      const event = await meetup(ann);
      await refused(ann.client.rsvp(event.id, 'maybe'), 422, 'organizer_always_going');
      await refused(ann.client.rsvp(event.id, 'not_going'), 422, 'organizer_always_going');
      expect(await ann.client.request('POST', '/v1/events/join', { event_id: event.id })).toMatchObject({ status: 200, data: { status: 'going' } });
      expect(await ann.client.rsvp(event.id, 'going')).toMatchObject({ status: 'going' });
    });

    it('capacity counts the organizer: with capacity 2 the second joiner is waitlisted', async () => {
      const ann = await player();
      const bob = await player();
      const cleo = await player();
      const event = await meetup(ann, { capacity: 2 });
      expect(await bob.client.joinEvent(event.id)).toMatchObject({ status: 'going' });
      const { status, data } = await cleo.client.request('POST', '/v1/events/join', { event_id: event.id });
      expect({ status, data }).toEqual({ status: 201, data: { event_id: event.id, user_id: cleo.id, status: 'waitlisted', position: 1 } });
      expect(await cleo.client.event(event.id)).toMatchObject({ going_count: 2, waitlisted_count: 1, spots_left: 0, my_rsvp: 'waitlisted' });
      expect(await cleo.client.request('POST', '/v1/events/join', { event_id: event.id })).toMatchObject({ status: 200, data: { status: 'waitlisted', position: 1 } });
      expect(await cleo.client.rsvp(event.id, 'going')).toMatchObject({ status: 'waitlisted', position: 1 });
    });

    it('capacity race: with capacity 6, 20 concurrent going → exactly 5 more going and 15 waitlisted in arrival order', async () => {
      const ann = await player();
      const event = await meetup(ann, { capacity: 6 });
      const crowd = await Promise.all(Array.from({ length: 20 }, () => player()));
      const answers = await Promise.all(crowd.map((p, i) => (i % 2 === 0 ? p.client.joinEvent(event.id) : p.client.rsvp(event.id, 'going'))));
      const going = answers.filter((a) => a.status === 'going');
      const waitlisted = answers.filter((a) => a.status === 'waitlisted');
      expect({ going: going.length, waitlisted: waitlisted.length }).toEqual({ going: 5, waitlisted: 15 });
      expect(waitlisted.map((a) => a.position).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      const byPosition = [...waitlisted].sort((a, b) => a.position! - b.position!).map((a) => a.user_id);
      const attendees = await ann.client.eventAttendees(event.id);
      expect(attendees.going.map((u) => u.id).sort()).toEqual([ann.id, ...going.map((a) => a.user_id)].sort());
      expect(attendees.waitlisted.map((u) => u.id)).toEqual(byPosition);
      expect(await ann.client.event(event.id)).toMatchObject({ going_count: 6, waitlisted_count: 15, spots_left: 0 });
      // Each answer was logged once, in the order the answers were decided.
      const rsvpItems = (await announcements(ann.client, event.channel_id)).filter((a) => announcementType(a).startsWith('rsvp_'));
      expect(rsvpItems).toHaveLength(20);
      expect(rsvpItems.filter((a) => announcementType(a) === 'rsvp_waitlisted').map(subject)).toEqual(byPosition);
    });

    it('a freed seat promotes the earliest waitlisted (FIFO), with its own rsvp.updated row and announcement', async () => {
      const ann = await player();
      const bob = await player();
      const [cleo, dee, eve] = [await player(), await player(), await player()];
      const event = await meetup(ann, { capacity: 2 });
      await bob.client.joinEvent(event.id);
      for (const p of [cleo, dee, eve]) await p.client.joinEvent(event.id);
      expect((await ann.client.eventAttendees(event.id)).waitlisted.map((u) => u.id)).toEqual([cleo.id, dee.id, eve.id]);

      expect(await bob.client.rsvp(event.id, 'maybe')).toMatchObject({ status: 'maybe' });
      const attendees = await ann.client.eventAttendees(event.id);
      expect(attendees.going.map((u) => u.id)).toEqual([ann.id, cleo.id]);
      expect(attendees.maybe.map((u) => u.id)).toEqual([bob.id]);
      expect(attendees.waitlisted.map((u) => u.id)).toEqual([dee.id, eve.id]);
      expect((await cleo.client.event(event.id)).my_rsvp).toBe('going');
      expect(await dee.client.joinEvent(event.id)).toMatchObject({ status: 'waitlisted', position: 1 });
      const items = (await ann.client.history(event.channel_id)).items.filter(isAnnouncement).slice(-2);
      expect(items.map((a) => [announcementType(a), subject(a)])).toEqual([
        ['rsvp_maybe', bob.id],
        ['rsvp_promoted', cleo.id],
      ]);
      expect(items[1]!.body).toBe(`${cleo.name} got a seat from the waitlist and is going`);

      // Leaving the waitlist frees no seat; declining a seat does.
      await dee.client.rsvp(event.id, 'not_going');
      await cleo.client.rsvp(event.id, 'not_going');
      expect((await ann.client.eventAttendees(event.id)).going.map((u) => u.id)).toEqual([ann.id, eve.id]);
    });

    it('raising capacity promotes waitlisted people in order; lowering it moves nobody', async () => {
      const ann = await player();
      const crowd = [await player(), await player(), await player(), await player()];
      const event = await meetup(ann, { capacity: 1 });
      for (const p of crowd) await p.client.joinEvent(event.id);
      expect((await ann.client.updateEvent(event.id, { capacity: 3 })).going_count).toBe(3);
      const attendees = await ann.client.eventAttendees(event.id);
      expect(attendees.going.map((u) => u.id)).toEqual([ann.id, crowd[0]!.id, crowd[1]!.id]);
      expect(attendees.waitlisted.map((u) => u.id)).toEqual([crowd[2]!.id, crowd[3]!.id]);
      const types = (await announcements(ann.client, event.channel_id)).slice(-3).map(announcementType);
      expect(types).toEqual(['event_updated', 'rsvp_promoted', 'rsvp_promoted']);

      expect(await ann.client.updateEvent(event.id, { capacity: 1 })).toMatchObject({ going_count: 3, spots_left: 0, waitlisted_count: 2 });
      expect((await ann.client.eventAttendees(event.id)).going).toHaveLength(3);

      expect(await ann.client.updateEvent(event.id, { capacity: null })).toMatchObject({ going_count: 5, waitlisted_count: 0, spots_left: null });
    });

    it('attendees: {going, maybe, waitlisted (in order)} as users; an unknown meetup is 404', async () => {
      const ann = await player();
      const [bob, cleo, dee] = [await player(), await player(), await player()];
      const event = await meetup(ann, { capacity: 1 });
      await bob.client.rsvp(event.id, 'maybe');
      await cleo.client.joinEvent(event.id);
      await dee.client.joinEvent(event.id);
      const attendees = await bob.client.eventAttendees(event.id);
      const ids = (users: UserView[]) => users.map((u) => u.id);
      expect({ going: ids(attendees.going), maybe: ids(attendees.maybe), waitlisted: ids(attendees.waitlisted) }).toEqual({ going: [ann.id], maybe: [bob.id], waitlisted: [cleo.id, dee.id] });
      expect(attendees.going[0]).toMatchObject({ id: ann.id, instruments: [], genres: [], created_at: expect.any(String) });
      expect(attendees.going[0]).not.toHaveProperty('email');
      await refused(bob.client.eventAttendees('no-such-meetup'), 404, 'not_found');
    });

    it('my meetups: GET /v1/events/join lists the meetups I go to, might go to or wait for (id is the meetup’s id), with channel_id', async () => {
      const ann = await player();
      const bob = await player();
      const going = await meetup(ann, { starts_at: inHours(30) });
      const maybe = await meetup(ann, { starts_at: inHours(20) });
      const full = await meetup(ann, { starts_at: inHours(25), capacity: 1 });
      const declined = await meetup(ann, { starts_at: inHours(22) });
      const other = await meetup(ann);
      await bob.client.joinEvent(going.id);
      await bob.client.rsvp(maybe.id, 'maybe');
      await bob.client.joinEvent(full.id);
      await bob.client.joinEvent(declined.id);
      await bob.client.rsvp(declined.id, 'not_going');
      const mine = (await bob.client.myEvents()).items;
      expect(mine.map((e) => [e.id, e.my_rsvp, e.channel_id])).toEqual([
        [maybe.id, 'maybe', maybe.channel_id],
        [full.id, 'waitlisted', full.channel_id],
        [going.id, 'going', going.channel_id],
      ]);
      expect(mine.map((e) => e.id)).not.toContain(other.id);
      expect((await ann.client.myEvents()).items.map((e) => e.id)).toEqual(expect.arrayContaining([going.id, maybe.id, full.id, declined.id, other.id]));
    });
  });

  describe('polls: POST/GET /v1/events/{id}/polls, PUT /v1/polls/{id}/vote, POST /v1/polls/{id}/close', () => {
    it('the organizer opens a poll: 201; its participants are the going + maybe attendees at that moment, the organizer included', async () => {
      const ann = await player();
      const [bob, cleo, dee, eve] = [await player(), await player(), await player(), await player()];
      const event = await meetup(ann, { capacity: 2 });
      await bob.client.joinEvent(event.id);
      await cleo.client.rsvp(event.id, 'maybe');
      await dee.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Bring snacks?', options: ['Yes', 'No'], closes_at: inHours(10) });
      expect(poll).toEqual({
        id: expect.any(String),
        event_id: event.id,
        kind: 'generic',
        question: 'Bring snacks?',
        options: [
          { index: 0, label: 'Yes', votes: 0 },
          { index: 1, label: 'No', votes: 0 },
        ],
        status: 'open',
        closes_at: inHours(10),
        participant_ids: [ann.id, bob.id, cleo.id].sort(),
        my_vote: null,
        winner_index: null,
        created_at: iso(clock.now()),
        closed_at: null,
      });
      await eve.client.rsvp(event.id, 'maybe');
      await refused(eve.client.vote(poll.id, 0), 403, 'forbidden');
      await refused(dee.client.vote(poll.id, 0), 403, 'forbidden');
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({ announcement: { type: 'rsvp_maybe' } });
      const opened = (await announcements(ann.client, event.channel_id)).find((a) => announcementType(a) === 'poll_opened');
      expect(opened).toMatchObject({ body: `${ann.name} opened a poll: “Bring snacks?”`, announcement: { poll_id: poll.id, kind: 'generic', user_id: ann.id } });
    });

    it('only the organizer opens or closes polls (403); an unknown meetup or poll is 404', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      await refused(bob.client.createPoll(event.id, { kind: 'generic', question: 'Mine?', options: ['a', 'b'] }), 403, 'forbidden');
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Snacks?', options: ['a', 'b'] });
      await refused(bob.client.closePoll(poll.id), 403, 'forbidden');
      await refused(ann.client.createPoll('no-such-meetup', { kind: 'generic', question: 'q', options: ['a', 'b'] }), 404, 'not_found');
      await refused(ann.client.vote('no-such-poll', 0), 404, 'not_found');
      await refused(ann.client.closePoll('no-such-poll'), 404, 'not_found');
      await refused(ann.client.polls('no-such-meetup'), 404, 'not_found');
    });

    it.each([
      ['options', { options: ['only one'] }],
      ['options', { options: Array.from({ length: 11 }, (_, i) => `o${i}`) }],
      ['options', { options: ['same', 'same'] }],
      ['options.1', { options: ['fine', ' '] }],
      ['kind', { kind: 'ranked' }],
      ['question', { question: '' }],
      ['closes_at', { closes_at: 'soon' }],
    ])('refuses a poll with a bad %s: 400', async (field, overrides) => {
      const ann = await player();
      const event = await meetup(ann);
      const error = await refused(ann.client.request('POST', `/v1/events/${event.id}/polls`, { kind: 'generic', question: 'Which?', options: ['a', 'b'], ...overrides }), 400, 'validation_failed');
      expect(error.body.details.map((d) => d.field)).toContain(field);
    });

    it('refuses a closes_at in the past and reschedule options that are not future ISO instants: 400 naming them', async () => {
      const ann = await player();
      const event = await meetup(ann);
      const create = (input: Record<string, unknown>) => ann.client.request('POST', `/v1/events/${event.id}/polls`, { kind: 'reschedule', question: 'When?', ...input });
      expect((await refused(create({ options: [inHours(50), inHours(60)], closes_at: inHours(-1) }), 400)).body.details).toEqual([{ field: 'closes_at', message: 'must be in the future' }]);
      expect((await refused(create({ options: [inHours(50), 'next friday'] }), 400)).body.details[0]).toMatchObject({ field: 'options.1' });
      expect((await refused(create({ options: [inHours(-3), inHours(60)] }), 400)).body.details).toEqual([{ field: 'options.0', message: 'must be in the future' }]);
      const offset = new Date(clock.now() + 50 * HOUR).toISOString().replace('Z', '+00:00');
      expect((await refused(create({ options: [inHours(50), offset] }), 400)).body.details).toEqual([{ field: 'options', message: 'must all differ' }]);
    });

    it('one vote per participant, changeable while open: 200 with my_vote and the counts', async () => {
      const ann = await player();
      const [bob, cleo] = [await player(), await player()];
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      await cleo.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Set list?', options: ['Standards', 'Originals', 'Both'] });
      expect(await bob.client.vote(poll.id, 0)).toMatchObject({ my_vote: 0, status: 'open', options: [{ votes: 1 }, { votes: 0 }, { votes: 0 }] });
      expect(await bob.client.vote(poll.id, 2)).toMatchObject({ my_vote: 2, options: [{ votes: 0 }, { votes: 0 }, { votes: 1 }] });
      expect(await cleo.client.vote(poll.id, 2)).toMatchObject({ my_vote: 2, options: [{ votes: 0 }, { votes: 0 }, { votes: 2 }] });
      await refused(bob.client.vote(poll.id, 3), 400, 'validation_failed');
      await refused(bob.client.vote(poll.id, -1), 400, 'validation_failed');
      await refused(bob.client.request('PUT', `/v1/polls/${poll.id}/vote`, { option: '1' }), 400, 'validation_failed');
      const listed = await cleo.client.polls(event.id);
      expect(listed).toEqual([expect.objectContaining({ id: poll.id, my_vote: 2, options: [expect.objectContaining({ votes: 0 }), expect.objectContaining({ votes: 0 }), expect.objectContaining({ votes: 2 })] })]);
      expect((await ann.client.polls(event.id))[0]!.my_vote).toBeNull();
    });

    it('a poll closes on the last participant’s vote, with a poll.closed announcement naming the winner', async () => {
      const ann = await player();
      const [bob, cleo] = [await player(), await player()];
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      await cleo.client.rsvp(event.id, 'maybe');
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Pizza or tacos?', options: ['Pizza', 'Tacos'] });
      await ann.client.vote(poll.id, 1);
      expect(await bob.client.vote(poll.id, 1)).toMatchObject({ status: 'open' });
      const closed = await cleo.client.vote(poll.id, 0);
      expect(closed).toMatchObject({ status: 'closed', winner_index: 1, closed_at: iso(clock.now()), my_vote: 0 });
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({
        body: 'Poll closed: “Pizza or tacos?” — Tacos won',
        announcement: { type: 'poll_closed', poll_id: poll.id, winner_index: 1, tie: false },
      });
      await refused(bob.client.vote(poll.id, 0), 422, 'poll_closed');
      await refused(ann.client.closePoll(poll.id), 422, 'poll_closed');
    });

    it('a poll closes at closes_at on the shared clock, run by the scheduler', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { location: 'The old place' });
      await bob.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'relocate', question: 'Where?', options: ['The cellar', 'The roof'], closes_at: inHours(1) });
      await bob.client.vote(poll.id, 0);
      await runDueJobs();
      expect((await ann.client.polls(event.id))[0]!.status).toBe('open');
      clock.advance(HOUR + 1000);
      await runDueJobs();
      expect((await ann.client.polls(event.id))[0]).toMatchObject({ status: 'closed', winner_index: 0 });
      expect((await ann.client.event(event.id)).location).toBe('The cellar');
      const [closedItem, movedItem] = (await announcements(ann.client, event.channel_id)).slice(-2);
      expect(announcementType(closedItem!)).toBe('poll_closed');
      expect(movedItem).toMatchObject({ body: 'The meetup moved to The cellar, as the poll decided', announcement: { type: 'event_relocated', poll_id: poll.id, location: 'The cellar' } });
    });

    it('a poll closed early by the organizer is not closed again at its closes_at', async () => {
      const ann = await player();
      const event = await meetup(ann);
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Snacks?', options: ['a', 'b'], closes_at: inHours(1) });
      expect(await ann.client.closePoll(poll.id)).toMatchObject({ status: 'closed', winner_index: null, my_vote: null });
      expect(await lastAnnouncement(ann.client, event.channel_id)).toMatchObject({ body: 'Poll closed: “Snacks?” got no votes', announcement: { type: 'poll_closed', winner_index: null, tie: false } });
      const head = (await ann.client.history(event.channel_id)).items.length;
      clock.advance(2 * HOUR);
      await runDueJobs();
      expect((await ann.client.history(event.channel_id)).items).toHaveLength(head);
    });

    it('a reschedule winner moves starts_at and ends_at by the same amount, with its own event.updated row and announcement', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { starts_at: inHours(48), ends_at: inHours(51), time_zone: 'Europe/Berlin' });
      await bob.client.joinEvent(event.id);
      const friday = inHours(48 + 26);
      const poll = await ann.client.createPoll(event.id, { kind: 'reschedule', question: 'Which evening?', options: [inHours(48 + 2), friday] });
      expect(poll.options.map((o) => o.label)).toEqual([inHours(50), friday]);
      await ann.client.vote(poll.id, 1);
      await bob.client.vote(poll.id, 1);
      const moved = await ann.client.event(event.id);
      expect({ starts_at: moved.starts_at, ends_at: moved.ends_at }).toEqual({ starts_at: friday, ends_at: inHours(48 + 29) });
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(Date.parse(friday));
      const [closedItem, movedItem] = (await announcements(ann.client, event.channel_id)).slice(-2);
      expect(closedItem).toMatchObject({ announcement: { type: 'poll_closed', winner_index: 1 } });
      expect(closedItem!.body).toContain(local);
      expect(movedItem).toMatchObject({ announcement: { type: 'event_rescheduled', poll_id: poll.id, starts_at: friday } });
      expect(movedItem!.body).toMatch(new RegExp(`^The meetup moved to .*${local}.*, as the poll decided$`));
    });

    it('a tie changes nothing, and the poll.closed announcement says so', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { starts_at: inHours(48) });
      await bob.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'reschedule', question: 'Earlier or later?', options: [inHours(40), inHours(56)] });
      await ann.client.vote(poll.id, 0);
      expect(await bob.client.vote(poll.id, 1)).toMatchObject({ status: 'closed', winner_index: null });
      expect((await ann.client.event(event.id)).starts_at).toBe(event.starts_at);
      const last = await lastAnnouncement(ann.client, event.channel_id);
      expect(last).toMatchObject({ body: 'Poll closed: “Earlier or later?” ended in a tie; the meetup stays as it was', announcement: { type: 'poll_closed', winner_index: null, tie: true } });
    });

    it('alerts: GET /v1/users/me/alerts lists polls waiting for my vote, gone once I voted or the poll closed', async () => {
      const ann = await player();
      const [bob, cleo] = [await player(), await player()];
      const event = await meetup(ann);
      await bob.client.joinEvent(event.id);
      await cleo.client.joinEvent(event.id);
      expect(await bob.client.alerts()).toEqual([]);
      const generic = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Snacks?', options: ['a', 'b'] });
      const reschedule = await ann.client.createPoll(event.id, { kind: 'reschedule', question: 'When?', options: [inHours(60), inHours(70)] });
      const relocate = await ann.client.createPoll(event.id, { kind: 'relocate', question: 'Where?', options: ['Here', 'There'] });
      const alerts = await bob.client.alerts();
      expect(alerts.map((a) => [a.type, a.poll.id, a.event_id])).toEqual([
        ['pending_poll', generic.id, event.id],
        ['pending_reschedule_poll', reschedule.id, event.id],
        ['pending_relocation_poll', relocate.id, event.id],
      ]);
      expect(alerts[0]!.poll).toMatchObject({ my_vote: null, status: 'open', question: 'Snacks?' });
      await bob.client.vote(generic.id, 0);
      expect((await bob.client.alerts()).map((a) => a.poll.id)).toEqual([reschedule.id, relocate.id]);
      await ann.client.closePoll(reschedule.id);
      expect((await bob.client.alerts()).map((a) => a.poll.id)).toEqual([relocate.id]);
      expect((await cleo.client.alerts()).map((a) => a.poll.id)).toEqual([generic.id, relocate.id]);
      const stranger = await player();
      expect(await stranger.client.alerts()).toEqual([]);
    });
  });

  describe('calendar: GET /v1/events/{id}/calendar.ics and GET /v1/users/me/calendar.ics', () => {
    it('an iCalendar file that round-trips: UID, DTSTAMP, SUMMARY, LOCATION, DESCRIPTION, and DTSTART/DTEND in the meetup’s zone with its VTIMEZONE', async () => {
      const ann = await player();
      const event = await meetup(ann, {
        title: 'Bossa nova; session, vol. 2',
        description: 'Nylon strings only.\nBring a stand.',
        location: 'Rua Augusta 12, São Paulo',
        time_zone: 'America/Sao_Paulo',
        starts_at: '2026-12-04T22:00:00Z',
        ends_at: '2026-12-05T01:30:00Z',
      });
      const { status, type, text } = await calendarText(`/v1/events/${event.id}/calendar.ics`, ann.token);
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/calendar/);
      expect(text).toMatch(/^BEGIN:VCALENDAR\r\n/);
      const { calendar, events } = parseCalendar(text);
      expect(calendar.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid')).toBe('America/Sao_Paulo');
      expect(events).toHaveLength(1);
      const { vevent, event: parsed } = events[0]!;
      expect(parsed.uid).toContain(event.id);
      expect(parsed.summary).toBe('Bossa nova; session, vol. 2');
      expect(parsed.location).toBe('Rua Augusta 12, São Paulo');
      expect(parsed.description).toBe('Nylon strings only.\nBring a stand.');
      expect(parsed.startDate.zone.tzid).toBe('America/Sao_Paulo');
      // São Paulo is UTC−3: 22:00Z is 19:00 there.
      expect([parsed.startDate.hour, parsed.startDate.minute]).toEqual([19, 0]);
      expect(parsed.startDate.toJSDate().toISOString()).toBe('2026-12-04T22:00:00.000Z');
      expect(parsed.endDate.toJSDate().toISOString()).toBe('2026-12-05T01:30:00.000Z');
      expect(vevent.getFirstPropertyValue('dtstamp')?.toString()).toMatch(/Z$/);
      expect(vevent.getFirstPropertyValue('status')).toBe('CONFIRMED');
    });

    it('a cancelled meetup’s calendar says STATUS:CANCELLED', async () => {
      const ann = await player();
      const event = await meetup(ann);
      await ann.client.cancelEvent(event.id);
      const { events } = parseCalendar((await calendarText(`/v1/events/${event.id}/calendar.ics`, ann.token)).text);
      expect(events[0]!.vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
    });

    it('needs a session (401); an unknown meetup is 404', async () => {
      const ann = await player();
      const event = await meetup(ann);
      expect((await calendarText(`/v1/events/${event.id}/calendar.ics`)).status).toBe(401);
      expect((await calendarText('/v1/events/no-such-meetup/calendar.ics', ann.token)).status).toBe(404);
    });

    it('my calendar feed lists my meetups, with a bearer token or a separate revocable feed token', async () => {
      const ann = await player();
      const bob = await player();
      const going = await meetup(ann, { time_zone: 'Asia/Tokyo' });
      const maybe = await meetup(ann, { time_zone: 'Europe/Berlin' });
      const notMine = await meetup(ann);
      await bob.client.joinEvent(going.id);
      await bob.client.rsvp(maybe.id, 'maybe');
      const uids = (text: string) => parseCalendar(text).events.map((e) => e.event.uid.split('@')[0]).sort();
      const withBearer = await calendarText('/v1/users/me/calendar.ics', bob.token);
      expect(withBearer.status).toBe(200);
      expect(uids(withBearer.text)).toEqual([going.id, maybe.id].sort());
      expect(parseCalendar(withBearer.text).calendar.getAllSubcomponents('vtimezone').map((z) => z.getFirstPropertyValue('tzid')).sort()).toEqual(['Asia/Tokyo', 'Europe/Berlin']);
      expect(uids(withBearer.text)).not.toContain(notMine.id);

      const feed = await bob.client.openCalendarFeed();
      expect(feed.url).toBe(`/v1/users/me/calendar.ics?token=${feed.token}`);
      expect(feed.token).toMatch(/^[A-Za-z0-9._~-]{40,}$/);
      expect(uids((await calendarText(feed.url)).text)).toEqual([going.id, maybe.id].sort());
      const renewed = await bob.client.openCalendarFeed();
      expect((await calendarText(feed.url)).status).toBe(401);
      expect((await calendarText(renewed.url)).status).toBe(200);
      await bob.client.closeCalendarFeed();
      expect((await calendarText(renewed.url)).status).toBe(401);
      expect((await calendarText('/v1/users/me/calendar.ics')).status).toBe(401);
      // A session token is not a feed token.
      expect((await calendarText(`/v1/users/me/calendar.ics?token=${bob.token}`)).status).toBe(401);
    });
  });

  describe('real time: the meetup’s changes in its channel’s log', () => {
    it('event.updated, rsvp.updated, poll.updated and poll.closed are one frame per change, in seq order, data the resource without per-viewer fields, the announcement top-level', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { capacity: 5 });
      const annSocket = await connect(server.url, { token: ann.token });
      const bobSocket = await connect(server.url, { token: bob.token });

      await bob.client.joinEvent(event.id);
      await ann.client.updateEvent(event.id, { title: 'Renamed jam' });
      const poll = await ann.client.createPoll(event.id, { kind: 'relocate', question: 'Where?', options: ['Cellar', 'Roof'] });
      await bob.client.vote(poll.id, 1);
      await ann.client.vote(poll.id, 1);

      const expected = ['rsvp.updated', 'event.updated', 'poll.updated', 'poll.updated', 'poll.updated', 'poll.closed', 'event.updated'];
      const onChannel = (socket: typeof annSocket) => socket.frames.filter((f): f is Extract<ServerFrame, { seq: number }> => 'seq' in f && f.channel_id === event.channel_id);
      await annSocket.next('event.updated', (f) => f.channel_id === event.channel_id && (f.data as { location?: string }).location === 'Roof');
      const frames = onChannel(annSocket);
      expect(frames.map((f) => f.type)).toEqual(expected);
      expect(frames.map((f) => f.seq)).toEqual(expected.map((_, i) => i + 2));

      // Bob's sockets follow his RSVP into the channel from its own row on.
      await bobSocket.next('event.updated', (f) => f.channel_id === event.channel_id && (f.data as { location?: string }).location === 'Roof');
      expect(onChannel(bobSocket).map((f) => f.seq)).toEqual(frames.map((f) => f.seq));

      const history = (await ann.client.history(event.channel_id)).items;
      const bySeq = new Map(history.map((item) => [item.seq, item]));
      for (const frame of frames) {
        const withAnnouncement = frame as { announcement?: AnnouncementView; data: Record<string, unknown> };
        expect(withAnnouncement.data).not.toHaveProperty('my_rsvp');
        expect(withAnnouncement.data).not.toHaveProperty('my_vote');
        if (withAnnouncement.announcement) expect(withAnnouncement.announcement).toEqual(bySeq.get(frame.seq));
      }
      const [rsvp, edit, opened, bobVote, annVote, closed, moved] = frames as Array<{ data: Record<string, unknown>; announcement?: AnnouncementView }>;
      expect(rsvp!.data).toEqual({ event_id: event.id, user_id: bob.id, status: 'going' });
      expect(rsvp!.announcement).toMatchObject({ announcement: { type: 'rsvp_going', user_id: bob.id } });
      expect(edit!.data).toMatchObject({ id: event.id, title: 'Renamed jam', going_count: 2, organizer: { id: ann.id } });
      expect(edit!.data.organizer).not.toHaveProperty('email');
      expect(opened!.announcement).toMatchObject({ announcement: { type: 'poll_opened', poll_id: poll.id } });
      expect(bobVote!.data).toMatchObject({ id: poll.id, status: 'open', options: [{ votes: 0 }, { votes: 1 }] });
      expect(bobVote!.announcement).toBeUndefined();
      expect(annVote!.data).toMatchObject({ options: [{ votes: 0 }, { votes: 2 }] });
      expect(closed!.data).toMatchObject({ id: poll.id, status: 'closed', winner_index: 1 });
      expect(closed!.announcement).toMatchObject({ announcement: { type: 'poll_closed' } });
      expect(moved!.data).toMatchObject({ id: event.id, location: 'Roof' });
      expect(moved!.announcement).toMatchObject({ announcement: { type: 'event_relocated' } });

      // A resume replays the same rows as the same frames.
      const resumed = await connect(server.url, { token: ann.token, resume: { [event.channel_id]: 1 } });
      await resumed.next('event.updated', (f) => f.channel_id === event.channel_id && f.seq === frames.at(-1)!.seq);
      expect(onChannel(resumed)).toEqual(frames);
    });
  });

  describe('a restart', () => {
    it('keeps meetups, RSVPs and polls, and a poll’s deadline still closes it', async () => {
      const ann = await player();
      const bob = await player();
      const event = await meetup(ann, { capacity: 1 });
      await bob.client.joinEvent(event.id);
      const poll = await ann.client.createPoll(event.id, { kind: 'generic', question: 'Snacks?', options: ['a', 'b'], closes_at: inHours(1) });
      await ann.client.vote(poll.id, 1);
      await server.restart();
      expect(await server.client(ann.token).event(event.id)).toMatchObject({ going_count: 1, waitlisted_count: 1 });
      clock.advance(2 * HOUR);
      await runDueJobs();
      expect((await server.client(bob.token).polls(event.id))[0]).toMatchObject({ status: 'closed', winner_index: 1 });
    });
  });
});
