import { sql, type Insertable } from 'kysely';
import type { Database, DialectName } from '../../platform/storage/database.js';
import type { BansTable, QueueEntryRow, ReportsTable, TalkMode, TalkParticipantRow } from '../../platform/storage/tables.js';

// Any constant: the one advisory lock every node takes to pair people.
const QUEUE_LOCK = 7_357_001;

export function matchingRepository(dialect: DialectName) {
  return {
    /**
     * Serializes every change to the queue across nodes until the transaction ends, so a pairing
     * sees every entry as it is and nobody is paired twice. SQLite transactions already hold the
     * database's one write lock.
     */
    async lockQueue(db: Database): Promise<void> {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(QUEUE_LOCK)})`.execute(db);
    },

    findEntry: (db: Database, userId: string) => db.selectFrom('queue_entries').selectAll().where('user_id', '=', userId).executeTakeFirst(),

    insertEntry: (db: Database, entry: QueueEntryRow) => db.insertInto('queue_entries').values(entry).execute(),

    async deleteEntries(db: Database, userIds: readonly string[]): Promise<number> {
      const result = await db.deleteFrom('queue_entries').where('user_id', 'in', userIds).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** 1 for the oldest of those waiting in the same mode. */
    async position(db: Database, entry: QueueEntryRow): Promise<number> {
      const row = await db
        .selectFrom('queue_entries')
        .select((eb) => eb.fn.countAll<number>().as('ahead'))
        .where('mode', '=', entry.mode)
        .where('id', '<=', entry.id)
        .executeTakeFirstOrThrow();
      return Number(row.ahead);
    },

    /**
     * The oldest entry in one of `modes` that may pair with `entry`: someone else, who queued no
     * later than `queuedBy` (when given), and between whom and `entry`'s user there is no block.
     */
    findPartner: (db: Database, entry: QueueEntryRow, modes: readonly TalkMode[], queuedBy?: number) => {
      let query = db
        .selectFrom('queue_entries as candidate')
        .selectAll()
        .where('candidate.mode', 'in', modes)
        .where('candidate.user_id', '!=', entry.user_id)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('talk_blocks')
                .select('talk_blocks.blocker_id')
                .where((eb) =>
                  eb.or([
                    eb.and([eb('talk_blocks.blocker_id', '=', entry.user_id), eb('talk_blocks.blocked_id', '=', eb.ref('candidate.user_id'))]),
                    eb.and([eb('talk_blocks.blocker_id', '=', eb.ref('candidate.user_id')), eb('talk_blocks.blocked_id', '=', entry.user_id)]),
                  ]),
                ),
            ),
          ),
        );
      if (queuedBy !== undefined) query = query.where('candidate.queued_at', '<=', queuedBy);
      return query.orderBy('candidate.id').limit(1).executeTakeFirst();
    },

    insertParticipants: (db: Database, rows: TalkParticipantRow[]) => db.insertInto('talk_participants').values(rows).execute(),

    /** A room's people, locked until the transaction ends (leaving and closing are decided on them). */
    lockRoom(db: Database, roomId: string): Promise<TalkParticipantRow[]> {
      const query = db.selectFrom('talk_participants').selectAll().where('room_id', '=', roomId).orderBy('user_id');
      return (dialect === 'postgres' ? query.forUpdate() : query).execute();
    },

    participants: (db: Database, roomId: string) => db.selectFrom('talk_participants').selectAll().where('room_id', '=', roomId).orderBy('user_id').execute(),

    /** The rooms a user is in and has not left, newest first. */
    roomsOf: (db: Database, userId: string) =>
      db.selectFrom('talk_participants').selectAll().where('user_id', '=', userId).where('left_at', 'is', null).orderBy('joined_at', 'desc').orderBy('room_id', 'desc').execute(),

    markLeft: (db: Database, roomId: string, userId: string, now: number) =>
      db.updateTable('talk_participants').set({ left_at: now }).where('room_id', '=', roomId).where('user_id', '=', userId).execute(),

    markDisconnected: (db: Database, userId: string, now: number) =>
      db.updateTable('talk_participants').set({ disconnected_at: now }).where('user_id', '=', userId).where('left_at', 'is', null).execute(),

    insertBlock: (db: Database, blockerId: string, blockedId: string, now: number) =>
      db
        .insertInto('talk_blocks')
        .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
        .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
        .execute(),

    recordAddress: (db: Database, userId: string, ip: string, now: number) =>
      db
        .insertInto('talk_addresses')
        .values({ user_id: userId, ip, seen_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'ip']).doUpdateSet({ seen_at: now }))
        .execute(),

    insertReport: (db: Database, report: Insertable<ReportsTable>) => db.insertInto('reports').values(report).execute(),

    /** Newest first, before the report `before`. */
    reports: (db: Database, page: { before?: string; limit: number }) => {
      let query = db.selectFrom('reports').selectAll();
      if (page.before) query = query.where('id', '<', page.before);
      return query.orderBy('id', 'desc').limit(page.limit).execute();
    },

    insertBan: (db: Database, ban: Insertable<BansTable>) => db.insertInto('bans').values(ban).execute(),

    /** The ban in force on a user that ends last (a lasting one first), if any. */
    activeBan: (db: Database, userId: string, now: number) =>
      db
        .selectFrom('bans')
        .selectAll()
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
        .orderBy(sql`case when until is null then 1 else 0 end`, 'desc')
        .orderBy('until', 'desc')
        .executeTakeFirst(),

    /** Whether a user banned now used Talk now from this address. */
    async bannedAddress(db: Database, ip: string, now: number): Promise<boolean> {
      const row = await db
        .selectFrom('talk_addresses')
        .innerJoin('bans', 'bans.user_id', 'talk_addresses.user_id')
        .select('bans.id')
        .where('talk_addresses.ip', '=', ip)
        .where((eb) => eb.or([eb('bans.until', 'is', null), eb('bans.until', '>', now)]))
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type MatchingRepository = ReturnType<typeof matchingRepository>;
