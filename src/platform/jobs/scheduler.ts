import type { Selectable } from 'kysely';
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import { inTransaction, type Database, type DialectName } from '../storage/database.js';
import type { JobsTable } from '../storage/tables.js';

type JobsRow = Selectable<JobsTable>;

export type JobHandler = (payload: unknown) => Promise<void>;

export interface SchedulerOptions {
  /** How often each node looks for due jobs. */
  pollMs: number;
  /** How long a node may run a job before another node may take it over. */
  leaseMs: number;
  maxAttempts: number;
  onError: (error: unknown, job: { kind: string; key: string; attempts: number }) => void;
}

const BATCH = 20;

/**
 * Jobs due at a time on the shared clock, kept in the database so every node sees them,
 * and run by exactly one node each: a node claims due jobs under a lease (PostgreSQL skips
 * rows another node holds; SQLite has one writer at a time) and deletes a job once done.
 *
 * Modules `register(kind, handler)` once and `schedule(trx, …)` inside the transaction that
 * makes the job necessary (a poll with a deadline), so a rolled-back change schedules nothing.
 */
export class Scheduler {
  private readonly handlers = new Map<string, JobHandler>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Database,
    private readonly dialect: DialectName,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly options: SchedulerOptions,
  ) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Runs `kind` with `payload` at `runAt`; the same `key` again moves that job rather than adding one. */
  async schedule(trx: Database, job: { kind: string; key: string; runAt: number; payload: unknown }): Promise<void> {
    await trx
      .insertInto('jobs')
      .values({ id: this.ids.next(), kind: job.kind, key: job.key, payload: JSON.stringify(job.payload), run_at: job.runAt, locked_until: null })
      .onConflict((oc) => oc.column('key').doUpdateSet({ run_at: job.runAt, payload: JSON.stringify(job.payload), kind: job.kind, locked_until: null, attempts: 0 }))
      .execute();
  }

  async cancel(trx: Database, key: string): Promise<void> {
    await trx.deleteFrom('jobs').where('key', '=', key).execute();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.runDue(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Claims and runs the jobs due now; returns how many ran. One pass at a time per node. */
  runDue(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    let ran = 0;
    for (let claimed = await this.claim(); claimed.length > 0; claimed = await this.claim()) {
      // A claimed batch runs side by side: one slow job (a webhook receiver that hangs) does
      // not hold back the others, such as a poll's deadline.
      const done = await Promise.all(claimed.map((job) => this.run(job)));
      ran += done.filter(Boolean).length;
    }
    return ran;
  }

  private async run(job: JobsRow): Promise<boolean> {
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(JSON.parse(job.payload));
      await this.db.deleteFrom('jobs').where('id', '=', job.id).where('locked_until', '=', job.locked_until).execute();
      return true;
    } catch (error) {
      this.options.onError(error, job);
      // Retried later with backoff; after the last attempt it is dropped (and was reported).
      if (job.attempts < this.options.maxAttempts) {
        await this.db.updateTable('jobs').set({ locked_until: null, run_at: this.clock.now() + 1000 * 2 ** job.attempts }).where('id', '=', job.id).execute();
      } else {
        await this.db.deleteFrom('jobs').where('id', '=', job.id).execute();
      }
      return false;
    }
  }

  private claim() {
    const now = this.clock.now();
    return inTransaction(this.db, async (trx) => {
      let due = trx
        .selectFrom('jobs')
        .select('id')
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .orderBy('run_at')
        .limit(BATCH);
      if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((row) => row.id);
      if (ids.length === 0) return [];
      return trx
        .updateTable('jobs')
        .set((eb) => ({ locked_until: now + this.options.leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', ids)
        .returningAll()
        .execute();
    });
  }
}
