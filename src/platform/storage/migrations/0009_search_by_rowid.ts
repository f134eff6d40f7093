import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

interface SearchIndex {
  table: string;
  index: string;
  column: string;
  /** The columns whose change can add, change or drop the row's entry. */
  watched: string[];
  /** SQL for "this row is searchable", over the row named `row`. */
  searchable: (row: string) => string;
}

const INDEXES: SearchIndex[] = [
  { table: 'messages', index: 'message_search', column: 'body', watched: ['body', 'deleted_at'], searchable: (row) => `${row}.kind = 'message' and ${row}.deleted_at is null` },
  { table: 'app_messages', index: 'app_message_search', column: 'content', watched: ['content'], searchable: () => '1' },
];

/**
 * SQLite's search indexes become contentless FTS5 tables keyed by their row's rowid and kept in
 * step by triggers. The tables they replace named rows by an unindexed `message_id`, so every
 * send, edit and deletion scanned the whole index to drop the old entry; a rowid key makes that a
 * lookup, and lets a search walk matches newest first and stop at its limit. Riff never runs
 * VACUUM, which is what could renumber the rowids of tables without an integer key.
 * PostgreSQL indexes the columns themselves and has nothing to change.
 */
export function searchByRowidMigration(dialect: DialectName): Migration {
  const run = (db: Kysely<any>, statement: string) => sql.raw(statement).execute(db);
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      for (const { table, index, column, watched, searchable } of INDEXES) {
        await run(db, `drop table ${index}`);
        await run(db, `create virtual table ${index} using fts5(${column}, content = '', contentless_delete = 1, tokenize = 'trigram')`);
        await run(db, `insert into ${index} (rowid, ${column}) select rowid, ${column} from ${table} where ${searchable(table)}`);
        await run(db, `create trigger ${table}_search_insert after insert on ${table} when ${searchable('new')} begin insert into ${index} (rowid, ${column}) values (new.rowid, new.${column}); end`);
        await run(
          db,
          `create trigger ${table}_search_update after update of ${watched.join(', ')} on ${table} begin delete from ${index} where rowid = old.rowid; ` +
            `insert into ${index} (rowid, ${column}) select new.rowid, new.${column} where ${searchable('new')}; end`,
        );
        await run(db, `create trigger ${table}_search_delete after delete on ${table} begin delete from ${index} where rowid = old.rowid; end`);
      }
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      for (const { table, index, column, searchable } of INDEXES) {
        for (const change of ['insert', 'update', 'delete']) await run(db, `drop trigger ${table}_search_${change}`);
        await run(db, `drop table ${index}`);
        await run(db, `create virtual table ${index} using fts5(${column}, message_id unindexed, tokenize = 'trigram')`);
        await run(db, `insert into ${index} (${column}, message_id) select ${column}, id from ${table} where ${searchable(table)}`);
      }
    },
  };
}
