/**
 * What every scenario shares: the servers under test (peers and real `riff serve` processes),
 * forked load generators, process CPU/RSS from /proc, HDR histogram summaries and the progress line.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import type { ClientCommand, ClientReport, ClientTask, PeerKind } from './client.js';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PEERS = ['ws', 'socketio', 'uws', 'riff-sqlite', 'riff-postgres'] as const;
export type PeerName = (typeof PEERS)[number];
export const RIFF_PEERS = ['riff-sqlite', 'riff-postgres'] as const satisfies readonly PeerName[];
/** Server file descriptors: 10,000 idle sockets need more than the usual 1,024. */
export const FD_LIMIT = 65_536;

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** What the runner passes every scenario: flags already parsed. */
export interface BenchContext {
  quick: boolean;
  peers: PeerName[];
  runs: number;
  size: number;
  clientProcesses: number;
  users: number;
  databaseUrl: string;
  redisUrl: string;
}

export type Latency = { p50: number; p99: number; p999: number; max: number };

/** One row of a scenario's table; `status` other than ok carries the reason in `note`. */
export interface Row {
  peer: string;
  status: 'ok' | 'unavailable' | 'failed';
  note?: string;
  [metric: string]: unknown;
}

export interface ScenarioReport {
  name: string;
  title: string;
  description: string;
  rows: Row[];
  /** Markdown lines after the table: ratios, targets, correctness. */
  summary: string[];
}

export class Unavailable extends Error {}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const split = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0)).filter((n) => n > 0);

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function progress(line: string): void {
  process.stdout.write(process.stdout.isTTY ? `\r${line.padEnd(100)}` : `${line}\n`);
}
export const endProgress = () => process.stdout.isTTY && process.stdout.write('\n');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** CPU seconds (user + system) and resident memory of a process. */
export function processStats(pid: number): { cpuSeconds: number; rssMb: number } {
  // Fields after the parenthesised command name: utime and stime are 14 and 15, rss 24.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssMb: (Number(fields[21]) * PAGE_BYTES) / 1024 / 1024 };
}

export const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + processStats(pid).cpuSeconds, 0);

export const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

/** Merges the load generators' histograms (µs) into p50/p99/p99.9/max in milliseconds. */
export function latencyOf(encoded: string[]): Latency & { count: number } {
  const histogram = newHistogram();
  for (const text of encoded) if (text) histogram.add(hdr.decodeFromCompressedBase64(text));
  const ms = (micros: number) => Math.round(micros) / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    count: histogram.totalCount,
  };
}

/** Waits for `ready(output)` on the child's stdout+stderr, or fails with what it printed. */
function waitForOutput(child: ChildProcess, ready: (output: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server not ready after ${timeoutMs} ms: ${output.slice(-500)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 3) reject(new Unavailable(output.trim().replace(/^unavailable: /, '')));
      else reject(new Error(`server exited (${code}): ${output.slice(-500)}`));
    });
  });
}

/** A server process with a raised descriptor limit (the runner itself was started under one). */
/** With BENCH_CPU_PROFILES=<dir>, every Riff server writes a V8 CPU profile there as it exits (DevTools opens them). */
const profiling = process.env.BENCH_CPU_PROFILES ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILES}`] : [];

function spawnServer(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, [...profiling, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function request<T = unknown>(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** A server under test: its processes (CPU is summed over them) and where clients connect. */
export interface Target {
  kind: PeerKind;
  /** ws:// bases, one per node; subscribers are spread over them */
  urls: string[];
  /** http:// bases, one per node */
  bases: string[];
  pids: number[];
  /** Riff session tokens, one per signed-up user */
  tokens: string[];
  userIds: string[];
  stop(): Promise<void>;
}

/** The plain peers: raw ws, Socket.IO, uWS.js. */
export async function startPeerServer(peer: 'ws' | 'socketio' | 'uws'): Promise<Target> {
  const port = await freePort();
  const child = spawnServer([join(HERE, 'servers.js'), peer, String(port)]);
  try {
    await waitForOutput(child, (output) => output.includes('listening'), 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    kind: peer,
    urls: [`ws://127.0.0.1:${port}`],
    bases: [`http://127.0.0.1:${port}`],
    pids: [child.pid!],
    tokens: [],
    userIds: [],
    stop: () => kill(child),
  };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit').catch(() => {});
  if (profiling.length > 0) {
    // A profile is written by an orderly exit, which Riff makes on SIGINT.
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  child.kill('SIGKILL');
  await exited;
}

/** A connection to the admin database; `Unavailable` when PostgreSQL cannot be reached. */
export async function connectAdmin(adminUrl: string): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Unavailable(`PostgreSQL not reachable at ${adminUrl}: ${(error as Error).message}`);
  }
  return admin;
}

/** The URL of database `name` on the server of `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A throw-away PostgreSQL database, empty or a copy of `template`; `drop` removes it. */
export async function createPostgresDatabase(adminUrl: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await connectAdmin(adminUrl);
  const name = `riff_bench_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  await admin.end();
  return {
    url: databaseUrl(adminUrl, name),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export interface RiffNodeOptions {
  dataDir?: string;
  databaseUrl?: string;
  busUrl?: string;
  busPrefix?: string;
}

/** One `riff serve` from dist/, rate limits off, healthy before it returns. */
export async function startRiffNode(options: RiffNodeOptions): Promise<{ child: ChildProcess; base: string; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'warn' };
  // The node gets only the settings the benchmark chooses, whatever the calling shell exported.
  for (const name of ['DATABASE_URL', 'BUS_URL', 'BUS_PREFIX', 'CORS_ORIGINS', 'COMPAT', 'DATA_DIR']) delete env[name];
  env.DATA_DIR = options.dataDir ?? join(tmpdir(), 'riff-bench-unused');
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  if (options.busUrl) env.BUS_URL = options.busUrl;
  if (options.busPrefix) env.BUS_PREFIX = options.busPrefix;
  const child = spawnServer([join(ROOT, 'dist', 'main.js'), 'serve'], env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  const base = `http://127.0.0.1:${port}`;
  try {
    const exited = once(child, 'exit').then(() => {
      throw new Error(`riff serve exited before it was healthy: ${output.slice(-500)}`);
    });
    const healthy = (async () => {
      for (let attempt = 0; attempt < 600; attempt++) {
        if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return;
        await sleep(100);
      }
      throw new Error(`riff serve not healthy after 60 s: ${output.slice(-500)}`);
    })();
    await Promise.race([healthy, exited]);
  } catch (error) {
    await kill(child);
    throw error;
  }
  return { child, base, url: `ws://127.0.0.1:${port}` };
}

/** Signs up `count` users; returns their tokens and ids. */
export async function signUp(base: string, count: number, label = 'bench'): Promise<{ tokens: string[]; userIds: string[] }> {
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const users = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      request<{ token: string; id: string }>(base, '/v1/users', {
        method: 'POST',
        body: { email: `${label}${i}-${tag}@example.com`, username: `${label}${i}_${tag}`, password: 'bench-password-1', password_conf: 'bench-password-1' },
      }),
    ),
  );
  return { tokens: users.map((u) => u.token), userIds: users.map((u) => u.id) };
}

export interface RiffOptions {
  users: number;
  /** Nodes sharing one PostgreSQL database and one Redis (only with postgres). */
  nodes?: number;
  redisUrl?: string;
  /** Serve this SQLite directory instead of a fresh one (it is not removed). */
  dataDir?: string;
  /** On PostgreSQL, serve a copy of this database instead of an empty one. */
  template?: string;
}

/** Riff embedded or on PostgreSQL, with `users` signed-up users (all in General). */
export async function startRiff(peer: 'riff-sqlite' | 'riff-postgres', context: BenchContext, options: RiffOptions): Promise<Target> {
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  try {
    let databaseUrl: string | undefined;
    if (peer === 'riff-postgres') {
      const database = await createPostgresDatabase(context.databaseUrl, options.template);
      cleanups.push(database.drop);
      databaseUrl = database.url;
    }
    let dataDir = options.dataDir;
    if (!dataDir) {
      const fresh = mkdtempSync(join(tmpdir(), 'riff-bench-'));
      cleanups.push(async () => rmSync(fresh, { recursive: true, force: true }));
      dataDir = fresh;
    }
    const nodes = options.nodes ?? 1;
    const bus = nodes > 1 ? { busUrl: options.redisUrl, busPrefix: `riff-bench-${process.pid}-${Date.now()}:` } : {};
    const started: Array<{ child: ChildProcess; base: string; url: string }> = [];
    // The first node migrates; the others then start on the migrated schema.
    for (let i = 0; i < nodes; i++) {
      const node = await startRiffNode({ dataDir, databaseUrl, ...bus });
      cleanups.push(() => kill(node.child));
      started.push(node);
    }
    const { tokens, userIds } = options.users > 0 ? await signUp(started[0]!.base, options.users) : { tokens: [], userIds: [] };
    return { kind: 'riff', urls: started.map((n) => n.url), bases: started.map((n) => n.base), pids: started.map((n) => n.child.pid!), tokens, userIds, stop: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Any peer, the way the scenarios that run against all of them need it. */
export function startTarget(peer: PeerName, context: BenchContext, options: RiffOptions): Promise<Target> {
  return peer === 'riff-sqlite' || peer === 'riff-postgres' ? startRiff(peer, context, options) : startPeerServer(peer);
}

/** Runs `body` against a started target; a target that cannot start becomes an unavailable/failed row. */
export async function withTarget(peer: string, start: () => Promise<Target>, body: (target: Target) => Promise<Row>): Promise<Row> {
  let target: Target;
  try {
    target = await start();
  } catch (error) {
    if (error instanceof Unavailable) return { peer, status: 'unavailable', note: error.message };
    return { peer, status: 'failed', note: (error as Error).message.slice(0, 300) };
  }
  try {
    return await body(target);
  } catch (error) {
    return { peer, status: 'failed', note: (error as Error).message.slice(0, 300) };
  } finally {
    await target.stop();
  }
}

/** A forked load generator and the reports it sent. */
export interface Client {
  child: ChildProcess;
  reports: ClientReport[];
  next<T extends ClientReport['type']>(type: T, timeoutMs?: number): Promise<Extract<ClientReport, { type: T }>>;
  latest<T extends ClientReport['type']>(type: T): Extract<ClientReport, { type: T }> | undefined;
  send(command: ClientCommand): void;
}

export function startClient(task: ClientTask): Client {
  const child = fork(join(HERE, 'client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(task);
  const reports: ClientReport[] = [];
  const latest = new Map<string, ClientReport>();
  const waiters: Array<{ type: string; resolve: (report: ClientReport) => void }> = [];
  let failure: Error | undefined;
  const failed = new Set<(error: Error) => void>();
  child.on('message', (report: ClientReport) => {
    if (report.type !== 'progress') reports.push(report);
    latest.set(report.type, report);
    for (const waiter of waiters.filter((w) => w.type === report.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(report);
    }
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL') {
      failure = new Error(`load generator (${task.role}) exited with ${code ?? signal}`);
      for (const reject of failed) reject(failure);
    }
  });
  return {
    child,
    reports,
    latest: (type) => latest.get(type) as never,
    send: (command) => {
      if (child.connected) child.send(command);
    },
    next: (type, timeoutMs = 180_000) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        failed.add(reject);
        const timer = setTimeout(() => reject(new Error(`load generator (${task.role}) gave no "${type}" within ${timeoutMs / 1000} s`)), timeoutMs);
        waiters.push({ type, resolve: (report) => (clearTimeout(timer), failed.delete(reject), resolve(report as never)) });
      }),
  };
}

export const killClients = (clients: Client[]) => {
  for (const client of clients) client.child.kill('SIGKILL');
};

/** Waits until `value()` reaches `goal`, or stops changing for `stallMs`, or `maxMs` passed; returns the last value. */
export async function drain(value: () => number, goal: number, stallMs: number, maxMs: number): Promise<number> {
  let last = value();
  let changedAt = Date.now();
  const started = Date.now();
  while (last < goal && Date.now() - changedAt < stallMs && Date.now() - started < maxMs) {
    await sleep(100);
    const now = value();
    if (now !== last) changedAt = Date.now();
    last = now;
  }
  return last;
}

/** "1.23×" of `value` against `base`, or — without both. */
export const ratio = (value: number | undefined, base: number | undefined) => (value !== undefined && base ? `${(value / base).toFixed(2)}×` : '—');
