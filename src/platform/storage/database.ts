import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationsFor } from './migrations/index.js';
import { isStalePlan, namedStatementPool } from './postgres-statements.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';
import { redactUrl } from '../../config.js';
import type { Tables } from './tables.js';

export type Database = Kysely<Tables>;
export type DialectName = 'sqlite' | 'postgres';

export interface Storage {
  db: Database;
  dialect: DialectName;
  /** Where the data lives, for logs: a file path or a redacted URL. */
  location: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageOptions {
  dataDir: string;
  databaseUrl: string | undefined;
  /** A pooled PostgreSQL connection failed while idle (server restart, network): the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

const INT8_OID = 20;

export function openStorage(options: StorageOptions): Storage {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.onConnectionError) : openSqlite(options.dataDir);
}

function openSqlite(dataDir: string): Storage {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'riff.db');
  const sqlite = new SQLite(file);
  // WAL with synchronous=FULL: a commit is on disk before Riff answers.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Reads (history, search) map the file rather than copying each page out of the kernel with a
  // system call; the mapped pages are the page cache's, shared and reclaimable.
  sqlite.pragma('mmap_size = 1073741824');
  const dialect = new GroupCommitSqliteDialect(sqlite);
  const db = new Kysely<Tables>({ dialect });
  commits.set(db, dialect.driver);
  return {
    db,
    dialect: 'sqlite',
    location: file,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, onConnectionError: (error: Error) => void = () => {}): Storage {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Times and counts are int8; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
    // A statement that runs away is cut off rather than holding its connection and locks.
    options: '-c synchronous_commit=on -c statement_timeout=15000 -c lock_timeout=10000',
  });
  // Without a listener an idle connection's error would end the process.
  pool.on('error', onConnectionError);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: namedStatementPool(pool) }) });
  return {
    db,
    dialect: 'postgres',
    location: redactUrl(url),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** Brings the schema up to date. Safe to run from many nodes at once: Kysely takes a migration lock. */
export async function migrateToLatest({ db, dialect }: Pick<Storage, 'db' | 'dialect'>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialect) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  // The Migrator's transaction is not one of inTransaction's: wait for its commit here.
  await commits.get(db)?.durable();
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

const commitHooks = new WeakMap<Database, Array<() => void>>();
/** Databases whose commits are grouped: a transaction is done when its group's commit is. */
const commits = new WeakMap<Database, { durable(): Promise<void> }>();

/**
 * Runs `work` atomically: inside the caller's transaction when there is one (so services
 * compose), otherwise in a new one. Slow work that needs no database (hashing) goes before it.
 * What `afterCommit` registered inside runs once the outermost transaction has committed.
 */
export async function inTransaction<T>(db: Database, work: (trx: Database) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  for (let attempt = 1; ; attempt++) {
    const hooks: Array<() => void> = [];
    try {
      let durable: Promise<void> | undefined;
      const result = await db.transaction().execute((trx) => {
        commitHooks.set(trx, hooks);
        durable = commits.get(db)?.durable();
        return work(trx);
      });
      await durable;
      for (const hook of hooks) hook();
      return result;
    } catch (error) {
      // A deadlock, a serialization failure or a stale statement rolled everything back: the work can simply run again.
      if (attempt >= MAX_ATTEMPTS || !(RETRYABLE.has((error as { code?: string }).code ?? '') || isStalePlan(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

const MAX_ATTEMPTS = 4;
const RETRYABLE = new Set(['40001', '40P01', 'SQLITE_BUSY']);

/** Defers `hook` (publishing to the bus) until `trx` commits; a rollback drops it. */
export function afterCommit(trx: Database, hook: () => void): void {
  const hooks = commitHooks.get(trx);
  if (!hooks) throw new Error('afterCommit needs a transaction begun by inTransaction');
  hooks.push(hook);
}

/** The constraint a unique-violation error names (SQLite: `users.username_key`, PostgreSQL: `users_username_key_key`), if it is one. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505') return e.constraint;
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return e.message;
  return undefined;
}
