/**
 * Real processes for multi-node tests: `riff serve` children of the built CLI (`dist/main.js`,
 * built once by test/global-setup.ts) and throw-away `redis-server`s. Everything started here is
 * tracked, so a test file's afterEach / afterAll can kill it even when the test failed.
 * (The spawning pattern is the one of test/e2e/cli.test.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { ServerFrame } from '../../src/platform/gateway/protocol.js';
import { newMusician } from './riff.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');

/** Settings Riff reads: a child gets only the ones its test gives it. */
const RIFF_VARIABLES = ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'BUS_URL', 'BUS_PREFIX', 'LOG_LEVEL', 'RATE_LIMITS', 'CORS_ORIGINS', 'COMPAT'];

const running = new Set<Child>();
const tempDirs = new Set<string>();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
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

/** Polls `condition` until it holds; fails after `ms` with `what` (a function, to describe the state at the time). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, ms: number, what: string | (() => string), everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Redis key and channel prefix of its own for one test run (pub/sub ignores database numbers). */
export function busPrefix(): string {
  return `riff-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
}

/** Removes a test run's keys (presence of killed nodes, rate-limit counters) from a shared Redis. */
export async function deleteRedisKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output captured as it comes. */
export class Child {
  readonly process: ChildProcess;
  output = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.process = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    for (const stream of [this.process.stdout!, this.process.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => {
      this.process.once('error', (error) => (this.output += `\nspawn failed: ${error.message}`));
      this.process.once('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends `signal` (SIGKILL by default: `kill -9`) and waits, bounded, for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', ms = 5000): Promise<Exit | undefined> {
    if (!this.alive) return this.exit;
    this.process.kill(signal);
    const exit = await withTimeout(this.exited, ms);
    if (exit === undefined && signal !== 'SIGKILL') return this.kill('SIGKILL', ms);
    return exit;
  }
}

/** Kills (SIGKILL) every child still running, or those given, and waits for them to be gone. */
export async function killChildren(which: Iterable<Child> = [...running]): Promise<void> {
  await Promise.all([...which].map((child) => child.kill('SIGKILL')));
}

/** For afterAll: no child outlives the file, and the temporary directories go. */
export async function killAllChildren(): Promise<void> {
  await killChildren();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A temporary directory removed by `killAllChildren` (a node's data directory that outlives one process). */
export function tempDir(prefix = 'riff-cluster-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function riffEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of RIFF_VARIABLES) delete clean[name];
  return { ...clean, ...env };
}

export interface Health {
  status: 'ok' | 'degraded' | 'unavailable';
  database: string;
  bus: string;
  bus_up: boolean;
}

/** A running `riff serve`. */
export interface RiffNode {
  name: string;
  url: string;
  child: Child;
  health(): Promise<Health | undefined>;
}

async function health(url: string): Promise<Health | undefined> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return (await response.json()) as Health;
  } catch {
    return undefined;
  }
}

/**
 * Starts `riff serve` on a free port and waits (bounded) until its /healthz says `ok`; on a
 * data directory of its own unless `env` gives one (a restart on the same SQLite file).
 */
export async function startNode(name: string, env: Record<string, string>): Promise<RiffNode> {
  const port = await freePort();
  const child = new Child(name, process.execPath, [MAIN, 'serve'], riffEnv({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env, DATA_DIR: env.DATA_DIR ?? tempDir() }));
  const url = `http://127.0.0.1:${port}`;
  const node: RiffNode = { name, url, child, health: () => health(url) };
  await waitUntil(
    async () => {
      if (!child.alive) throw new Error(`${name} exited (${JSON.stringify(child.exit)}) before serving; output:\n${child.output}`);
      return (await node.health())?.status === 'ok';
    },
    30_000,
    () => `${name} to serve on ${url}; output so far:\n${child.output}`,
  );
  return node;
}

/** Starts `count` nodes at once on the same settings (one database, one bus). */
export async function startCluster(count: number, env: Record<string, string>, namePrefix = 'node'): Promise<RiffNode[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startNode(`${namePrefix} ${i + 1}`, env)));
}

/** A `redis-server` of the test's own, on a spare port: the only Redis a test may stop. */
export class RedisServer {
  child: Child | undefined;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** (Re)starts the server on the same port and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.child?.alive) throw new Error('redis-server is already running');
    const child = new Child(`redis-server :${this.port}`, 'redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], process.env);
    this.child = child;
    await waitUntil(
      () => {
        if (!child.alive) throw new Error(`redis-server exited (${JSON.stringify(child.exit)}); output:\n${child.output}`);
        return child.output.includes('Ready to accept connections');
      },
      10_000,
      () => `redis-server to accept connections on ${this.port}; output:\n${child.output}`,
    );
  }

  async kill(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** One JSON request with a bounded wait. */
export async function api<T = any>(method: string, url: string, options: { token?: string; body?: unknown } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export interface Musician {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

/** Signs up a new musician on `node` (joining General). */
export async function signUp(node: RiffNode): Promise<Musician> {
  const input = newMusician();
  const answer = await api<{ id: string; token: string }>('POST', `${node.url}/v1/users`, { body: input });
  if (answer.status !== 201) throw new Error(`sign-up on ${node.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { id: answer.body.id, token: answer.body.token, username: input.username, email: input.email, password: input.password };
}

/** A new public channel created by `owner` on `node`; returns its id. */
export async function createChannel(node: RiffNode, owner: Musician, name: string): Promise<string> {
  const answer = await api<{ id: string }>('POST', `${node.url}/v1/channels`, { token: owner.token, body: { name } });
  if (answer.status !== 201) throw new Error(`creating a channel answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

/** `who` joins the public channel (which subscribes their sockets). */
export async function join(node: RiffNode, who: Musician, channelId: string): Promise<void> {
  const answer = await api('POST', `${node.url}/v1/channels/${channelId}/members`, { token: who.token, body: { user_id: who.id } });
  if (answer.status !== 201 && answer.status !== 200) throw new Error(`joining ${channelId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

export interface HistoryItem {
  id: string;
  kind: 'message' | 'announcement';
  seq: number;
  body: string;
  nonce?: string | null;
}

/** A channel's whole history, oldest first, paged forward with `after`. */
export async function fullHistory(node: RiffNode, reader: Musician, channelId: string): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  for (let after = 0; ; ) {
    const page = await api<HistoryItem[]>('GET', `${node.url}/v1/channels/${channelId}?after=${after}&limit=100`, { token: reader.token });
    if (page.status !== 200) throw new Error(`history answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...page.body);
    if (page.body.length < 100) return items;
    after = page.body.at(-1)!.seq;
  }
}

/** The seqs of the channel's log rows among `frames`, in the order they arrived. */
export function seqsOf(frames: readonly ServerFrame[], channelId: string): number[] {
  return frames.flatMap((frame) => ('seq' in frame && frame.channel_id === channelId ? [frame.seq] : []));
}

/** The seqs that are not `from..to` in order: what a gap-free, duplicate-free delivery must leave empty. */
export function sequenceProblems(seqs: readonly number[], from: number, to: number): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const [i, seq] of seqs.entries()) {
    if (seen.has(seq)) problems.push(`seq ${seq} delivered again (at position ${i})`);
    else if (i > 0 && seq <= seqs[i - 1]!) problems.push(`seq ${seq} after ${seqs[i - 1]} (out of order)`);
    seen.add(seq);
  }
  for (let seq = from; seq <= to; seq++) if (!seen.has(seq)) problems.push(`seq ${seq} never delivered`);
  for (const seq of seen) if (seq < from || seq > to) problems.push(`seq ${seq} outside ${from}..${to}`);
  return problems;
}

/**
 * A TCP proxy in front of a server, so a test can cut one node's link (a network partition
 * between that node and Redis) while everything else stays connected.
 */
export class CuttableLink {
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async to(target: { host?: string; port: number }): Promise<CuttableLink> {
    let link: CuttableLink | undefined;
    const server = net.createServer((client) => {
      if (!link?.open) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        link.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          link?.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    link = new CuttableLink(server, (server.address() as AddressInfo).port);
    return link;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Drops every connection through the link and refuses new ones until `restore`. */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
