import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Real services the tests use. When one is absent the tests that need it are skipped
 * with a loud warning — unless REQUIRE_SERVICES=1 (CI), where its absence fails the run.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const required = process.env.REQUIRE_SERVICES === '1';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

let postgres: Promise<boolean> | undefined;

export async function postgresAvailable(): Promise<boolean> {
  postgres ??= reachable(TEST_DATABASE_URL).then((ok) => {
    if (!ok && required) throw new Error(`REQUIRE_SERVICES=1 but PostgreSQL does not answer at ${TEST_DATABASE_URL}`);
    if (!ok) console.warn(`\n!!! PostgreSQL does not answer at ${TEST_DATABASE_URL}: SKIPPING every PostgreSQL test !!!\n`);
    return ok;
  });
  return postgres;
}

async function redisAnswers(url: string): Promise<boolean> {
  // One attempt, no retries and no offline queue: absent means absent, at once.
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

let redis: Promise<boolean> | undefined;

export async function redisAvailable(): Promise<boolean> {
  redis ??= redisAnswers(TEST_REDIS_URL).then((ok) => {
    if (!ok && required) throw new Error(`REQUIRE_SERVICES=1 but Redis does not answer at ${TEST_REDIS_URL}`);
    if (!ok) console.warn(`\n!!! Redis does not answer at ${TEST_REDIS_URL}: SKIPPING every Redis test !!!\n`);
    return ok;
  });
  return redis;
}

/** A throw-away database for one test file; `drop` removes it even if connections linger. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `riff_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
