import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** The Apps API: applications (known by their token's hash), their numbered chats and the chats' numbered messages. */
export function appsMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('applications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token_hint', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'text', (c) => c.notNull())
        // Chats are never deleted, so the count is also the last number given: bumped under the row lock.
        .addColumn('chats_count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('applications_owner').on('applications').columns(['owner_id', 'id']).execute();

      await db.schema
        .createTable('app_chats')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('number', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('messages_count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('app_chats_number').on('app_chats').columns(['application_id', 'number']).unique().execute();

      await db.schema
        .createTable('app_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('chat_id', 'text', (c) => c.notNull().references('app_chats.id').onDelete('cascade'))
        .addColumn('number', 'bigint', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('app_messages_number').on('app_messages').columns(['chat_id', 'number']).unique().execute();

      // Partial-match search, as for channel messages (pg_trgm itself was created by 0002_channels).
      if (dialect === 'sqlite') {
        await sql`create virtual table app_message_search using fts5(content, message_id unindexed, tokenize = 'trigram')`.execute(db);
      } else {
        await sql`create index app_messages_content_trgm on app_messages using gin (content gin_trgm_ops)`.execute(db);
      }
    },
    async down(db: Kysely<any>) {
      if (dialect === 'sqlite') await sql`drop table app_message_search`.execute(db);
      for (const table of ['app_messages', 'app_chats', 'applications']) await db.schema.dropTable(table).execute();
    },
  };
}
