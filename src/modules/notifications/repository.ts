import type { Insertable } from 'kysely';
import type { Database } from '../../platform/storage/database.js';
import type { NotificationSettingsTable, NotificationsTable } from '../../platform/storage/tables.js';

export function notificationsRepository() {
  return {
    /** Inserts what is new; a row whose `dedupe_key` exists already is skipped. Returns the inserted ids. */
    async insert(db: Database, rows: Insertable<NotificationsTable>[]): Promise<Set<string>> {
      if (rows.length === 0) return new Set();
      const inserted = await db
        .insertInto('notifications')
        .values(rows)
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .execute();
      return new Set(inserted.map((row) => row.id));
    },

    /** Unread first, then read; newest first within each; after the cursor (`read` flag, id). */
    list(db: Database, userId: string, page: { unreadOnly: boolean; after?: { read: boolean; id: string }; limit: number }) {
      let query = db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
      const { after } = page;
      if (page.unreadOnly) query = query.where('read_at', 'is', null);
      if (after) {
        query = after.read
          ? query.where('read_at', 'is not', null).where('id', '<', after.id)
          : query.where((eb) => eb.or([eb('read_at', 'is not', null), eb.and([eb('read_at', 'is', null), eb('id', '<', after.id)])]));
      }
      return query
        .orderBy((eb) => eb.case().when('read_at', 'is', null).then(0).else(1).end())
        .orderBy('id', 'desc')
        .limit(page.limit)
        .execute();
    },

    async markRead(db: Database, userId: string, ids: readonly string[] | 'all', now: number): Promise<void> {
      let query = db.updateTable('notifications').set({ read_at: now }).where('user_id', '=', userId).where('read_at', 'is', null);
      if (ids !== 'all') query = query.where('id', 'in', ids);
      await query.execute();
    },

    async unreadCount(db: Database, userId: string): Promise<number> {
      const row = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('count')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    settingsOf: (db: Database, channelId: string, userIds: readonly string[]) =>
      userIds.length === 0
        ? Promise.resolve([])
        : db.selectFrom('notification_settings').selectAll().where('channel_id', '=', channelId).where('user_id', 'in', userIds).execute(),

    findSettings: (db: Database, channelId: string, userId: string) =>
      db.selectFrom('notification_settings').selectAll().where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst(),

    saveSettings: (db: Database, settings: NotificationSettingsTable) =>
      db
        .insertInto('notification_settings')
        .values(settings)
        .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doUpdateSet({ level: settings.level, muted_until: settings.muted_until }))
        .execute(),

    /** Which of `userIds` blocked `actorId`. */
    blockersOf: async (db: Database, actorId: string, userIds: readonly string[]) =>
      userIds.length === 0
        ? new Set<string>()
        : new Set((await db.selectFrom('user_blocks').select('blocker_id').where('blocked_id', '=', actorId).where('blocker_id', 'in', userIds).execute()).map((row) => row.blocker_id)),
  };
}

export type NotificationsRepository = ReturnType<typeof notificationsRepository>;
