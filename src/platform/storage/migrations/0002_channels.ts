import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

export const GENERAL_CHANNEL_ID = 'general';

export function channelsMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('creator_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // The head of the channel's event log: bumped under the row lock, never by a process.
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('channels_discovery').on('channels').columns(['private', 'kind']).execute();

      await db.schema
        .createTable('channel_members')
        .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('last_read_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('channel_members_pk', ['channel_id', 'user_id'])
        .execute();
      await db.schema.createIndex('channel_members_user').on('channel_members').column('user_id').execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text')
        .addColumn('announcement', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('edited_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema.createIndex('messages_channel_seq').on('messages').columns(['channel_id', 'seq']).unique().execute();
      await db.schema.createIndex('messages_author_nonce').on('messages').columns(['author_id', 'nonce']).unique().execute();

      await db.schema
        .createTable('message_edits')
        .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('replaced_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_edits_message').on('message_edits').column('message_id').execute();

      await db.schema
        .createTable('reactions')
        .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('emoji', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('reactions_pk', ['message_id', 'user_id', 'emoji'])
        .execute();

      await db.schema
        .createTable('channel_events')
        .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
        .addColumn('payload', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_events_pk', ['channel_id', 'seq'])
        .execute();

      // Partial-match search: trigrams find a fragment inside a word.
      if (dialect === 'sqlite') {
        await sql`create virtual table message_search using fts5(body, message_id unindexed, tokenize = 'trigram')`.execute(db);
      } else {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index messages_body_trgm on messages using gin (body gin_trgm_ops)`.execute(db);
      }

      const now = Date.now();
      await db
        .insertInto('channels')
        .values({ id: GENERAL_CHANNEL_ID, kind: 'channel', name: 'General', description: 'Everyone is here', private: 0, created_at: now, updated_at: now, last_activity_at: now })
        .execute();
      await db
        .insertInto('channel_members')
        .columns(['channel_id', 'user_id', 'joined_at'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select([sql<string>`${GENERAL_CHANNEL_ID}`.as('channel_id'), 'id', sql<number>`cast(${now} as bigint)`.as('joined_at')])
            .where('role', '!=', 'guest'),
        )
        .execute();
    },
    async down(db: Kysely<any>) {
      if (dialect === 'sqlite') await sql`drop table message_search`.execute(db);
      for (const table of ['channel_events', 'reactions', 'message_edits', 'messages', 'channel_members', 'channels']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
