/**
 * Bulk seeder for the history scenario: `riff migrate` makes the real schema, then users,
 * public channels and their messages go straight into the database in big transactions — each
 * message with its log row (`channel_events`), as the channels module writes them (the schema
 * indexes them for search: SQLite's triggers, PostgreSQL's trigram index). The result is cached
 * (SQLite under bench/.cache/, git-ignored; PostgreSQL as a database on the server) and reused
 * while the migrations stay the same.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { timeOrderedIds } from '../src/platform/ids.js';
import { connectAdmin, databaseUrl, endProgress, progress, ROOT } from './harness.js';

export const CACHE_DIR = join(ROOT, 'bench', '.cache');
const AUTHORS = 10;
const BATCH = 20_000;

/** A small deterministic generator, so every seeding makes the same text. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ba', 'ri', 'lo', 'tem', 'po', 'chor', 'bas', 'dru', 'syn', 'jaz', 'vox', 'mel', 'od', 'ic', 'ar', 'pe', 'gio', 'fun', 'ky', 'so', 'lu', 'tra', 'cor', 'da', 've', 'ne', 'mi', 'sta', 'gro', 'ove', 'rhy', 'thm'];

/** 1,500 made-up words: partial-match searches for a fragment of one find a realistic handful. */
export function vocabulary(): string[] {
  const random = prng(7);
  const words = new Set<string>();
  while (words.size < 1500) {
    const parts = 2 + Math.floor(random() * 2);
    words.add(Array.from({ length: parts }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''));
  }
  return [...words];
}

export interface Seeded {
  channelIds: string[];
  messagesPerChannel: number;
}

/** Runs `riff migrate` from dist/ on `DATA_DIR` or `DATABASE_URL`. */
async function migrate(target: { dataDir: string } | { databaseUrl: string }): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const name of ['DATABASE_URL', 'BUS_URL', 'DATA_DIR']) delete env[name];
  if ('dataDir' in target) env.DATA_DIR = target.dataDir;
  else env.DATABASE_URL = target.databaseUrl;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), 'migrate'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`riff migrate exited with ${code}`);
}

interface SeedMessage {
  id: string;
  channelId: string;
  seq: number;
  authorId: string;
  body: string;
  createdAt: number;
}

/**
 * The seeded history, the same on every database: 10 authors, `channels` public channels (each
 * with its creator as member) and their messages, written by `write` in batches. Messages go to
 * the channels in turn, as a busy server's would, with ids from the app's own generator.
 */
async function generate(
  messages: number,
  channels: number,
  write: {
    people(authors: Array<{ id: string; name: string }>, channels: Array<{ id: string; name: string; creatorId: string }>, at: number, lastActivityAt: number, perChannel: number): Promise<void> | void;
    messages(batch: SeedMessage[]): Promise<void> | void;
  },
): Promise<Seeded> {
  let clock = Date.now() - messages * 10;
  const ids = timeOrderedIds({ now: () => clock });
  const authors = Array.from({ length: AUTHORS }, (_, i) => ({ id: ids.next(), name: `historian${i}` }));
  const rooms = Array.from({ length: channels }, (_, c) => ({ id: ids.next(), name: `history ${c}`, creatorId: authors[c % AUTHORS]!.id }));
  const perChannel = Math.floor(messages / channels);
  await write.people(authors, rooms, clock, clock + messages * 10, perChannel);
  const words = vocabulary();
  const random = prng(11);
  const total = perChannel * channels;
  const started = Date.now();
  for (let from = 0; from < total; from += BATCH) {
    const batch: SeedMessage[] = [];
    for (let k = from; k < Math.min(total, from + BATCH); k++) {
      clock += 10;
      const length = 5 + Math.floor(random() * 8);
      const body = Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(' ');
      batch.push({ id: ids.next(), channelId: rooms[k % channels]!.id, seq: Math.floor(k / channels) + 1, authorId: authors[k % AUTHORS]!.id, body, createdAt: clock });
    }
    await write.messages(batch);
    progress(`  seeding ${total} messages in ${channels} channels: ${Math.min(total, from + BATCH)} (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  endProgress();
  return { channelIds: rooms.map((room) => room.id), messagesPerChannel: perChannel };
}

/** The seeded SQLite data directory for `messages` in `channels` (built once, then reused). */
export async function seedHistory(messages: number, channels: number): Promise<Seeded & { dataDir: string }> {
  const dataDir = join(CACHE_DIR, `history-sqlite-${messages}-${channels}`);
  const marker = join(dataDir, 'seeded.json');
  const migrations = readMigrationNames();
  if (existsSync(marker)) {
    const seeded = JSON.parse(readFileSync(marker, 'utf8')) as Seeded & { migrations: string[] };
    if (seeded.migrations.join() === migrations.join()) return { channelIds: seeded.channelIds, messagesPerChannel: seeded.messagesPerChannel, dataDir };
    rmSync(dataDir, { recursive: true, force: true });
  }
  const building = `${dataDir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  await migrate({ dataDir: building });
  const db = new Database(join(building, 'riff.db'));
  db.pragma('synchronous = OFF');
  const insertUser = db.prepare(
    `insert into users (id, role, username, username_key, email, email_key, password_hash, created_at, updated_at) values (?, 'user', ?, ?, ?, ?, null, ?, ?)`,
  );
  const insertChannel = db.prepare(
    `insert into channels (id, kind, name, description, private, creator_id, created_at, updated_at, last_seq, last_activity_at) values (?, 'channel', ?, '', 0, ?, ?, ?, ?, ?)`,
  );
  const insertMember = db.prepare(`insert into channel_members (channel_id, user_id, joined_at, last_read_seq) values (?, ?, ?, 0)`);
  const insertMessage = db.prepare(`insert into messages (id, channel_id, seq, kind, author_id, body, nonce, announcement, created_at) values (?, ?, ?, 'message', ?, ?, null, null, ?)`);
  const insertEvent = db.prepare(`insert into channel_events (channel_id, seq, type, message_id, payload, created_at) values (?, ?, 'message.created', ?, null, ?)`);
  const seeded = await generate(messages, channels, {
    people: db.transaction((authors, rooms, at: number, lastActivityAt: number, perChannel: number) => {
      for (const author of authors) insertUser.run(author.id, author.name, author.name, `${author.name}@example.com`, `${author.name}@example.com`, at, at);
      for (const room of rooms) {
        insertChannel.run(room.id, room.name, room.creatorId, at, at, perChannel, lastActivityAt);
        insertMember.run(room.id, room.creatorId, at);
      }
    }),
    messages: db.transaction((batch: SeedMessage[]) => {
      for (const m of batch) {
        insertMessage.run(m.id, m.channelId, m.seq, m.authorId, m.body, m.createdAt);
        insertEvent.run(m.channelId, m.seq, m.id, m.createdAt);
      }
    }),
  });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  writeFileSync(join(building, 'seeded.json'), JSON.stringify({ migrations, ...seeded }) + '\n');
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(building, dataDir);
  return { ...seeded, dataDir };
}

/**
 * The seeded PostgreSQL database for `messages` in `channels`, kept on the server between runs
 * (named after its size; rebuilt when the migrations change). A run serves a copy made from it
 * as a template. Throws `Unavailable` when PostgreSQL cannot be reached.
 */
export async function seedHistoryPostgres(adminUrl: string, messages: number, channels: number): Promise<Seeded & { template: string }> {
  const template = `riff_bench_history_${messages}_${channels}`;
  const migrations = readMigrationNames();
  const admin = await connectAdmin(adminUrl);
  try {
    if ((await admin.query('select 1 from pg_database where datname = $1', [template])).rowCount) {
      const cached = await readSeeded(databaseUrl(adminUrl, template));
      if (cached.migrations.join() === migrations.join()) return { channelIds: cached.channelIds, messagesPerChannel: Math.floor(messages / channels), template };
      await admin.query(`drop database ${template} with (force)`);
    }
    const building = `${template}_building`;
    await admin.query(`drop database if exists ${building} with (force)`);
    await admin.query(`create database ${building}`);
    await migrate({ databaseUrl: databaseUrl(adminUrl, building) });
    const db = new pg.Client({ connectionString: databaseUrl(adminUrl, building) });
    await db.connect();
    let seeded: Seeded;
    try {
      await db.query('set synchronous_commit = off');
      seeded = await generate(messages, channels, {
        async people(authors, rooms, at, lastActivityAt, perChannel) {
          await db.query(
            `insert into users (id, role, username, username_key, email, email_key, password_hash, created_at, updated_at)
             select id, 'user', name, name, name || '@example.com', name || '@example.com', null, $3, $3 from unnest($1::text[], $2::text[]) as t(id, name)`,
            [authors.map((a) => a.id), authors.map((a) => a.name), at],
          );
          await db.query(
            `insert into channels (id, kind, name, description, private, creator_id, created_at, updated_at, last_seq, last_activity_at)
             select id, 'channel', name, '', 0, creator_id, $4, $4, $5, $6 from unnest($1::text[], $2::text[], $3::text[]) as t(id, name, creator_id)`,
            [rooms.map((r) => r.id), rooms.map((r) => r.name), rooms.map((r) => r.creatorId), at, perChannel, lastActivityAt],
          );
          await db.query(
            `insert into channel_members (channel_id, user_id, joined_at, last_read_seq) select channel_id, user_id, $3, 0 from unnest($1::text[], $2::text[]) as t(channel_id, user_id)`,
            [rooms.map((r) => r.id), rooms.map((r) => r.creatorId), at],
          );
        },
        async messages(batch) {
          const columns = [batch.map((m) => m.id), batch.map((m) => m.channelId), batch.map((m) => m.seq), batch.map((m) => m.authorId), batch.map((m) => m.body), batch.map((m) => m.createdAt)];
          await db.query('begin');
          await db.query(
            `insert into messages (id, channel_id, seq, kind, author_id, body, created_at)
             select id, channel_id, seq, 'message', author_id, body, created_at from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[]) as t(id, channel_id, seq, author_id, body, created_at)`,
            columns,
          );
          await db.query(
            `insert into channel_events (channel_id, seq, type, message_id, created_at)
             select channel_id, seq, 'message.created', id, created_at from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) as t(id, channel_id, seq, created_at)`,
            [columns[0], columns[1], columns[2], columns[5]],
          );
          await db.query('commit');
        },
      });
      // Fresh statistics, as autovacuum would have gathered on a server that grew this big.
      await db.query('analyze');
    } finally {
      await db.end();
    }
    await admin.query(`alter database ${building} rename to ${template}`);
    return { ...seeded, template };
  } finally {
    await admin.end();
  }
}

/** What a seeded PostgreSQL database holds: its migrations and its channels, oldest first. */
async function readSeeded(url: string): Promise<{ migrations: string[]; channelIds: string[] }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const migrations = (await db.query<{ name: string }>('select name from kysely_migration order by name')).rows.map((row) => row.name);
    const channelIds = (await db.query<{ id: string }>(`select id from channels where name like 'history %' order by id`)).rows.map((row) => row.id);
    return { migrations, channelIds };
  } finally {
    await db.end();
  }
}

/** The schema's identity: the migration modules in dist/ (a new one invalidates the cache). */
function readMigrationNames(): string[] {
  const source = readFileSync(join(ROOT, 'dist', 'platform', 'storage', 'migrations', 'index.js'), 'utf8');
  return [...source.matchAll(/'(\d{4}_[a-z_]+)'/g)].map((m) => m[1]!);
}
