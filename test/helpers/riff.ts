import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { buildApp, type Riff } from '../../src/app.js';
import { RiffClient } from '../../src/client/index.js';
import { defaultConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/platform/clock.js';
import { LISTEN_BACKLOG } from '../../src/platform/http/server.js';
import type { DialectName } from '../../src/platform/storage/database.js';
import { createTestDatabase, postgresAvailable } from './services.js';

export const dialects: DialectName[] = ['sqlite', 'postgres'];

export interface TestRiffOptions {
  clock?: Clock;
  config?: Partial<Config>;
}

/** A Riff node listening on a free loopback port, on its own empty database. */
export interface TestRiff {
  url: string;
  riff: Riff;
  config: Config;
  client(token?: string): RiffClient;
  /** Stops the node and starts a new one on the same data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRiff(dialect: DialectName, options: TestRiffOptions = {}): Promise<TestRiff> {
  let dataDir = '';
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (dialect === 'sqlite') {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-test-'));
  } else {
    const database = await createTestDatabase();
    databaseUrl = database.url;
    dropDatabase = database.drop;
  }
  const config: Config = {
    ...defaultConfig,
    logLevel: 'silent',
    // Sign-up speed, not password strength, is what tests need.
    passwordCost: 1024,
    dataDir,
    databaseUrl,
    ...options.config,
  };

  const listen = async () => {
    const riff = await buildApp(config, { clock: options.clock });
    await riff.http.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG });
    const address = riff.http.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return { riff, url: `http://127.0.0.1:${address.port}` };
  };

  const state = await listen();
  const test: TestRiff = {
    ...state,
    config,
    client: (token?: string) => new RiffClient(test.url, token),
    async restart() {
      await test.riff.http.close();
      Object.assign(test, await listen());
    },
    async close() {
      await test.riff.http.close();
      await dropDatabase();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}

const postgresUp = await postgresAvailable();

/** Runs the same suite on every dialect; PostgreSQL's is skipped (loudly) when it is absent. */
export function describeEachDialect(name: string, suite: (dialect: DialectName) => void): void {
  for (const dialect of dialects) {
    const run = dialect === 'postgres' && !postgresUp ? describe.skip : describe;
    run(`${name} [${dialect}]`, () => suite(dialect));
  }
}

let counter = 0;
/** A fresh, valid sign-up body. */
export function newMusician(overrides: Record<string, unknown> = {}) {
  const n = `${process.pid}${++counter}${Math.random().toString(36).slice(2, 6)}`;
  return { email: `player${n}@example.com`, username: `player${n}`.slice(0, 32), password: 'correct horse', password_conf: 'correct horse', ...overrides };
}
