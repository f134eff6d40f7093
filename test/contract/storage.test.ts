import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction, migrateToLatest, openStorage, uniqueViolation, type DialectName, type Storage } from '../../src/platform/storage/database.js';
import { migrationsFor } from '../../src/platform/storage/migrations/index.js';
import { prepared } from '../../src/platform/storage/prepared.js';
import type { NewUser } from '../../src/platform/storage/tables.js';
import { describeEachDialect } from '../helpers/riff.js';
import { createTestDatabase } from '../helpers/services.js';

/** The contract every storage adapter keeps; the same tests run on SQLite and PostgreSQL. */

async function storageFor(dialect: DialectName): Promise<{ open: () => Storage; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-contract-'));
    return { open: () => openStorage({ dataDir, databaseUrl: undefined }), cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const database = await createTestDatabase();
  return { open: () => openStorage({ dataDir: '', databaseUrl: database.url }), cleanup: database.drop };
}

let n = 0;
const user = (overrides: Partial<NewUser> = {}): NewUser => {
  n++;
  return { id: `u${n}`, role: 'user', username: `user${n}`, username_key: `user${n}`, email: `u${n}@x.co`, email_key: `u${n}@x.co`, created_at: 1, updated_at: 1, ...overrides };
};

describeEachDialect('storage contract', (dialect) => {
  let storage: Storage;
  let cleanup: () => Promise<void>;
  let open: () => Storage;
  beforeAll(async () => {
    ({ open, cleanup } = await storageFor(dialect));
    storage = open();
  });
  afterAll(async () => {
    await storage.close();
    await cleanup();
  });

  // SQLite nodes are processes (one connection each, whose lock waits block their thread), so
  // there the concurrent case is proven by test/e2e/cli.test.ts with several `riff migrate`.
  it('migrates an empty database once, whichever node comes first, and again without change', async () => {
    const others = [open(), open()];
    const nodes = [storage, ...others];
    const applied =
      dialect === 'postgres'
        ? await Promise.all(nodes.map((s) => migrateToLatest(s)))
        : [await migrateToLatest(storage), await migrateToLatest(others[0]!), await migrateToLatest(others[1]!)];
    expect(applied.flat()).toEqual(Object.keys(migrationsFor(dialect)).sort());
    expect(await migrateToLatest(storage)).toEqual([]);
    await Promise.all(others.map((s) => s.close()));
  });

  it('commits durably', async () => {
    if (dialect === 'sqlite') {
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(storage.db);
      const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db);
      const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(storage.db);
      expect(journal.rows[0]?.journal_mode).toBe('wal');
      expect(synchronous.rows[0]?.synchronous).toBe(2);
      expect(foreignKeys.rows[0]?.foreign_keys).toBe(1);
    } else {
      const result = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(storage.db);
      expect(result.rows[0]?.synchronous_commit).toBe('on');
    }
  });

  it('a transaction that throws leaves nothing behind', async () => {
    const row = user();
    await expect(
      inTransaction(storage.db, async (trx) => {
        await trx.insertInto('users').values(row).execute();
        throw new Error('rule broken');
      }),
    ).rejects.toThrow('rule broken');
    expect(await storage.db.selectFrom('users').select('id').where('id', '=', row.id).executeTakeFirst()).toBeUndefined();
  });

  it('of transactions running at once, the ones that throw leave nothing and the others all commit, each answered once its commit is done', async () => {
    const rows = Array.from({ length: 30 }, () => user());
    const outcomes = await Promise.allSettled(
      rows.map((row, i) =>
        inTransaction(storage.db, async (trx) => {
          await trx.insertInto('users').values(row).execute();
          await trx.updateTable('users').set({ bio: 'written' }).where('id', '=', row.id).execute();
          if (i % 3 === 0) throw new Error(`rule ${i} broken`);
          return row.id;
        }),
      ),
    );
    const kept = rows.filter((_, i) => i % 3 !== 0).map((row) => row.id);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<string>).value)).toEqual(kept);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(10);
    // Another connection sees exactly the committed ones: they were on disk when answered.
    const other = open();
    try {
      const stored = await other.db.selectFrom('users').select(['id', 'bio']).where('id', 'in', rows.map((row) => row.id)).orderBy('id').execute();
      expect(stored.map((row) => row.id).sort()).toEqual([...kept].sort());
      expect(stored.every((row) => row.bio === 'written')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('inTransaction joins the caller’s transaction, so composed services commit or roll back together', async () => {
    const [a, b] = [user(), user()];
    await expect(
      storage.db.transaction().execute(async (trx) => {
        await inTransaction(trx, (inner) => inner.insertInto('users').values(a).execute());
        await inTransaction(trx, (inner) => inner.insertInto('users').values(b).execute());
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    const found = await storage.db.selectFrom('users').select('id').where('id', 'in', [a.id, b.id]).execute();
    expect(found).toEqual([]);
  });

  it('names the unique constraint a duplicate breaks', async () => {
    const first = user();
    await storage.db.insertInto('users').values(first).execute();
    const duplicate = (overrides: Partial<NewUser>) =>
      storage.db.insertInto('users').values(user(overrides)).execute().then(
        () => undefined,
        (error: unknown) => uniqueViolation(error),
      );
    expect(await duplicate({ username_key: first.username_key })).toContain('username_key');
    expect(await duplicate({ email_key: first.email_key })).toContain('email_key');
    expect(uniqueViolation(new Error('something else'))).toBeUndefined();
  });

  it('stores NULLs as distinct in unique columns (many guests have no username)', async () => {
    await storage.db.insertInto('users').values([user({ username: null, username_key: null, email: null, email_key: null }), user({ username: null, username_key: null, email: null, email_key: null })]).execute();
  });

  it('returns epoch-millisecond times as exact JavaScript numbers', async () => {
    const row = user({ created_at: 1_796_165_299_263, updated_at: 8_640_000_000_000_000 });
    await storage.db.insertInto('users').values(row).execute();
    const back = await storage.db.selectFrom('users').select(['created_at', 'updated_at']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(back).toEqual({ created_at: 1_796_165_299_263, updated_at: 8_640_000_000_000_000 });
    const count = await storage.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(typeof count.n).toBe('number');
  });

  it('returns text exactly as stored: no Unicode normalisation, emoji and long text intact', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const long = '🎸'.repeat(4000);
    const a = user({ bio: composed, first_name: long });
    const b = user({ bio: decomposed, last_name: 'quote \' " \\ %_' });
    for (const row of [a, b]) await storage.db.insertInto('users').values(row).execute();
    const rows = await storage.db.selectFrom('users').select(['id', 'bio', 'first_name', 'last_name']).where('id', 'in', [a.id, b.id]).orderBy('id').execute();
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[a.id]).toMatchObject({ bio: composed, first_name: long });
    expect(byId[b.id]).toMatchObject({ bio: decomposed, last_name: 'quote \' " \\ %_' });
    expect(composed).not.toBe(decomposed);
  });

  it('deleting a user deletes their sessions (foreign keys are enforced)', async () => {
    const row = user();
    await storage.db.insertInto('users').values(row).execute();
    await storage.db.insertInto('sessions').values({ token_hash: `h-${row.id}`, user_id: row.id, created_at: 1, expires_at: 2, extended_at: 1, sliding: 1 }).execute();
    await expect(
      storage.db.insertInto('sessions').values({ token_hash: 'orphan', user_id: 'no-such-user', created_at: 1, expires_at: 2, extended_at: 1, sliding: 1 }).execute(),
    ).rejects.toThrow();
    await storage.db.deleteFrom('users').where('id', '=', row.id).execute();
    expect(await storage.db.selectFrom('sessions').select('token_hash').where('user_id', '=', row.id).execute()).toEqual([]);
  });

  it('serialises concurrent transactions on one row without losing an update', async () => {
    const row = user({ bio: '0' });
    await storage.db.insertInto('users').values(row).execute();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        inTransaction(storage.db, async (trx) => {
          // Read-modify-write under a row lock (SQLite serialises whole transactions).
          let query = trx.selectFrom('users').select('bio').where('id', '=', row.id);
          if (dialect === 'postgres') query = query.forUpdate();
          const current = await query.executeTakeFirstOrThrow();
          await trx.updateTable('users').set({ bio: String(Number(current.bio) + 1) }).where('id', '=', row.id).execute();
        }),
      ),
    );
    const back = await storage.db.selectFrom('users').select('bio').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(back.bio).toBe('20');
  });

  it('a prepared query answers as the query built each time does: any list length, missing arguments as null, inside transactions', async () => {
    const rows = [user({ bio: 'bass' }), user({ bio: 'drums' }), user({ bio: 'bass' }), user()];
    for (const row of rows) await storage.db.insertInto('users').values(row).execute();
    const ids = rows.map((row) => row.id);
    const byIds = prepared((db, a: { ids: readonly string[]; bio?: string | null }) =>
      db.selectFrom('users').select(['id', 'bio']).where('id', 'in', a.ids).where((eb) => eb.or([eb('bio', '=', a.bio!), sql<boolean>`cast(${a.bio} as text) is null`])).orderBy('id'),
    );
    for (const length of [1, 3, 4, 2, 1]) {
      const some = ids.slice(0, length);
      const built = await storage.db.selectFrom('users').select(['id', 'bio']).where('id', 'in', some).orderBy('id').execute();
      expect(await byIds.all(storage.db, { ids: some })).toEqual(built);
    }
    expect((await byIds.all(storage.db, { ids, bio: 'bass' })).map((row) => row.id)).toEqual([rows[0]!.id, rows[2]!.id]);
    expect(await byIds.first(storage.db, { ids: ['nobody'] })).toBeUndefined();

    const rename = prepared((db, a: { id: string; bio: string }) => db.updateTable('users').set({ bio: a.bio }).where('id', '=', a.id));
    const before = (await byIds.first(storage.db, { ids: [rows[3]!.id] }))?.bio;
    await expect(
      inTransaction(storage.db, async (trx) => {
        expect(await rename.run(trx, { id: rows[3]!.id, bio: 'keys' })).toBe(1);
        expect((await byIds.first(trx, { ids: [rows[3]!.id] }))?.bio).toBe('keys');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await byIds.first(storage.db, { ids: [rows[3]!.id] }))?.bio).toBe(before);
    expect(await rename.run(storage.db, { id: 'nobody', bio: 'x' })).toBe(0);
  });

  it('a prepared select * keeps answering, with the new column, after another node adds a column to its table', async () => {
    const db = storage.db as unknown as Kysely<{ scratch_shapes: { id: string; note?: string } }>;
    await sql`create table scratch_shapes (id text primary key)`.execute(db);
    await db.insertInto('scratch_shapes').values([{ id: 'a' }, { id: 'b' }]).execute();
    const everything = prepared((_db, a: { id: string }) => db.selectFrom('scratch_shapes').selectAll().where('id', '=', a.id));
    // On PostgreSQL the statement is now named on every pooled connection these reach.
    const reads = (ids: string[]) => Promise.all(ids.map((id) => inTransaction(storage.db, (trx) => everything.first(trx, { id }))));
    expect(await reads(['a', 'b', 'a', 'b'])).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'b' }]);
    const other = open();
    await sql`alter table scratch_shapes add column note text not null default 'new'`.execute(other.db);
    await other.close();
    expect(await reads(['a', 'b', 'a', 'b'])).toEqual([
      { id: 'a', note: 'new' },
      { id: 'b', note: 'new' },
      { id: 'a', note: 'new' },
      { id: 'b', note: 'new' },
    ]);
  });

  it('rows of a join carry every selected column, and a repeated column name keeps the last', async () => {
    const row = user({ bio: 'guitar' });
    await storage.db.insertInto('users').values(row).execute();
    await storage.db.insertInto('sessions').values({ token_hash: `t-${row.id}`, user_id: row.id, created_at: 5, expires_at: 9, extended_at: 5, sliding: 0 }).execute();
    const joined = await storage.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.created_at', 'users.created_at', 'users.bio', 'sessions.expires_at'])
      .where('sessions.token_hash', '=', `t-${row.id}`)
      .execute();
    expect(joined).toEqual([{ created_at: row.created_at, bio: 'guitar', expires_at: 9 }]);
  });
});
