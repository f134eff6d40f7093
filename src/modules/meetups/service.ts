import type { Updateable } from 'kysely';
import { iso, type Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import { blankToEmpty } from '../../platform/http/validation.js';
import type { Identity } from '../../platform/http/auth.js';
import { hashSecret, secretToken, type IdGenerator } from '../../platform/ids.js';
import type { Scheduler } from '../../platform/jobs/scheduler.js';
import { inTransaction, type Database } from '../../platform/storage/database.js';
import type { EventRow, EventsTable, PollParticipantRow, PollRow, RsvpRow, RsvpStatus, UserRow } from '../../platform/storage/tables.js';
import { displayName, presentUser, type AccountsService, type UserView } from '../accounts/index.js';
import type { ChannelsService } from '../channels/index.js';
import type { Notice } from '../notifications/index.js';
import { icsCalendar, zoneSpelling } from './calendar.js';
import { pollLabels, presentEvent, presentPoll, presentRsvp, tally } from './present.js';
import type { EventFilter, EventListing, MeetupsRepository } from './repository.js';
import {
  alertTypes,
  type AlertView,
  type AttendeesView,
  type CalendarFeedView,
  type CreateEventInput,
  type CreatePollInput,
  type DiscoveryFilter,
  type EventView,
  type PollView,
  type RsvpChoice,
  type RsvpView,
  type UpdateEventInput,
} from './schema.js';

export interface MeetupsDeps {
  clock: Clock;
  ids: IdGenerator;
  accounts: AccountsService;
  channels: ChannelsService;
  jobs: Pick<Scheduler, 'schedule' | 'cancel'>;
  /** Tells people about their meetups (inside the transaction of the change). */
  notify: (trx: Database, notices: Notice[]) => Promise<void>;
  repo: MeetupsRepository;
}

/** The scheduler's job kind that closes a poll at its `closes_at`. */
export const POLL_DEADLINE = 'meetups.poll_deadline';
const pollJobKey = (pollId: string) => `poll:${pollId}`;

/** The scheduler's job kind that reminds the people going, a day and an hour before. */
export const MEETUP_REMINDER = 'meetups.reminder';
const REMINDER_LEADS = { '24h': 24 * 3_600_000, '1h': 3_600_000 } as const;
type ReminderLead = keyof typeof REMINDER_LEADS;
const reminderJobKey = (eventId: string, lead: ReminderLead) => `reminder:${eventId}:${lead}`;

const DEFAULT_PAGE = 50;
const FEED_LIMIT = 1000;

const invalid = (field: string, message: string) => new RiffError('validation_failed', `${field} ${message}`, [{ field, message }]);

/** Instants are kept to the second, as the API writes them. */
const instant = (text: string) => Math.floor(Date.parse(text) / 1000) * 1000;

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)$/i;

/**
 * An IANA zone name in its database spelling, or a 400 naming `time_zone`. The name is kept as
 * chosen otherwise: ICU would turn `Asia/Kolkata` into its old name `Asia/Calcutta`.
 */
function checkedZone(name: string): string {
  const refusal = invalid('time_zone', 'must be an IANA time zone name such as Europe/Berlin');
  if (!/^[A-Za-z][A-Za-z0-9_+/-]*$/.test(name)) throw refusal;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw refusal;
  }
  return zoneSpelling(name) ?? resolved;
}

/** "Fri 4 Dec 2026, 19:00 CET": a meetup's time as the people in its zone read it. */
const localTime = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(ms);


const cursorOf = (row: EventRow) => `${row.starts_at}.${row.id}`;
function parseCursor(cursor: string | undefined): EventFilter['after'] {
  if (cursor === undefined) return undefined;
  const dot = cursor.indexOf('.');
  return { startsAt: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}

/** How a change of the meetup is named in its announcement. */
const fieldNames: Record<keyof UpdateEventInput, string> = {
  title: 'title',
  description: 'description',
  starts_at: 'time',
  ends_at: 'end time',
  time_zone: 'time zone',
  location: 'place',
  city: 'city',
  capacity: 'capacity',
  genres: 'genres',
  instruments_wanted: 'instruments wanted',
  image_url: 'image',
};


export function meetupsService(deps: MeetupsDeps) {
  const { clock, ids, accounts, channels, jobs, notify, repo } = deps;

  /** What a meetup notification shows without another request. */
  const aboutEvent = (event: EventRow, extra: Record<string, unknown> = {}) => ({ event_title: event.title, starts_at: iso(event.starts_at), time_zone: event.time_zone, location: event.location, ...extra });

  /** Tells everyone going, maybe going or waiting (but `actorId`) about a change of their meetup. */
  async function tellAttendees(trx: Database, event: EventRow, type: Notice['type'], actorId: string | undefined, extra: Record<string, unknown> = {}, only?: readonly string[]): Promise<void> {
    const people = only ?? (await repo.attendees(trx, event.id)).filter((r) => r.status !== 'not_going').map((r) => r.user_id);
    await notify(
      trx,
      people.filter((userId) => userId !== actorId).map((userId) => ({ userId, type, eventId: event.id, channelId: event.channel_id, actorId, data: aboutEvent(event, extra), broad: true })),
    );
  }

  /** Schedules (or moves) the reminders of a meetup a day and an hour before it starts; those already past are dropped. */
  async function scheduleReminders(trx: Database, event: Pick<EventRow, 'id' | 'starts_at'>): Promise<void> {
    const now = clock.now();
    for (const [lead, ms] of Object.entries(REMINDER_LEADS) as Array<[ReminderLead, number]>) {
      const runAt = event.starts_at - ms;
      if (runAt > now) await jobs.schedule(trx, { kind: MEETUP_REMINDER, key: reminderJobKey(event.id, lead), runAt, payload: { event_id: event.id, lead, starts_at: event.starts_at } });
      else await jobs.cancel(trx, reminderJobKey(event.id, lead));
    }
  }

  async function registeredUser(db: Database, userId: string): Promise<UserRow> {
    const user = (await accounts.users(db, [userId])).get(userId);
    if (!user) throw new RiffError('not_found', 'No such user');
    return user;
  }

  async function lockedEvent(trx: Database, eventId: string): Promise<EventRow> {
    const event = await repo.lockEvent(trx, eventId);
    if (!event) throw new RiffError('not_found', 'No such meetup');
    return event;
  }

  function assertOrganizer(me: Identity, event: EventRow): void {
    if (event.organizer_id !== me.userId) throw new RiffError('forbidden', 'Only the meetup’s organizer can do this');
  }

  function assertScheduled(event: EventRow): void {
    if (event.status === 'cancelled') throw new RiffError('event_cancelled');
  }

  async function presentListings(db: Database, rows: EventListing[], viewerId: string | undefined): Promise<EventView[]> {
    const organizers = await accounts.users(db, rows.map((r) => r.organizer_id));
    return rows.map((row) => presentEvent(row, presentUser(organizers.get(row.organizer_id)!, viewerId), viewerId !== undefined));
  }

  /** The meetup as `viewerId` sees it, or as frames carry it without one. */
  async function eventView(db: Database, eventId: string, viewerId?: string): Promise<EventView> {
    const row = await repo.findListing(db, eventId, viewerId ?? '');
    if (!row) throw new RiffError('not_found', 'No such meetup');
    return (await presentListings(db, [row], viewerId))[0]!;
  }

  /** One `event.updated` row in the meetup's channel, with the history item that says what changed. */
  async function logEvent(trx: Database, event: EventRow, fields: { type: string } & Record<string, unknown>, body: string): Promise<void> {
    await channels.logResource(trx, event.channel_id, 'event.updated', await eventView(trx, event.id), { fields: { ...fields, event_id: event.id }, body });
  }

  async function rsvpView(db: Database, rsvp: RsvpRow): Promise<RsvpView> {
    return presentRsvp(rsvp, rsvp.status === 'waitlisted' ? await repo.waitlistPosition(db, rsvp.event_id, rsvp.ordinal) : undefined);
  }

  /** Saves an RSVP and logs it as one `rsvp.updated` row, whose announcement says it in words. */
  async function recordRsvp(trx: Database, event: EventRow, user: UserRow, status: RsvpStatus, previous: RsvpRow | undefined, promoted: boolean): Promise<{ rsvp: RsvpRow; seq: number }> {
    const now = clock.now();
    const rsvp: RsvpRow = { event_id: event.id, user_id: user.id, status, ordinal: await repo.nextOrdinal(trx, event.id), created_at: previous?.created_at ?? now, updated_at: now };
    await repo.saveRsvp(trx, rsvp);
    const view = await rsvpView(trx, rsvp);
    const name = displayName(user);
    const body = promoted
      ? `${name} got a seat from the waitlist and is going`
      : { going: `${name} is going`, maybe: `${name} might come`, not_going: `${name} can’t make it`, waitlisted: `${name} is on the waitlist (#${view.position})` }[status];
    const seq = await channels.logResource(trx, event.channel_id, 'rsvp.updated', view, {
      fields: { type: promoted ? 'rsvp_promoted' : `rsvp_${status}`, event_id: event.id, user_id: user.id, status },
      body,
    });
    return { rsvp, seq };
  }

  /** Gives free seats to the waitlist, earliest first, each promotion its own row. */
  async function fillSeats(trx: Database, event: EventRow): Promise<void> {
    let going = await repo.countWith(trx, event.id, 'going');
    while (event.capacity === null || going < event.capacity) {
      const next = await repo.nextWaitlisted(trx, event.id);
      if (!next) return;
      await recordRsvp(trx, event, await registeredUser(trx, next.user_id), 'going', next, true);
      await notify(trx, [{ userId: next.user_id, type: 'rsvp_promoted', eventId: event.id, channelId: event.channel_id, data: aboutEvent(event) }]);
      going++;
    }
  }

  /**
   * The caller's answer, decided under the meetup's lock: `going` becomes `waitlisted` when
   * every seat is taken, and a seat given up goes to the waitlist. Going, maybe and waiting
   * people are in the meetup's channel; declining leaves it.
   */
  async function answer(trx: Database, event: EventRow, user: UserRow, wanted: RsvpChoice): Promise<{ rsvp: RsvpRow; changed: boolean }> {
    assertScheduled(event);
    const current = await repo.findRsvp(trx, event.id, user.id);
    if (event.organizer_id === user.id) {
      if (wanted !== 'going') throw new RiffError('organizer_always_going');
      return { rsvp: current!, changed: false };
    }
    // Asking to go again keeps one's place, seated or in line.
    if (current && (current.status === wanted || (wanted === 'going' && current.status === 'waitlisted'))) return { rsvp: current, changed: false };
    const full = event.capacity !== null && (await repo.countWith(trx, event.id, 'going')) >= event.capacity;
    const status: RsvpStatus = wanted === 'going' && full ? 'waitlisted' : wanted;
    const { rsvp, seq } = await recordRsvp(trx, event, user, status, current, false);
    await channels.setMember(trx, event.channel_id, user.id, status !== 'not_going', seq);
    if (current?.status === 'going') await fillSeats(trx, event);
    return { rsvp, changed: true };
  }

  async function participantsOf(db: Database, polls: PollRow[]): Promise<PollParticipantRow[]> {
    return repo.participants(db, polls.map((p) => p.id));
  }

  /** A poll's option as people read it: a reschedule option in the meetup's local time. */
  const optionText = (poll: PollRow, event: EventRow, index: number) => {
    const label = pollLabels(poll)[index] ?? '';
    return poll.kind === 'reschedule' ? localTime(Date.parse(label), event.time_zone) : label;
  };

  /**
   * Closes a poll: one `poll.closed` row saying how it ended; a single winner of a reschedule
   * or relocate poll then changes the meetup, which is a second row (`event.updated`).
   */
  async function close(trx: Database, poll: PollRow, event: EventRow, cause: 'decided' | 'cancelled'): Promise<PollRow> {
    const now = clock.now();
    const participants = await participantsOf(trx, [poll]);
    const votes = tally(poll, participants);
    const top = Math.max(...votes);
    const leaders = votes.flatMap((count, index) => (count === top ? [index] : []));
    const winner = cause === 'decided' && top > 0 && leaders.length === 1 ? leaders[0]! : null;
    const closed: PollRow = { ...poll, status: 'closed', winner_index: winner, closed_at: now };
    await repo.updatePoll(trx, poll.id, { status: 'closed', winner_index: winner, closed_at: now });
    await jobs.cancel(trx, pollJobKey(poll.id));
    const question = `“${poll.question}”`;
    const decisive = poll.kind !== 'generic';
    const body =
      cause === 'cancelled'
        ? `Poll closed: ${question}, as the meetup was cancelled`
        : winner !== null
          ? `Poll closed: ${question} — ${optionText(poll, event, winner)} won`
          : `Poll closed: ${question} ${top === 0 ? 'got no votes' : 'ended in a tie'}${decisive ? '; the meetup stays as it was' : ''}`;
    await channels.logResource(trx, event.channel_id, 'poll.closed', presentPoll(closed, participants), {
      fields: { type: 'poll_closed', event_id: event.id, poll_id: poll.id, winner_index: winner, tie: cause === 'decided' && top > 0 && winner === null },
      body,
    });
    if (cause === 'decided') {
      const winning = winner === null ? null : optionText(poll, event, winner);
      await tellAttendees(trx, event, 'poll_closed', undefined, { poll_id: poll.id, question: poll.question, winner_index: winner, winner: winning }, participants.map((p) => p.user_id));
    }
    if (winner !== null && decisive) await carryOut(trx, event, closed, winner);
    return closed;
  }

  /** Moves the meetup to a poll's winning time or place (a reschedule keeps its length). */
  async function carryOut(trx: Database, event: EventRow, poll: PollRow, winner: number): Promise<void> {
    const label = pollLabels(poll)[winner]!;
    const now = clock.now();
    if (poll.kind === 'reschedule') {
      const delta = Date.parse(label) - event.starts_at;
      if (delta === 0) return;
      const moved = { starts_at: event.starts_at + delta, ends_at: event.ends_at === null ? null : event.ends_at + delta };
      await repo.updateEvent(trx, event.id, { ...moved, updated_at: now });
      await logEvent(trx, event, { type: 'event_rescheduled', poll_id: poll.id, starts_at: iso(moved.starts_at) }, `The meetup moved to ${localTime(moved.starts_at, event.time_zone)}, as the poll decided`);
      await tellAttendees(trx, { ...event, ...moved }, 'event_changed', undefined, { changes: ['starts_at'], poll_id: poll.id });
      await scheduleReminders(trx, { id: event.id, starts_at: moved.starts_at });
    } else {
      if (label === event.location) return;
      await repo.updateEvent(trx, event.id, { location: label, updated_at: now });
      await logEvent(trx, event, { type: 'event_relocated', poll_id: poll.id, location: label }, `The meetup moved to ${label}, as the poll decided`);
      await tellAttendees(trx, { ...event, location: label }, 'event_changed', undefined, { changes: ['location'], poll_id: poll.id });
    }
  }

  /** The poll and its meetup, the meetup locked and the poll read again under that lock. */
  async function lockedPoll(trx: Database, pollId: string): Promise<{ poll: PollRow; event: EventRow }> {
    const found = await repo.findPoll(trx, pollId);
    if (!found) throw new RiffError('not_found', 'No such poll');
    const event = await lockedEvent(trx, found.event_id);
    return { poll: (await repo.findPoll(trx, pollId))!, event };
  }

  async function pollView(db: Database, poll: PollRow, viewerId: string): Promise<PollView> {
    return presentPoll(poll, await participantsOf(db, [poll]), viewerId);
  }

  /** Checks a poll's options: a reschedule's are future instants (kept as the API writes them), all distinct. */
  function pollOptions(input: CreatePollInput, now: number): string[] {
    const options =
      input.kind !== 'reschedule'
        ? input.options
        : input.options.map((option, index) => {
            const at = ISO_INSTANT.test(option) ? instant(option) : NaN;
            if (Number.isNaN(at)) throw invalid(`options.${index}`, 'must be an ISO 8601 instant such as 2026-11-23T19:30:00Z');
            if (at <= now) throw invalid(`options.${index}`, 'must be in the future');
            return iso(at);
          });
    if (new Set(options).size !== options.length) throw invalid('options', 'must all differ');
    return options;
  }

  async function listEvents(db: Database, me: Identity, filter: Omit<EventFilter, 'viewerId' | 'limit' | 'after'>, page: { after?: string; limit?: number }) {
    const limit = page.limit ?? DEFAULT_PAGE;
    const rows = await repo.listEvents(db, { ...filter, viewerId: me.userId, after: parseCursor(page.after), limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items: await presentListings(db, items, me.userId), next: rows.length > limit && last ? cursorOf(last) : undefined };
  }

  return {
    async create(db: Database, me: Identity, input: CreateEventInput): Promise<EventView> {
      const now = clock.now();
      const startsAt = instant(input.starts_at);
      if (startsAt <= now) throw invalid('starts_at', 'must be in the future');
      const endsAt = input.ends_at === undefined ? null : instant(input.ends_at);
      if (endsAt !== null && endsAt <= startsAt) throw invalid('ends_at', 'must be after starts_at');
      const timeZone = checkedZone(input.time_zone);
      return inTransaction(db, async (trx) => {
        const organizer = await registeredUser(trx, me.userId);
        const channelId = await channels.openOwnedChannel(trx, {
          kind: 'event',
          name: input.title,
          description: '',
          creatorId: me.userId,
          announcement: `${displayName(organizer)} created the meetup ${input.title}`,
        });
        const id = ids.next();
        await repo.insertEvent(trx, {
          id,
          channel_id: channelId,
          organizer_id: me.userId,
          title: input.title,
          description: blankToEmpty(input.description),
          starts_at: startsAt,
          ends_at: endsAt,
          time_zone: timeZone,
          location: input.location,
          city: blankToEmpty(input.city),
          capacity: input.capacity ?? null,
          genres: JSON.stringify(input.genres ?? []),
          instruments_wanted: JSON.stringify(input.instruments_wanted ?? []),
          image_url: input.image_url ?? null,
          status: 'scheduled',
          created_at: now,
          updated_at: now,
        });
        await repo.saveRsvp(trx, { event_id: id, user_id: me.userId, status: 'going', ordinal: 1, created_at: now, updated_at: now });
        await scheduleReminders(trx, { id, starts_at: startsAt });
        return eventView(trx, id, me.userId);
      });
    },

    get: (db: Database, me: Identity, eventId: string) => eventView(db, eventId, me.userId),

    /**
     * The organizer's edit: one `event.updated` row naming what changed. Moving `starts_at`
     * alone keeps the meetup's length; more capacity gives seats to the waitlist, less moves nobody.
     */
    async update(db: Database, me: Identity, eventId: string, patch: UpdateEventInput): Promise<EventView> {
      return inTransaction(db, async (trx) => {
        const event = await lockedEvent(trx, eventId);
        assertOrganizer(me, event);
        assertScheduled(event);
        const now = clock.now();
        const next: EventRow = { ...event };
        if (patch.title !== undefined) next.title = patch.title;
        if (patch.description !== undefined) next.description = blankToEmpty(patch.description);
        if (patch.location !== undefined) next.location = patch.location;
        if (patch.city !== undefined) next.city = blankToEmpty(patch.city);
        if (patch.capacity !== undefined) next.capacity = patch.capacity;
        if (patch.genres !== undefined) next.genres = JSON.stringify(patch.genres);
        if (patch.instruments_wanted !== undefined) next.instruments_wanted = JSON.stringify(patch.instruments_wanted);
        if (patch.image_url !== undefined) next.image_url = patch.image_url;
        if (patch.time_zone !== undefined) next.time_zone = checkedZone(patch.time_zone);
        if (patch.starts_at !== undefined) {
          next.starts_at = instant(patch.starts_at);
          if (next.starts_at !== event.starts_at && next.starts_at <= now) throw invalid('starts_at', 'must be in the future');
          if (patch.ends_at === undefined && event.ends_at !== null) next.ends_at = event.ends_at + (next.starts_at - event.starts_at);
        }
        if (patch.ends_at !== undefined) next.ends_at = patch.ends_at === null ? null : instant(patch.ends_at);
        if (next.ends_at !== null && next.ends_at <= next.starts_at) throw invalid('ends_at', 'must be after starts_at');

        const changes: Updateable<EventsTable> = {};
        const changed: Array<keyof UpdateEventInput> = [];
        for (const field of Object.keys(fieldNames) as Array<keyof UpdateEventInput>) {
          if (next[field] !== event[field]) {
            (changes as Record<string, unknown>)[field] = next[field];
            changed.push(field);
          }
        }
        if (changed.length === 0) return eventView(trx, eventId, me.userId);
        await repo.updateEvent(trx, eventId, { ...changes, updated_at: now });
        const by = displayName(await registeredUser(trx, me.userId));
        const names = changed.filter((f) => f !== 'ends_at' || !changed.includes('starts_at')).map((f) => fieldNames[f]);
        await logEvent(trx, next, { type: 'event_updated', user_id: me.userId, changes: changed }, `${by} changed the meetup’s ${names.join(', ')}`);
        await tellAttendees(trx, next, 'event_changed', me.userId, { changes: changed });
        if (changed.includes('starts_at')) await scheduleReminders(trx, next);
        if (changed.includes('capacity') && (next.capacity === null || (event.capacity !== null && next.capacity > event.capacity))) await fillSeats(trx, next);
        return eventView(trx, eventId, me.userId);
      });
    },

    /** Cancels the meetup: members are told, RSVPs end, and its open polls close without changing it. */
    async cancel(db: Database, me: Identity, eventId: string): Promise<EventView> {
      return inTransaction(db, async (trx) => {
        const event = await lockedEvent(trx, eventId);
        assertOrganizer(me, event);
        if (event.status === 'cancelled') return eventView(trx, eventId, me.userId);
        const cancelled: EventRow = { ...event, status: 'cancelled', updated_at: clock.now() };
        await repo.updateEvent(trx, eventId, { status: 'cancelled', updated_at: cancelled.updated_at });
        const by = displayName(await registeredUser(trx, me.userId));
        await logEvent(trx, cancelled, { type: 'event_cancelled', user_id: me.userId }, `${by} cancelled the meetup`);
        await tellAttendees(trx, cancelled, 'event_cancelled', me.userId);
        for (const lead of Object.keys(REMINDER_LEADS) as ReminderLead[]) await jobs.cancel(trx, reminderJobKey(eventId, lead));
        for (const poll of await repo.openPollsOf(trx, eventId)) await close(trx, poll, cancelled, 'cancelled');
        return eventView(trx, eventId, me.userId);
      });
    },

    /** Upcoming scheduled meetups (or also past ones), soonest first. */
    discover(db: Database, me: Identity, filter: DiscoveryFilter) {
      const now = clock.now();
      const from = filter.from === undefined ? undefined : instant(filter.from);
      const startsFrom = filter.include_past ? from : Math.max(from ?? now, now);
      const { q, genre, instrument, city } = filter;
      return listEvents(
        db,
        me,
        { scheduledOnly: true, startsFrom, startsTo: filter.to === undefined ? undefined : instant(filter.to), q: q?.trim() || undefined, genre: genre?.trim() || undefined, instrument: instrument?.trim() || undefined, city: city?.trim() || undefined },
        filter,
      );
    },

    /** The meetups I am going to, might go to or wait for, soonest first (cancelled ones too, marked so). */
    mine: (db: Database, me: Identity, page: { after?: string; limit?: number }) => listEvents(db, me, { attendeeId: me.userId }, page),

    async join(db: Database, me: Identity, eventId: string): Promise<{ rsvp: RsvpView; created: boolean }> {
      return inTransaction(db, async (trx) => {
        const event = await lockedEvent(trx, eventId);
        const { rsvp, changed } = await answer(trx, event, await registeredUser(trx, me.userId), 'going');
        return { rsvp: await rsvpView(trx, rsvp), created: changed };
      });
    },

    async rsvp(db: Database, me: Identity, eventId: string, status: RsvpChoice): Promise<RsvpView> {
      return inTransaction(db, async (trx) => {
        const event = await lockedEvent(trx, eventId);
        const { rsvp } = await answer(trx, event, await registeredUser(trx, me.userId), status);
        return rsvpView(trx, rsvp);
      });
    },

    async attendees(db: Database, me: Identity, eventId: string): Promise<AttendeesView> {
      const event = await repo.findEvent(db, eventId);
      if (!event) throw new RiffError('not_found', 'No such meetup');
      const rows = await repo.attendees(db, eventId);
      const users = await accounts.users(db, rows.map((r) => r.user_id));
      const present = (status: RsvpStatus): UserView[] =>
        rows.flatMap((r) => {
          const user = users.get(r.user_id);
          return r.status === status && user ? [presentUser(user, me.userId)] : [];
        });
      return { going: present('going'), maybe: present('maybe'), waitlisted: present('waitlisted') };
    },

    /** Opens a poll (organizer only); its voters are the people going or maybe right now. */
    async createPoll(db: Database, me: Identity, eventId: string, input: CreatePollInput): Promise<PollView> {
      const now = clock.now();
      const closesAt = input.closes_at === undefined ? null : instant(input.closes_at);
      if (closesAt !== null && closesAt <= now) throw invalid('closes_at', 'must be in the future');
      const options = pollOptions(input, now);
      return inTransaction(db, async (trx) => {
        const event = await lockedEvent(trx, eventId);
        assertOrganizer(me, event);
        assertScheduled(event);
        const voters = (await repo.attendees(trx, eventId)).filter((r) => r.status === 'going' || r.status === 'maybe').map((r) => r.user_id);
        const poll: PollRow = {
          id: ids.next(),
          event_id: eventId,
          kind: input.kind,
          question: input.question,
          options: JSON.stringify(options),
          status: 'open',
          closes_at: closesAt,
          winner_index: null,
          created_by: me.userId,
          created_at: now,
          closed_at: null,
        };
        await repo.insertPoll(trx, poll);
        await repo.insertParticipants(trx, poll.id, voters);
        if (closesAt !== null) await jobs.schedule(trx, { kind: POLL_DEADLINE, key: pollJobKey(poll.id), runAt: closesAt, payload: { poll_id: poll.id } });
        const by = displayName(await registeredUser(trx, me.userId));
        const participants = await participantsOf(trx, [poll]);
        await channels.logResource(trx, event.channel_id, 'poll.updated', presentPoll(poll, participants), {
          fields: { type: 'poll_opened', event_id: eventId, poll_id: poll.id, kind: poll.kind, user_id: me.userId },
          body: `${by} opened a poll: “${poll.question}”`,
        });
        await tellAttendees(trx, event, 'poll_opened', me.userId, { poll_id: poll.id, question: poll.question, kind: poll.kind }, voters);
        return presentPoll(poll, participants, me.userId);
      });
    },

    async polls(db: Database, me: Identity, eventId: string): Promise<PollView[]> {
      if (!(await repo.findEvent(db, eventId))) throw new RiffError('not_found', 'No such meetup');
      const polls = await repo.pollsOf(db, eventId);
      const participants = await participantsOf(db, polls);
      return polls.map((poll) => presentPoll(poll, participants, me.userId));
    },

    /** A participant's vote, changeable while the poll is open; the last missing vote closes it. */
    async vote(db: Database, me: Identity, pollId: string, option: number): Promise<PollView> {
      return inTransaction(db, async (trx) => {
        const { poll, event } = await lockedPoll(trx, pollId);
        const participants = await participantsOf(trx, [poll]);
        const mine = participants.find((p) => p.user_id === me.userId);
        if (!mine) throw new RiffError('forbidden', 'Only the people going or maybe when the poll opened can vote in it');
        if (poll.status === 'closed') throw new RiffError('poll_closed');
        if (option >= pollLabels(poll).length) throw invalid('option', `must be an option's index, 0 to ${pollLabels(poll).length - 1}`);
        if (mine.vote === option) return presentPoll(poll, participants, me.userId);
        await repo.setVote(trx, poll.id, me.userId, option, clock.now());
        const voted = participants.map((p) => (p.user_id === me.userId ? { ...p, vote: option } : p));
        await channels.logResource(trx, event.channel_id, 'poll.updated', presentPoll(poll, voted));
        const final = voted.every((p) => p.vote !== null) ? await close(trx, poll, event, 'decided') : poll;
        return pollView(trx, final, me.userId);
      });
    },

    /** The organizer closes a poll early. */
    async closePoll(db: Database, me: Identity, pollId: string): Promise<PollView> {
      return inTransaction(db, async (trx) => {
        const { poll, event } = await lockedPoll(trx, pollId);
        assertOrganizer(me, event);
        if (poll.status === 'closed') throw new RiffError('poll_closed');
        return pollView(trx, await close(trx, poll, event, 'decided'), me.userId);
      });
    },

    /** The scheduler's job at a poll's `closes_at`; a poll that closed some other way stays as it is. */
    async closePollAtDeadline(db: Database, payload: unknown): Promise<void> {
      const { poll_id: pollId } = payload as { poll_id: string };
      await inTransaction(db, async (trx) => {
        const { poll, event } = await lockedPoll(trx, pollId);
        if (poll.status === 'open') await close(trx, poll, event, 'decided');
      });
    },

    /**
     * The scheduler's reminder job: the people going hear of their meetup once per lead and start
     * time, however often the job runs (a retry, another node); a moved or cancelled meetup's old
     * reminder does nothing.
     */
    async remind(db: Database, payload: unknown): Promise<void> {
      const { event_id: eventId, lead, starts_at: startsAt } = payload as { event_id: string; lead: ReminderLead; starts_at: number };
      await inTransaction(db, async (trx) => {
        const event = await repo.findEvent(trx, eventId);
        if (!event || event.status !== 'scheduled' || event.starts_at !== startsAt) return;
        const going = (await repo.attendees(trx, eventId)).filter((r) => r.status === 'going');
        await notify(
          trx,
          going.map((r) => ({
            userId: r.user_id,
            type: 'reminder',
            eventId,
            channelId: event.channel_id,
            data: aboutEvent(event, { lead }),
            dedupeKey: `reminder:${eventId}:${lead}:${startsAt}:${r.user_id}`,
          })),
        );
      });
    },

    /** Polls waiting for my vote, oldest first. */
    async alerts(db: Database, me: Identity): Promise<AlertView[]> {
      const polls = await repo.pendingFor(db, me.userId);
      const participants = await participantsOf(db, polls);
      return polls.map((poll) => ({ type: alertTypes[poll.kind], poll: presentPoll(poll, participants, me.userId), event_id: poll.event_id }));
    },

    async eventCalendar(db: Database, eventId: string): Promise<{ ics: string; title: string }> {
      const event = await repo.findEvent(db, eventId);
      if (!event) throw new RiffError('not_found', 'No such meetup');
      return { ics: icsCalendar(event.title, [event], clock.now()), title: event.title };
    },

    /** Every meetup of mine, past and cancelled ones too, for a calendar app to subscribe to. */
    async myCalendar(db: Database, userId: string): Promise<string> {
      const events = await repo.listEvents(db, { viewerId: userId, attendeeId: userId, limit: FEED_LIMIT });
      return icsCalendar('Riff: my meetups', events, clock.now());
    },

    /** A new feed token for my calendar (the previous one stops working). */
    async openFeed(db: Database, me: Identity): Promise<CalendarFeedView> {
      const token = secretToken();
      await repo.saveFeed(db, me.userId, hashSecret(token), clock.now());
      return { token, url: `/v1/users/me/calendar.ics?token=${token}` };
    },

    async closeFeed(db: Database, me: Identity): Promise<void> {
      await repo.deleteFeed(db, me.userId);
    },

    /** Whose calendar a feed token opens. */
    async feedOwner(db: Database, token: string): Promise<string> {
      const feed = await repo.findFeed(db, hashSecret(token));
      if (!feed) throw new RiffError('unauthorized', 'This calendar feed link is not valid; make a new one');
      return feed.user_id;
    },
  };
}

export type MeetupsService = ReturnType<typeof meetupsService>;
