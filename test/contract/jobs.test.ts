import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { timeOrderedIds } from '../../src/platform/ids.js';
import { claims } from '../../src/platform/jobs/claims.js';
import { Scheduler, type SchedulerOptions } from '../../src/platform/jobs/scheduler.js';
import { inTransaction, migrateToLatest, openStorage, type DialectName, type Storage } from '../../src/platform/storage/database.js';
import { describeEachDialect } from '../helpers/riff.js';
import { createTestDatabase } from '../helpers/services.js';

/** The mechanisms later modules build on (poll deadlines, reminders, the Talk-now queue), on every dialect. */

describeEachDialect('scheduled jobs and claims', (dialect: DialectName) => {
  const clock = new ManualClock();
  const ids = timeOrderedIds(clock);
  const errors: unknown[] = [];
  const options: SchedulerOptions = { pollMs: 60_000, leaseMs: 30_000, maxAttempts: 3, onError: (error) => errors.push(error) };
  let storages: Storage[] = [];
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (dialect === 'sqlite') {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-jobs-'));
      storages = [openStorage({ dataDir, databaseUrl: undefined })];
      cleanup = async () => fs.rmSync(dataDir, { recursive: true, force: true });
    } else {
      // Two nodes: two pools on one database.
      const database = await createTestDatabase();
      storages = [openStorage({ dataDir: '', databaseUrl: database.url }), openStorage({ dataDir: '', databaseUrl: database.url })];
      cleanup = database.drop;
    }
    await migrateToLatest(storages[0]!);
  });
  afterAll(async () => {
    await Promise.all(storages.map((s) => s.close()));
    await cleanup();
  });

  const node = (i: number) => new Scheduler(storages[i % storages.length]!.db, dialect, clock, ids, options);
  const db = () => storages[0]!.db;

  it('runs a job when it is due on the shared clock, not before', async () => {
    const scheduler = node(0);
    const ran: unknown[] = [];
    scheduler.register('greet', async (payload) => void ran.push(payload));
    await inTransaction(db(), (trx) => scheduler.schedule(trx, { kind: 'greet', key: 'greet:1', runAt: clock.now() + 5_000, payload: { to: 'Ann' } }));
    expect(await scheduler.runDue()).toBe(0);
    clock.advance(5_000);
    expect(await scheduler.runDue()).toBe(1);
    expect(ran).toEqual([{ to: 'Ann' }]);
    expect(await scheduler.runDue()).toBe(0);
  });

  it('a job scheduled in a transaction that rolls back never runs', async () => {
    const scheduler = node(0);
    let ran = 0;
    scheduler.register('never', async () => void ran++);
    await expect(
      inTransaction(db(), async (trx) => {
        await scheduler.schedule(trx, { kind: 'never', key: 'never:1', runAt: clock.now(), payload: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await scheduler.runDue();
    expect(ran).toBe(0);
  });

  it('scheduling the same key again moves the one job; cancel removes it', async () => {
    const scheduler = node(0);
    const ran: unknown[] = [];
    scheduler.register('close-poll', async (payload) => void ran.push(payload));
    await scheduler.schedule(db(), { kind: 'close-poll', key: 'poll:7', runAt: clock.now() + 1_000, payload: { version: 1 } });
    await scheduler.schedule(db(), { kind: 'close-poll', key: 'poll:7', runAt: clock.now() + 3_000, payload: { version: 2 } });
    clock.advance(1_000);
    expect(await scheduler.runDue()).toBe(0);
    clock.advance(2_000);
    expect(await scheduler.runDue()).toBe(1);
    expect(ran).toEqual([{ version: 2 }]);
    await scheduler.schedule(db(), { kind: 'close-poll', key: 'poll:8', runAt: clock.now(), payload: {} });
    await scheduler.cancel(db(), 'poll:8');
    expect(await scheduler.runDue()).toBe(0);
  });

  it('each due job runs exactly once when several nodes look for work at the same time', async () => {
    const nodes = [node(0), node(1), node(2), node(3)];
    const runs = new Map<number, number>();
    for (const scheduler of nodes) {
      scheduler.register('count', async (payload) => {
        const n = (payload as { n: number }).n;
        runs.set(n, (runs.get(n) ?? 0) + 1);
      });
    }
    for (let n = 0; n < 60; n++) await nodes[0]!.schedule(db(), { kind: 'count', key: `count:${n}`, runAt: clock.now(), payload: { n } });
    const ran = await Promise.all(nodes.map((scheduler) => scheduler.runDue()));
    expect(ran.reduce((a, b) => a + b, 0)).toBe(60);
    expect(runs.size).toBe(60);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });

  it('a failing job is retried with backoff, then dropped after its last attempt', async () => {
    const scheduler = node(0);
    let attempts = 0;
    errors.length = 0;
    scheduler.register('flaky', async () => {
      attempts++;
      throw new Error('not yet');
    });
    await scheduler.schedule(db(), { kind: 'flaky', key: 'flaky:1', runAt: clock.now(), payload: {} });
    for (let i = 0; i < 5; i++) {
      await scheduler.runDue();
      clock.advance(60_000);
    }
    expect(attempts).toBe(3);
    expect(errors).toHaveLength(3);
  });

  it('a job whose node died mid-run is taken over once its lease lapses', async () => {
    const dead = node(0);
    const alive = node(1);
    let ran = 0;
    dead.register('lease', () => new Promise<void>(() => {}));
    alive.register('lease', async () => void ran++);
    await dead.schedule(db(), { kind: 'lease', key: 'lease:1', runAt: clock.now(), payload: {} });
    void dead.runDue();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await alive.runDue()).toBe(0);
    clock.advance(options.leaseMs);
    expect(await alive.runDue()).toBe(1);
    expect(ran).toBe(1);
  });

  it('a claim has one owner at a time, even when many ask at once; it lapses and can be released', async () => {
    const claim = claims(clock);
    const winners = await Promise.all(
      Array.from({ length: 10 }, (_, i) => claim.acquire(storages[i % storages.length]!.db, 'queue:ann', `node${i}`, 10_000)),
    );
    expect(winners.filter(Boolean)).toHaveLength(1);
    const owner = `node${winners.indexOf(true)}`;
    expect(await claim.acquire(db(), 'queue:ann', owner, 10_000)).toBe(true);
    expect(await claim.acquire(db(), 'queue:ann', 'someone-else', 10_000)).toBe(false);
    clock.advance(10_000);
    expect(await claim.acquire(db(), 'queue:ann', 'someone-else', 10_000)).toBe(true);
    await claim.release(db(), 'queue:ann', 'someone-else');
    expect(await claim.acquire(db(), 'queue:ann', owner, 10_000)).toBe(true);
  });
});
