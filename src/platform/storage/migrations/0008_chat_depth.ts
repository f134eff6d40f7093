import type { Kysely, Migration } from 'kysely';

/** Direct messages (one channel per set of people), blocks, pins, replies and mentions, notifications and their per-channel settings. */
export const up = async (db: Kysely<any>) => {
  // The sorted member ids of a DM: unique, so asking twice (even at once) finds one channel.
  await db.schema.alterTable('channels').addColumn('direct_key', 'text').execute();
  await db.schema.createIndex('channels_direct_key').on('channels').column('direct_key').unique().execute();

  await db.schema
    .createTable('user_blocks')
    .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('user_blocks_blocked').on('user_blocks').column('blocked_id').execute();

  await db.schema
    .createTable('pins')
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('pinned_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('pinned_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pins_pk', ['channel_id', 'message_id'])
    .execute();

  await db.schema.alterTable('messages').addColumn('reply_to', 'text').execute();
  await db.schema.alterTable('messages').addColumn('mentions', 'text').execute();
  await db.schema.createIndex('messages_reply_to').on('messages').columns(['reply_to', 'seq']).execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.references('channels.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.references('events.id').onDelete('cascade'))
    .addColumn('actor_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('data', 'text', (c) => c.notNull())
    // What makes a notification happen once (a reminder, whichever node's job sends it).
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('read_at', 'bigint')
    .execute();
  await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('notification_settings')
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('muted_until', 'bigint')
    .addPrimaryKeyConstraint('notification_settings_pk', ['channel_id', 'user_id'])
    .execute();
};

export const down = async (db: Kysely<any>) => {
  await db.schema.dropTable('notification_settings').execute();
  await db.schema.dropTable('notifications').execute();
  await db.schema.dropIndex('messages_reply_to').execute();
  await db.schema.alterTable('messages').dropColumn('mentions').execute();
  await db.schema.alterTable('messages').dropColumn('reply_to').execute();
  await db.schema.dropTable('pins').execute();
  await db.schema.dropTable('user_blocks').execute();
  await db.schema.dropIndex('channels_direct_key').execute();
  await db.schema.alterTable('channels').dropColumn('direct_key').execute();
};
