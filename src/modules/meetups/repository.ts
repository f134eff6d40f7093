import { sql, type Insertable, type Updateable } from 'kysely';
import type { Database, DialectName } from '../../platform/storage/database.js';
import type { EventRow, EventsTable, PollRow, PollsTable, RsvpRow, RsvpStatus } from '../../platform/storage/tables.js';

/**
 * `column` contains `text`, ignoring case, on both dialects: `%`, `_` and `\` in the text
 * match themselves (SQLite has no LIKE escape character unless told).
 */
const containsIgnoringCase = (column: string, text: string) =>
  sql<boolean>`lower(${sql.ref(column)}) like ${`%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`;

// Lists are JSON text: match the JSON-encoded form of the text, so `"` and `\` cannot break out of an element.
const encoded = (text: string) => JSON.stringify(text).slice(1, -1);

const countOf = (status: RsvpStatus) =>
  sql<number>`(select count(*) from rsvps r where r.event_id = events.id and r.status = ${status})`;

/** A meetup with what every list shows of it: its counts, and the viewer's RSVP. */
export interface EventListing extends EventRow {
  going_count: number;
  maybe_count: number;
  waitlisted_count: number;
  my_rsvp: RsvpStatus | null;
}

export interface EventFilter {
  viewerId: string;
  /** Only meetups this user is going to, might go to, or waits for. */
  attendeeId?: string;
  /** Only meetups starting at or after this instant. */
  startsFrom?: number;
  startsTo?: number;
  q?: string;
  genre?: string;
  instrument?: string;
  city?: string;
  scheduledOnly?: boolean;
  /** Soonest first, after this (starts_at, id). */
  after?: { startsAt: number; id: string };
  limit: number;
}

export function meetupsRepository(dialect: DialectName) {
  const listings = (db: Database, viewerId: string) =>
    db
      .selectFrom('events')
      .selectAll('events')
      .select([
        countOf('going').as('going_count'),
        countOf('maybe').as('maybe_count'),
        countOf('waitlisted').as('waitlisted_count'),
        sql<RsvpStatus | null>`(select r.status from rsvps r where r.event_id = events.id and r.user_id = ${viewerId})`.as('my_rsvp'),
      ]);

  return {
    insertEvent: (db: Database, event: Insertable<EventsTable>) => db.insertInto('events').values(event).execute(),

    updateEvent: (db: Database, id: string, changes: Updateable<EventsTable>) => db.updateTable('events').set(changes).where('id', '=', id).execute(),

    findEvent: (db: Database, id: string) => db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst(),

    /**
     * The meetup under its row lock until commit, so RSVP and poll decisions about it are
     * made one at a time on every node. SQLite transactions already hold the write lock.
     */
    lockEvent(db: Database, id: string): Promise<EventRow | undefined> {
      const query = db.selectFrom('events').selectAll().where('id', '=', id);
      return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    },

    findListing: (db: Database, id: string, viewerId: string): Promise<EventListing | undefined> =>
      listings(db, viewerId).where('events.id', '=', id).executeTakeFirst(),

    /** Meetups matching every given filter, soonest first. */
    listEvents(db: Database, filter: EventFilter): Promise<EventListing[]> {
      let query = listings(db, filter.viewerId);
      const { q, genre, instrument, city, after } = filter;
      if (filter.attendeeId !== undefined) {
        query = query.where('events.id', 'in', (eb) =>
          eb.selectFrom('rsvps').select('event_id').where('user_id', '=', filter.attendeeId!).where('status', 'in', ['going', 'maybe', 'waitlisted']),
        );
      }
      if (filter.scheduledOnly) query = query.where('events.status', '=', 'scheduled');
      if (filter.startsFrom !== undefined) query = query.where('events.starts_at', '>=', filter.startsFrom);
      if (filter.startsTo !== undefined) query = query.where('events.starts_at', '<=', filter.startsTo);
      if (q) query = query.where((eb) => eb.or([containsIgnoringCase('events.title', q), containsIgnoringCase('events.description', q)]));
      if (genre) query = query.where(containsIgnoringCase('events.genres', encoded(genre)));
      if (instrument) query = query.where(containsIgnoringCase('events.instruments_wanted', encoded(instrument)));
      if (city) query = query.where(containsIgnoringCase('events.city', city));
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('events.starts_at', '>', after.startsAt), eb.and([eb('events.starts_at', '=', after.startsAt), eb('events.id', '>', after.id)])]),
        );
      }
      return query.orderBy('events.starts_at').orderBy('events.id').limit(filter.limit).execute();
    },

    findRsvp: (db: Database, eventId: string, userId: string) =>
      db.selectFrom('rsvps').selectAll().where('event_id', '=', eventId).where('user_id', '=', userId).executeTakeFirst(),

    async saveRsvp(db: Database, rsvp: RsvpRow): Promise<void> {
      await db
        .insertInto('rsvps')
        .values(rsvp)
        .onConflict((oc) => oc.columns(['event_id', 'user_id']).doUpdateSet({ status: rsvp.status, ordinal: rsvp.ordinal, updated_at: rsvp.updated_at }))
        .execute();
    },

    /** The next ordinal of a meetup's RSVPs; callers hold the meetup's lock. */
    async nextOrdinal(db: Database, eventId: string): Promise<number> {
      const row = await db.selectFrom('rsvps').select((eb) => eb.fn.max('ordinal').as('last')).where('event_id', '=', eventId).executeTakeFirst();
      return Number(row?.last ?? 0) + 1;
    },

    async countWith(db: Database, eventId: string, status: RsvpStatus): Promise<number> {
      const row = await db.selectFrom('rsvps').select((eb) => eb.fn.countAll<number>().as('count')).where('event_id', '=', eventId).where('status', '=', status).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** The earliest on the waitlist, who gets the next free seat. */
    nextWaitlisted: (db: Database, eventId: string) =>
      db.selectFrom('rsvps').selectAll().where('event_id', '=', eventId).where('status', '=', 'waitlisted').orderBy('ordinal').limit(1).executeTakeFirst(),

    /** 1 for the next in line. */
    async waitlistPosition(db: Database, eventId: string, ordinal: number): Promise<number> {
      const row = await db
        .selectFrom('rsvps')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('event_id', '=', eventId)
        .where('status', '=', 'waitlisted')
        .where('ordinal', '<=', ordinal)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** Everyone coming or waiting for a seat, in the order their status began. */
    attendees: (db: Database, eventId: string) =>
      db
        .selectFrom('rsvps')
        .selectAll()
        .where('event_id', '=', eventId)
        .where('status', 'in', ['going', 'maybe', 'waitlisted'])
        .orderBy('ordinal')
        .execute(),

    insertPoll: (db: Database, poll: Insertable<PollsTable>) => db.insertInto('polls').values(poll).execute(),

    updatePoll: (db: Database, id: string, changes: Updateable<PollsTable>) => db.updateTable('polls').set(changes).where('id', '=', id).execute(),

    findPoll: (db: Database, id: string) => db.selectFrom('polls').selectAll().where('id', '=', id).executeTakeFirst(),

    pollsOf: (db: Database, eventId: string) =>
      db.selectFrom('polls').selectAll().where('event_id', '=', eventId).orderBy('created_at').orderBy('id').execute(),

    openPollsOf: (db: Database, eventId: string) =>
      db.selectFrom('polls').selectAll().where('event_id', '=', eventId).where('status', '=', 'open').orderBy('created_at').orderBy('id').execute(),

    /** Open polls of scheduled meetups waiting for this user's vote, oldest first. */
    pendingFor: (db: Database, userId: string): Promise<PollRow[]> =>
      db
        .selectFrom('polls')
        .innerJoin('poll_participants', 'poll_participants.poll_id', 'polls.id')
        .innerJoin('events', 'events.id', 'polls.event_id')
        .selectAll('polls')
        .where('poll_participants.user_id', '=', userId)
        .where('poll_participants.vote', 'is', null)
        .where('polls.status', '=', 'open')
        .where('events.status', '=', 'scheduled')
        .orderBy('polls.created_at')
        .orderBy('polls.id')
        .execute(),

    async insertParticipants(db: Database, pollId: string, userIds: readonly string[]): Promise<void> {
      await db.insertInto('poll_participants').values(userIds.map((user_id) => ({ poll_id: pollId, user_id, vote: null, voted_at: null }))).execute();
    },

    participants: (db: Database, pollIds: readonly string[]) =>
      pollIds.length === 0
        ? Promise.resolve([])
        : db.selectFrom('poll_participants').selectAll().where('poll_id', 'in', pollIds).orderBy('user_id').execute(),

    setVote: (db: Database, pollId: string, userId: string, vote: number, now: number) =>
      db.updateTable('poll_participants').set({ vote, voted_at: now }).where('poll_id', '=', pollId).where('user_id', '=', userId).execute(),

    async saveFeed(db: Database, userId: string, tokenHash: string, now: number): Promise<void> {
      await db
        .insertInto('calendar_feeds')
        .values({ user_id: userId, token_hash: tokenHash, created_at: now })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ token_hash: tokenHash, created_at: now }))
        .execute();
    },

    deleteFeed: (db: Database, userId: string) => db.deleteFrom('calendar_feeds').where('user_id', '=', userId).execute(),

    findFeed: (db: Database, tokenHash: string) => db.selectFrom('calendar_feeds').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
  };
}

export type MeetupsRepository = ReturnType<typeof meetupsRepository>;
