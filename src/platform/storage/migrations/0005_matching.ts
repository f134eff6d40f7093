import type { Kysely } from 'kysely';

/** Talk now: the queue, its rooms' participants and aliases, blocks, reports and bans. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_aliases')
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('alias_id', 'text', (c) => c.notNull().unique())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_aliases_pk', ['channel_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('queue_entries')
    // One entry per user: queueing again can only find the one there is.
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('queue_entries_by_mode').on('queue_entries').columns(['mode', 'id']).execute();

  await db.schema
    .createTable('talk_participants')
    .addColumn('room_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'bigint', (c) => c.notNull())
    .addColumn('left_at', 'bigint')
    .addColumn('disconnected_at', 'bigint')
    .addPrimaryKeyConstraint('talk_participants_pk', ['room_id', 'user_id'])
    .execute();
  await db.schema.createIndex('talk_participants_user').on('talk_participants').column('user_id').execute();

  await db.schema
    .createTable('talk_blocks')
    .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('talk_blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('talk_blocks_blocked').on('talk_blocks').column('blocked_id').execute();

  await db.schema
    .createTable('talk_addresses')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('talk_addresses_pk', ['user_id', 'ip'])
    .execute();
  await db.schema.createIndex('talk_addresses_ip').on('talk_addresses').column('ip').execute();

  // Reports outlive the rooms, messages and even the users they name: no foreign keys.
  await db.schema
    .createTable('reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reporter_id', 'text', (c) => c.notNull())
    .addColumn('reported_user_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('room_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message_text', 'text')
    .addColumn('transcript', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('bans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('until', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bans_user').on('bans').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['bans', 'reports', 'talk_addresses', 'talk_blocks', 'talk_participants', 'queue_entries', 'conversation_aliases']) {
    await db.schema.dropTable(table).execute();
  }
}
