import { sql, type Insertable, type Updateable } from 'kysely';
import type { Database, DialectName } from '../../platform/storage/database.js';
import type { AppChatRow, AppChatsTable, ApplicationRow, ApplicationsTable, AppMessageRow, AppMessagesTable } from '../../platform/storage/tables.js';
import { TRIGRAM_MIN, ftsPhrase, likeFragment } from '../../platform/storage/text-search.js';

export interface NumberPage<T> {
  items: T[];
  /** More items lie after this page. */
  more: boolean;
}

async function pageOf<T>(rows: Promise<T[]>, limit: number): Promise<NumberPage<T>> {
  const items = await rows;
  return { items: items.slice(0, limit), more: items.length > limit };
}

export function appsRepository(dialect: DialectName) {
  return {
    insertApplication: (db: Database, application: Insertable<ApplicationsTable>) => db.insertInto('applications').values(application).execute(),

    findApplication: (db: Database, tokenHash: string) => db.selectFrom('applications').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),

    findApplicationById: (db: Database, id: string) => db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst(),

    /** Changes the application whose token hashes to `tokenHash` now, so that of two racing rotations only one wins. */
    updateApplication: (db: Database, tokenHash: string, changes: Updateable<ApplicationsTable>): Promise<ApplicationRow | undefined> =>
      db.updateTable('applications').set(changes).where('token_hash', '=', tokenHash).returningAll().executeTakeFirst(),

    /** An owner's applications in the order they were made, skipping the first `after` (none is ever deleted, so positions hold). */
    ownedBy: (db: Database, ownerId: string, cursor: { after: number; limit: number }) =>
      pageOf(db.selectFrom('applications').selectAll().where('owner_id', '=', ownerId).orderBy('id').offset(cursor.after).limit(cursor.limit + 1).execute(), cursor.limit),

    /** Takes the application's next chat number under its row lock (held until commit). */
    async nextChatNumber(db: Database, applicationId: string): Promise<number> {
      const row = await db
        .updateTable('applications')
        .set((eb) => ({ chats_count: eb('chats_count', '+', 1) }))
        .where('id', '=', applicationId)
        .returning('chats_count')
        .executeTakeFirstOrThrow();
      return row.chats_count;
    },

    insertChat: (db: Database, chat: Insertable<AppChatsTable>) => db.insertInto('app_chats').values(chat).execute(),

    findChat: (db: Database, applicationId: string, number: number) =>
      db.selectFrom('app_chats').selectAll().where('application_id', '=', applicationId).where('number', '=', number).executeTakeFirst(),

    chats: (db: Database, applicationId: string, cursor: { after: number; limit: number }): Promise<NumberPage<AppChatRow>> =>
      pageOf(
        db.selectFrom('app_chats').selectAll().where('application_id', '=', applicationId).where('number', '>', cursor.after).orderBy('number').limit(cursor.limit + 1).execute(),
        cursor.limit,
      ),

    renameChat: (db: Database, id: string, name: string, now: number) =>
      db.updateTable('app_chats').set({ name, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    /** Takes the chat's next message number under its row lock (held until commit). */
    async nextMessageNumber(db: Database, chatId: string): Promise<number> {
      const row = await db
        .updateTable('app_chats')
        .set((eb) => ({ messages_count: eb('messages_count', '+', 1) }))
        .where('id', '=', chatId)
        .returning('messages_count')
        .executeTakeFirstOrThrow();
      return row.messages_count;
    },

    insertMessage: (db: Database, message: Insertable<AppMessagesTable>) => db.insertInto('app_messages').values(message).execute(),

    findMessage: (db: Database, chatId: string, number: number) =>
      db.selectFrom('app_messages').selectAll().where('chat_id', '=', chatId).where('number', '=', number).executeTakeFirst(),

    messages: (db: Database, chatId: string, cursor: { after: number; limit: number }): Promise<NumberPage<AppMessageRow>> =>
      pageOf(
        db.selectFrom('app_messages').selectAll().where('chat_id', '=', chatId).where('number', '>', cursor.after).orderBy('number').limit(cursor.limit + 1).execute(),
        cursor.limit,
      ),

    editMessage: (db: Database, id: string, content: string, now: number) =>
      db.updateTable('app_messages').set({ content, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    /** Messages of one chat whose content contains `q` (any case), by number. */
    search(db: Database, chatId: string, q: string, cursor: { after: number; limit: number }): Promise<NumberPage<Pick<AppMessageRow, 'number' | 'content'>>> {
      let query = db
        .selectFrom('app_messages')
        .select(['app_messages.number', 'app_messages.content'])
        .where('app_messages.chat_id', '=', chatId)
        .where('app_messages.number', '>', cursor.after);
      if (dialect === 'postgres') {
        query = query.where(sql<boolean>`app_messages.content ilike ${likeFragment(q)} escape '\\'`);
      } else if ([...q].length >= TRIGRAM_MIN) {
        query = query.where(sql<boolean>`app_messages.rowid in (select rowid from app_message_search where app_message_search match ${ftsPhrase(q)})`);
      } else {
        // Too short for the trigram index: one chat's messages are scanned instead.
        query = query.where(sql<boolean>`app_messages.content like ${likeFragment(q)} escape '\\'`);
      }
      return pageOf(query.orderBy('app_messages.number').limit(cursor.limit + 1).execute(), cursor.limit);
    },
  };
}

export type AppsRepository = ReturnType<typeof appsRepository>;
