import { Redis } from 'ioredis';
import { Migrator } from 'kysely';
import { redactUrl, type Config } from './config.js';
import { migrationsFor } from './platform/storage/migrations/index.js';
import { openStorage } from './platform/storage/database.js';

export interface Finding {
  part: 'database' | 'bus';
  ok: boolean;
  detail: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** Checks what a node needs — its database (reachable, schema current) and its bus — and says what is wrong. */
export async function diagnose(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  const storage = openStorage({ ...config, onConnectionError: () => {} });
  try {
    await storage.ping();
    const migrator = new Migrator({ db: storage.db, provider: { getMigrations: async () => migrationsFor(storage.dialect) } });
    const pending = (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    findings.push({
      part: 'database',
      ok: true,
      detail: `${storage.dialect} at ${storage.location}: ${pending.length === 0 ? 'schema up to date' : `${pending.length} migration(s) to apply at start: ${pending.join(', ')}`}`,
    });
  } catch (error) {
    findings.push({ part: 'database', ok: false, detail: `${storage.dialect} at ${storage.location}: ${message(error)}` });
  } finally {
    await storage.close().catch(() => {});
  }

  if (!config.busUrl) {
    findings.push({ part: 'bus', ok: true, detail: 'in-process (one node; set BUS_URL=redis://… to run several)' });
  } else {
    const redis = new Redis(config.busUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    // The reason (refused, unknown host) comes as an 'error' event; the failed call only says it closed.
    let reason: Error | undefined;
    redis.on('error', (error: Error) => (reason ??= error));
    try {
      await redis.connect();
      const started = performance.now();
      await redis.ping();
      findings.push({ part: 'bus', ok: true, detail: `redis at ${redactUrl(config.busUrl)}, prefix ${config.busPrefix} (ping ${(performance.now() - started).toFixed(1)} ms)` });
    } catch (error) {
      findings.push({ part: 'bus', ok: false, detail: `redis at ${redactUrl(config.busUrl)}: ${message(reason ?? error)}` });
    } finally {
      redis.disconnect();
    }
  }
  return findings;
}
