/**
 * Bulk seeder for the history scenario: `riff migrate` makes the real schema, then users,
 * public channels and their messages go straight into the SQLite file in big transactions —
 * each message with its log row (`channel_events`), as the channels module writes them (the
 * schema's triggers add its trigram search entry). The result is cached under
 * bench/.cache/ (git-ignored) and reused while the migrations stay the same.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { timeOrderedIds } from '../src/platform/ids.js';
import { progress, endProgress, ROOT } from './harness.js';

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
  dataDir: string;
  channelIds: string[];
  messagesPerChannel: number;
}

async function migrate(dataDir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  for (const name of ['DATABASE_URL', 'BUS_URL']) delete env[name];
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), 'migrate'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`riff migrate exited with ${code}`);
}

/** The seeded data directory for `messages` in `channels` (built once, then reused). */
export async function seedHistory(messages: number, channels: number): Promise<Seeded> {
  const dataDir = join(CACHE_DIR, `history-sqlite-${messages}-${channels}`);
  const marker = join(dataDir, 'seeded.json');
  const migrations = readMigrationNames();
  if (existsSync(marker)) {
    const seeded = JSON.parse(readFileSync(marker, 'utf8')) as Seeded & { migrations: string[] };
    if (seeded.migrations.join() === migrations.join()) return { ...seeded, dataDir };
    rmSync(dataDir, { recursive: true, force: true });
  }
  const building = `${dataDir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  await migrate(building);
  const db = new Database(join(building, 'riff.db'));
  db.pragma('synchronous = OFF');
  const started = Date.now();
  let clock = Date.now() - messages * 10;
  const ids = timeOrderedIds({ now: () => clock });
  const authors = Array.from({ length: AUTHORS }, (_, i) => ({ id: ids.next(), name: `historian${i}` }));
  const insertUser = db.prepare(
    `insert into users (id, role, username, username_key, email, email_key, password_hash, created_at, updated_at) values (?, 'user', ?, ?, ?, ?, null, ?, ?)`,
  );
  const insertChannel = db.prepare(
    `insert into channels (id, kind, name, description, private, creator_id, created_at, updated_at, last_seq, last_activity_at) values (?, 'channel', ?, '', 0, ?, ?, ?, ?, ?)`,
  );
  const insertMember = db.prepare(`insert into channel_members (channel_id, user_id, joined_at, last_read_seq) values (?, ?, ?, 0)`);
  const perChannel = Math.floor(messages / channels);
  const channelIds: string[] = [];
  db.transaction(() => {
    for (const author of authors) insertUser.run(author.id, author.name, author.name, `${author.name}@example.com`, `${author.name}@example.com`, clock, clock);
    for (let c = 0; c < channels; c++) {
      const id = ids.next();
      channelIds.push(id);
      const creator = authors[c % AUTHORS]!.id;
      insertChannel.run(id, `history ${c}`, creator, clock, clock, perChannel, clock + messages * 10);
      insertMember.run(id, creator, clock);
    }
  })();
  const insertMessage = db.prepare(`insert into messages (id, channel_id, seq, kind, author_id, body, nonce, announcement, created_at) values (?, ?, ?, 'message', ?, ?, null, null, ?)`);
  const insertEvent = db.prepare(`insert into channel_events (channel_id, seq, type, message_id, payload, created_at) values (?, ?, 'message.created', ?, null, ?)`);
  const words = vocabulary();
  const random = prng(11);
  const total = perChannel * channels;
  const batch = db.transaction((from: number, to: number) => {
    for (let k = from; k < to; k++) {
      clock += 10;
      const channelId = channelIds[k % channels]!;
      const seq = Math.floor(k / channels) + 1;
      const length = 5 + Math.floor(random() * 8);
      const body = Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(' ');
      const id = ids.next();
      insertMessage.run(id, channelId, seq, authors[k % AUTHORS]!.id, body, clock);
      insertEvent.run(channelId, seq, id, clock);
    }
  });
  for (let from = 0; from < total; from += BATCH) {
    batch(from, Math.min(total, from + BATCH));
    progress(`  seeding ${total} messages in ${channels} channels: ${Math.min(total, from + BATCH)} (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  endProgress();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  writeFileSync(join(building, 'seeded.json'), JSON.stringify({ migrations, channelIds, messagesPerChannel: perChannel, seededInSeconds: Math.round((Date.now() - started) / 1000) }) + '\n');
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(building, dataDir);
  return { dataDir, channelIds, messagesPerChannel: perChannel };
}

/** The schema's identity: the migration modules in dist/ (a new one invalidates the cache). */
function readMigrationNames(): string[] {
  const source = readFileSync(join(ROOT, 'dist', 'platform', 'storage', 'migrations', 'index.js'), 'utf8');
  return [...source.matchAll(/'(\d{4}_[a-z_]+)'/g)].map((m) => m[1]!);
}
