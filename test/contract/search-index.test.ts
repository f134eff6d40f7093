import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openStorage, type Storage } from '../../src/platform/storage/database.js';
import { migrationsFor } from '../../src/platform/storage/migrations/index.js';
import type { MessageKind } from '../../src/platform/storage/tables.js';

/** SQLite's trigram index is kept by triggers on `messages`; PostgreSQL indexes the column itself. */
describe('SQLite search index', () => {
  let dataDir: string;
  let storage: Storage;
  const found = async (text: string) =>
    (
      await sql<{ id: string }>`select messages.id from message_search join messages on messages.rowid = message_search.rowid where message_search match ${`"${text}"`} order by messages.id`.execute(storage.db)
    ).rows.map((row) => row.id);
  const message = (id: string, body: string, deleted_at: number | null = null, kind: MessageKind = 'message') => ({ id, channel_id: 'c1', seq: Number(id.slice(1)), kind, author_id: 'u1', body, created_at: 1, deleted_at });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-search-index-'));
    storage = openStorage({ dataDir, databaseUrl: undefined });
    // A database from before the index was keyed by rowid, with messages in it.
    const migrator = new Migrator({ db: storage.db, provider: { getMigrations: async () => migrationsFor('sqlite') } });
    expect((await migrator.migrateTo('0008_chat_depth')).error).toBeUndefined();
    await storage.db.insertInto('users').values({ id: 'u1', role: 'user', username: 'u1', username_key: 'u1', email: 'u1@x.co', email_key: 'u1@x.co', created_at: 1, updated_at: 1 }).execute();
    await storage.db.insertInto('channels').values({ id: 'c1', kind: 'channel', name: 'c1', private: 0, creator_id: 'u1', created_at: 1, updated_at: 1, last_seq: 2, last_activity_at: 1 }).execute();
    await storage.db.insertInto('messages').values([message('m1', 'old guitar riff'), message('m2', 'deleted guitar solo', 2)]).execute();
    await sql`insert into message_search (body, message_id) values ('old guitar riff', 'm1')`.execute(storage.db);
    await migrateToLatest(storage);
  });
  afterAll(async () => {
    await storage.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the live messages of an upgraded database searchable, and only those', async () => {
    expect(await found('guitar')).toEqual(['m1']);
  });

  it('follows inserts, edits and deletions', async () => {
    await storage.db.insertInto('messages').values([message('m3', 'new bass line'), message('m4', 'announcement bass', null, 'announcement')]).execute();
    expect(await found('bass')).toEqual(['m3']);
    await storage.db.updateTable('messages').set({ body: 'new drum fill' }).where('id', '=', 'm3').execute();
    expect(await found('bass')).toEqual([]);
    expect(await found('drum')).toEqual(['m3']);
    await storage.db.updateTable('messages').set({ deleted_at: 5 }).where('id', '=', 'm3').execute();
    expect(await found('drum')).toEqual([]);
  });

  it("reads a channel's rows, for a history page or a search in it, without leaving the index that keeps them in channel order", async () => {
    const plan = async (where: string) =>
      (await sql<{ detail: string }>`explain query plan ${sql.raw(`select * from messages where channel_id = 'c1' and deleted_at is null and ${where} order by seq desc limit 51`)}`.execute(storage.db)).rows
        .map((row) => row.detail)
        .join('; ');
    expect(await plan('seq < 100')).toContain('COVERING INDEX messages_by_channel');
    expect(await plan(`body like '%riff%'`)).toContain('COVERING INDEX messages_by_channel');
  });

  it('drops the entries of a deleted channel (its messages go by cascade)', async () => {
    await storage.db.deleteFrom('channels').where('id', '=', 'c1').execute();
    expect(await found('guitar')).toEqual([]);
    expect((await sql<{ n: number }>`select count(*) as n from message_search`.execute(storage.db)).rows[0]!.n).toBe(0);
  });
});
