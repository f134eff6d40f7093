import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignedInView, UserView } from '../../src/client/index.js';
import { newMusician } from '../helpers/riff.js';
import { createTestDatabase, postgresAvailable } from '../helpers/services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const JSON_TYPE = { 'content-type': 'application/json' };

/** Settings Riff reads: the children get only the ones a test gives them. */
const RIFF_VARIABLES = ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'BUS_URL', 'LOG_LEVEL', 'RATE_LIMITS', 'CORS_ORIGINS', 'COMPAT'];

// Everything a test starts, so afterEach can stop and remove it even when the test failed.
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups: Array<() => Promise<void>> = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-cli-'));
  tempDirs.add(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of RIFF_VARIABLES) delete clean[name];
  return { ...clean, ...env };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `riff` process with its output captured as it comes. */
class RiffProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        children.delete(this.child);
        resolve(this.exit);
      });
    });
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /** Waits for the process to end; kills it and fails if it takes longer than `ms`. */
  async waitForExit(ms: number): Promise<Exit> {
    const exit = await withTimeout(this.exited, ms);
    if (exit === undefined) {
      this.child.kill('SIGKILL');
      throw new Error(`riff did not exit within ${ms} ms; output:\n${this.output}`);
    }
    return exit;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs a command that is meant to end, and returns how it ended and what it printed. */
async function runCli(args: string[], env: Record<string, string>, ms = 30_000) {
  const riff = new RiffProcess(args, env);
  const exit = await riff.waitForExit(ms);
  return { ...exit, stdout: riff.stdout, stderr: riff.stderr };
}

/** The non-empty lines of a text. */
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

interface Node {
  riff: RiffProcess;
  url: string;
  dataDir: string;
}

/** Starts a serving node and waits until /healthz answers 200. */
async function serve({ args = ['serve'], dataDir = tempDir(), env = {} }: { args?: string[]; dataDir?: string; env?: Record<string, string> } = {}): Promise<Node> {
  const port = await freePort();
  const riff = new RiffProcess(args, { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      if (riff.exit) throw new Error(`riff exited (${JSON.stringify(riff.exit)}) before serving; output:\n${riff.output}`);
      try {
        return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
      } catch {
        return false;
      }
    },
    20_000,
    `riff to serve on ${url}; output so far:\n${riff.output}`,
  );
  return { riff, url, dataDir };
}

/** Stops a node with SIGTERM and waits for it to exit. */
async function stop(node: Node): Promise<Exit> {
  node.riff.child.kill('SIGTERM');
  return node.riff.waitForExit(15_000);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function getMe(url: string, token: string): Promise<{ status: number; body: UserView }> {
  const response = await fetch(`${url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as UserView };
}

beforeAll(() => {
  // The CLI under test is the built one (test/global-setup.ts), exactly as `npm start` and `riff` run it.
  expect(fs.existsSync(MAIN)).toBe(true);
});

afterEach(async () => {
  for (const child of [...children]) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(
    [...children].map((child) => withTimeout(new Promise((resolve) => child.once('close', resolve)), 5000)),
  );
  for (const cleanup of cleanups.splice(0)) await cleanup().catch((error: unknown) => console.warn('cleanup failed:', error));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
});

afterAll(() => {
  // Belt and braces: nothing this file started outlives it.
  for (const child of children) child.kill('SIGKILL');
});

describe('riff serve', () => {
  it.each([
    ['riff serve', ['serve']],
    ['riff with no command at all', []],
  ])('%s starts a node: /healthz answers and POST /v1/users creates a user', async (_name, args) => {
    const node = await serve({ args });
    const health = await fetch(`${node.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'sqlite', bus: 'in-process', bus_up: true });
    const body = newMusician();
    const signUp = await post(`${node.url}/v1/users`, body);
    expect(signUp.status).toBe(201);
    expect(signUp.body).toMatchObject({ username: body.username, email: body.email });
    const me = await getMe(node.url, signUp.body.token as string);
    expect(me.body.id).toBe(signUp.body.id);
    expect(fs.existsSync(path.join(node.dataDir, 'riff.db'))).toBe(true);
    expect(await stop(node)).toEqual({ code: 0, signal: null });
  });

  it.each([
    ['PORT=abc', [], { PORT: 'abc' }, /\bPORT\b/, 'abc'],
    ['DATABASE_URL=mysql://x', [], { DATABASE_URL: 'mysql://x' }, /\bDATABASE_URL\b/, 'mysql'],
    ['LOG_LEVEL=loud', [], { LOG_LEVEL: 'loud' }, /\bLOG_LEVEL\b/, 'loud'],
    ['PRIVATE_WEBHOOKS=yes', [], { PRIVATE_WEBHOOKS: 'yes' }, /\bPRIVATE_WEBHOOKS\b/, 'yes'],
    ['the flag --port 99999', ['serve', '--port', '99999'], {}, /port/i, '99999'],
  ])('a bad config value (%s) exits non-zero with one line on stderr naming the variable', async (_name, args, env, names, value) => {
    const dataDir = tempDir();
    const result = await runCli(args, { HOST: '127.0.0.1', DATA_DIR: dataDir, ...env }, 15_000);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(lines(result.stderr), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(names);
    expect(result.stderr).toContain(value);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('an unknown command exits non-zero with one line on stderr', async () => {
    const result = await runCli(['frobnicate'], { DATA_DIR: tempDir() }, 15_000);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(lines(result.stderr), result.stderr).toHaveLength(1);
    expect(result.stderr).toContain('frobnicate');
  });
});

describe('riff migrate', () => {
  it('exits 0 and is idempotent: running it twice succeeds, and a node then serves on that database', async () => {
    const dataDir = tempDir();
    const first = await runCli(['migrate'], { DATA_DIR: dataDir });
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(dataDir, 'riff.db'))).toBe(true);
    const second = await runCli(['migrate'], { DATA_DIR: dataDir });
    expect(second, second.stderr).toMatchObject({ code: 0 });
    expect(second.stderr).toBe('');
    const node = await serve({ dataDir });
    expect((await post(`${node.url}/v1/users`, newMusician())).status).toBe(201);
  });

  it('several processes migrating one fresh SQLite file at once all succeed (the migration waits its turn)', async () => {
    const dataDir = tempDir();
    const runs = await Promise.all([1, 2, 3].map(() => runCli(['migrate'], { DATA_DIR: dataDir })));
    for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
    const node = await serve({ dataDir });
    expect((await post(`${node.url}/v1/users`, newMusician())).status).toBe(201);
  });
});

describe('riff doctor', () => {
  it('reports a reachable database and the in-process bus, and exits 0', async () => {
    const run = await runCli(['doctor'], { DATA_DIR: tempDir() });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^ok {3}database: sqlite at .*riff\.db/m);
    expect(run.stdout).toMatch(/^ok {3}bus: in-process/m);
  });

  it('says what is wrong with an unreachable database and bus, and exits 1', async () => {
    const run = await runCli(['doctor'], { DATABASE_URL: 'postgres://riff:secret@127.0.0.1:1/riff', BUS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL database: postgres at postgres:\/\/riff:\*\*\*@127\.0\.0\.1:1\/riff: .*ECONNREFUSED/m);
    expect(run.stdout).toMatch(/^FAIL bus: redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/m);
    expect(run.stdout).not.toContain('secret');
  });
});

describe('riff seed-demo', () => {
  it('prints the credentials, and a node then lets you log in as ana with the printed password; a second run does not fail', async () => {
    const dataDir = tempDir();
    const seeded = await runCli(['seed-demo'], { DATA_DIR: dataDir });
    expect(seeded, seeded.stderr).toMatchObject({ code: 0 });
    expect(seeded.stdout).toMatch(/\bana\b/);
    const password = seeded.stdout.match(/password:?\s+(\S+)/i)?.[1];
    expect(password, seeded.stdout).toBeDefined();

    const again = await runCli(['seed-demo'], { DATA_DIR: dataDir });
    expect(again, again.stderr).toMatchObject({ code: 0 });
    expect(again.stdout).toContain(password!);

    const node = await serve({ dataDir });
    const login = await post(`${node.url}/v1/sessions`, { username: 'ana', password });
    expect(login.status).toBe(201);
    expect(login.body).toMatchObject({ username: 'ana' });
    expect((await post(`${node.url}/v1/sessions`, { username: 'ana', password: `${password!}x` })).status).toBe(401);
    // Seeding twice made no second ana.
    const directory = await fetch(`${node.url}/v1/users?q=ana&limit=100`, { headers: { authorization: `Bearer ${login.body.token as string}` } });
    const anas = ((await directory.json()) as UserView[]).filter((u) => u.username?.toLowerCase() === 'ana');
    expect(anas).toHaveLength(1);
    // And well-known albums to review, also only once.
    const albums = await fetch(`${node.url}/v1/albums?q=kind%20of%20blue&limit=100`, { headers: { authorization: `Bearer ${login.body.token as string}` } });
    expect(((await albums.json()) as Array<{ title: string; artist: string }>).map((a) => [a.title, a.artist])).toEqual([['Kind of Blue', 'Miles Davis']]);
  });
});

describe('riff admin grant', () => {
  it('makes that user an admin: their /v1/users/me shows role "admin"', async () => {
    const node = await serve();
    const body = newMusician();
    const signUp = await post(`${node.url}/v1/users`, body);
    expect(signUp.status).toBe(201);
    const token = signUp.body.token as string;
    expect((await getMe(node.url, token)).body.role).toBe('user');
    const other = await post(`${node.url}/v1/users`, newMusician());

    // Granted while the node is serving, on its database: it takes effect at once.
    const granted = await runCli(['admin', 'grant', body.username], { DATA_DIR: node.dataDir });
    expect(granted, granted.stderr).toMatchObject({ code: 0 });
    expect((await getMe(node.url, token)).body.role).toBe('admin');
    expect((await getMe(node.url, other.body.token as string)).body.role).toBe('user');
  });

  it('exits non-zero with one line for an unknown username', async () => {
    const dataDir = tempDir();
    const result = await runCli(['admin', 'grant', 'nobody_by_this_name'], { DATA_DIR: dataDir });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(lines(result.stderr), result.stderr).toHaveLength(1);
    expect(result.stderr).toContain('nobody_by_this_name');
  });
});

describe('logs', () => {
  it('never contain tokens or passwords, also not tokens in URLs, while they do log requests', async () => {
    const node = await serve({ env: { LOG_LEVEL: 'info' } });
    const password = 'correct horse battery';
    const signUp = await post(`${node.url}/v1/users`, newMusician({ password, password_conf: password }));
    expect(signUp.status).toBe(201);
    const token = (signUp.body as unknown as SignedInView).token;
    await fetch(`${node.url}/v1/users/me?auth=Bearer%20${token}`).then((r) => r.text());
    await fetch(`${node.url}/v1/users/me?token=${token}&auth=${token}`).then((r) => r.text());
    expect((await getMe(node.url, token)).status).toBe(200);
    const login = await post(`${node.url}/v1/sessions`, { email: signUp.body.email, password });
    expect(login.status).toBe(201);
    const appSecret = `appsecret${Math.random().toString(36).slice(2)}`;
    await fetch(`${node.url}/api/applications/${appSecret}`).then((r) => r.text());
    await fetch(`${node.url}/api/applications/${appSecret}/chats?x=1`).then((r) => r.text());
    const wrong = await post(`${node.url}/v1/sessions`, { email: signUp.body.email, password: 'wrong horse battery' });
    expect(wrong.status).toBe(401);

    expect(await stop(node)).toMatchObject({ code: 0 });
    const logs = node.riff.output;
    expect(logs).toContain('incoming request');
    expect(logs).toContain('"statusCode":401');
    expect(logs).toContain('/v1/users/me');
    expect(logs).toContain('/api/applications/');
    for (const secret of [token, login.body.token as string, password, 'wrong horse battery', appSecret]) {
      expect(logs.includes(secret), `the logs contain ${secret}`).toBe(false);
    }
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM lets an in-flight sign-up finish (201), exits 0 within seconds, and nothing acknowledged is lost', async () => {
    const node = await serve({ env: { LOG_LEVEL: 'info' } });
    const body = newMusician();
    const signUpsLogged = () => lines(node.riff.stdout).filter((l) => l.includes('incoming request') && l.includes('"url":"/v1/users"')).length;
    expect(signUpsLogged()).toBe(0);
    const signUp = post(`${node.url}/v1/users`, body);
    await waitUntil(
      () => signUpsLogged() === 1,
      10_000,
      'the sign-up to reach the server',
    );
    const stoppedAt = Date.now();
    node.riff.child.kill('SIGTERM');
    const answer = await signUp;
    expect(answer.status).toBe(201);
    const exit = await node.riff.waitForExit(8000);
    expect({ exit, elapsedUnder5s: Date.now() - stoppedAt < 5000 }, node.riff.output).toEqual({ exit: { code: 0, signal: null }, elapsedUnder5s: true });

    const again = await serve({ dataDir: node.dataDir });
    const login = await post(`${again.url}/v1/sessions`, { email: body.email, password: body.password });
    expect(login.status).toBe(201);
    expect(login.body.id).toBe(answer.body.id);
    expect((await getMe(again.url, answer.body.token as string)).status).toBe(200);
  });

  it('SIGTERM on an idle node exits 0 promptly, even with a client keeping its connection alive', async () => {
    const node = await serve();
    expect((await post(`${node.url}/v1/users`, newMusician())).status).toBe(201);
    const stoppedAt = Date.now();
    expect(await stop(node)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  });
});

const postgresUp = await postgresAvailable();

(postgresUp ? describe : describe.skip)('riff serve on PostgreSQL', () => {
  it('with DATABASE_URL set, starts, /healthz reports database "postgres", and sign-ups are stored there', async () => {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const migrated = await runCli(['migrate'], { DATABASE_URL: database.url, DATA_DIR: tempDir() });
    expect(migrated, migrated.stderr).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain('postgres');

    const node = await serve({ env: { DATABASE_URL: database.url } });
    const health = await fetch(`${node.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'postgres', bus: 'in-process', bus_up: true });
    expect(fs.existsSync(path.join(node.dataDir, 'riff.db'))).toBe(false);
    const body = newMusician();
    expect((await post(`${node.url}/v1/users`, body)).status).toBe(201);
    expect(await stop(node)).toEqual({ code: 0, signal: null });

    // Another node on the same database (and a fresh, empty DATA_DIR) knows the user.
    const other = await serve({ env: { DATABASE_URL: database.url } });
    expect((await post(`${other.url}/v1/sessions`, { username: body.username, password: body.password })).status).toBe(201);
    expect(await stop(other)).toEqual({ code: 0, signal: null });
  });
});
