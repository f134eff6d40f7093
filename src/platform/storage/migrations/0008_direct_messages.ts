import type { Kysely, Migration } from 'kysely';

/** Direct messages (one channel per set of people), blocks between users, and pinned messages. */
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
};

export const down = async (db: Kysely<any>) => {
  await db.schema.dropTable('pins').execute();
  await db.schema.dropTable('user_blocks').execute();
  await db.schema.dropIndex('channels_direct_key').execute();
  await db.schema.alterTable('channels').dropColumn('direct_key').execute();
};
