/**
 * `npm run bench [-- flags]`: the fan-out scenario against every peer in one invocation —
 * raw ws, Socket.IO, uWS.js, Riff embedded (SQLite) and Riff on PostgreSQL — with the same
 * clients and message sizes, then a JSON + Markdown report in bench/results/ with ratios to raw ws.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import type { ClientReport, ClientTask, PeerKind } from './client.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PEERS = ['ws', 'socketio', 'uws', 'riff-sqlite', 'riff-postgres'] as const;
type PeerName = (typeof PEERS)[number];
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

const { values: flags, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    peers: { type: 'string', default: PEERS.join(',') },
    subscribers: { type: 'string' },
    senders: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    'max-messages': { type: 'string' },
    size: { type: 'string', default: '100' },
    runs: { type: 'string' },
    'client-processes': { type: 'string', default: '2' },
    users: { type: 'string', default: '20' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  allowPositionals: true,
});
const scenario = positionals[0] ?? 'fanout';
if (scenario !== 'fanout') {
  console.error(`riff bench: unknown scenario "${scenario}" (available: fanout)`);
  process.exit(2);
}
const quick = flags.quick ?? false;
const numberFlag = (name: string, value: string | undefined, fallback: number): number => {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    console.error(`riff bench: --${name} must be a positive integer`);
    process.exit(2);
  }
  return parsed;
};
const settings = {
  subscribers: numberFlag('subscribers', flags.subscribers, quick ? 50 : 1000),
  senders: numberFlag('senders', flags.senders, quick ? 2 : 4),
  rate: numberFlag('rate', flags.rate, quick ? 20 : 30),
  durationMs: numberFlag('duration', flags.duration, quick ? 2 : 8) * 1000,
  maxMessages: numberFlag('max-messages', flags['max-messages'], 100_000),
  size: numberFlag('size', flags.size, 100),
  runs: numberFlag('runs', flags.runs, quick ? 1 : 2),
  clientProcesses: numberFlag('client-processes', flags['client-processes'], 2),
  users: numberFlag('users', flags.users, 20),
};
const peers = (flags.peers ?? '').split(',').filter(Boolean) as PeerName[];
for (const peer of peers) {
  if (!PEERS.includes(peer)) {
    console.error(`riff bench: unknown peer "${peer}" (available: ${PEERS.join(', ')})`);
    process.exit(2);
  }
}

type Result = {
  peer: PeerName;
  run: number;
  status: 'ok' | 'unavailable' | 'failed';
  note?: string;
  sent?: number;
  deliveries?: number;
  expected?: number;
  deliveriesPerSecond?: number;
  latencyMs?: { p50: number; p99: number; p999: number; max: number };
  serverCpuSeconds?: number;
  cpuMicrosPerDelivery?: number;
  serverRssMb?: number;
  sendErrors?: number;
};

class Unavailable extends Error {}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

function processStats(pid: number): { cpuSeconds: number; rssMb: number } {
  // Fields after the parenthesised command name: utime and stime are 14 and 15, rss 24.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssMb: (Number(fields[21]) * PAGE_BYTES) / 1024 / 1024 };
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

type Server = { child: ChildProcess; url: string; kind: PeerKind; tokens: string[]; channelId: string; cleanup(): Promise<void> };

async function request(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function startPeer(peer: PeerName): Promise<Server> {
  const port = await freePort();
  if (peer === 'ws' || peer === 'socketio' || peer === 'uws') {
    const child = spawn(process.execPath, [join(HERE, 'servers.js'), peer, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(child, (output) => output.includes('listening'), 15_000);
    return { child, url: `ws://127.0.0.1:${port}`, kind: peer, tokens: [], channelId: '', cleanup: async () => {} };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'riff-bench-'));
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (peer === 'riff-postgres') {
    const admin = new pg.Client({ connectionString: flags['database-url'] });
    try {
      await admin.connect();
    } catch (error) {
      throw new Unavailable(`PostgreSQL not reachable at ${flags['database-url']}: ${(error as Error).message}`);
    }
    const name = `riff_bench_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(flags['database-url'] ?? '');
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const dropper = new pg.Client({ connectionString: flags['database-url'] });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    };
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, RATE_LIMITS: 'off', LOG_LEVEL: 'warn' };
  // The node gets only the settings the benchmark chooses, whatever the calling shell exported.
  for (const name of ['DATABASE_URL', 'BUS_URL', 'BUS_PREFIX', 'CORS_ORIGINS', 'COMPAT']) delete env[name];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase();
  };
  try {
    const base = `http://127.0.0.1:${port}`;
    const exited = once(child, 'exit').then(() => {
      throw new Error('riff serve exited before it was healthy');
    });
    const healthy = (async () => {
      for (let attempt = 0; attempt < 300; attempt++) {
        const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('riff serve not healthy after 30 s');
    })();
    await Promise.race([healthy, exited]);
    const tokens: string[] = [];
    const tag = Date.now().toString(36);
    for (let i = 0; i < settings.users; i++) {
      const user = (await request(base, '/v1/users', {
        method: 'POST',
        body: { email: `bench${i}-${tag}@example.com`, username: `bench${i}_${tag}`, password: 'bench-password-1', password_conf: 'bench-password-1' },
      })) as { token: string };
      tokens.push(user.token);
    }
    const channels = (await request(base, '/v1/channels', { token: tokens[0]! })) as Array<{ id: string; name: string }>;
    const general = channels.find((channel) => channel.name === 'General') ?? channels[0];
    if (!general) throw new Error('no channel to fan out in: sign-up joined none');
    return { child, url: `ws://127.0.0.1:${port}`, kind: 'riff', tokens, channelId: general.id, cleanup };
  } catch (error) {
    child.kill('SIGKILL');
    await cleanup();
    throw error;
  }
}

type Client = { child: ChildProcess; reports: ClientReport[]; next(type: ClientReport['type']): Promise<ClientReport> };

function startClient(task: ClientTask): Client {
  const child = fork(join(HERE, 'client.js'), [], { env: { ...process.env, BENCH_TASK: JSON.stringify(task) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reports: ClientReport[] = [];
  const waiters: Array<{ type: string; resolve: (report: ClientReport) => void }> = [];
  let failure: Error | undefined;
  const failed = new Set<(error: Error) => void>();
  child.on('message', (report: ClientReport) => {
    reports.push(report);
    for (const waiter of waiters.filter((w) => w.type === report.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(report);
    }
  });
  child.once('exit', (code) => {
    if (code !== 0) {
      failure = new Error(`load generator exited with ${code}`);
      for (const reject of failed) reject(failure);
    }
  });
  return {
    child,
    reports,
    next: (type) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        failed.add(reject);
        const timer = setTimeout(() => reject(new Error(`load generator gave no "${type}" within 120 s`)), 120_000);
        waiters.push({ type, resolve: (report) => (clearTimeout(timer), failed.delete(reject), resolve(report)) });
      }),
  };
}

const split = (total: number, parts: number) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0)).filter((n) => n > 0);

async function fanOut(peer: PeerName, run: number): Promise<Result> {
  let server: Server;
  try {
    server = await startPeer(peer);
  } catch (error) {
    if (error instanceof Unavailable) return { peer, run, status: 'unavailable', note: error.message };
    return { peer, run, status: 'failed', note: (error as Error).message.slice(0, 300) };
  }
  const clients: Client[] = [];
  try {
    const base = { peer: server.kind, url: server.url, tokens: server.tokens, channelId: server.channelId, durationMs: settings.durationMs, size: settings.size };
    const subscribers = split(settings.subscribers, settings.clientProcesses).map((count) =>
      startClient({ ...base, role: 'subscribe', count, rate: 0, maxMessages: 0 }),
    );
    const sender = startClient({ ...base, role: 'send', count: settings.senders, rate: settings.rate, maxMessages: settings.maxMessages });
    clients.push(...subscribers, sender);
    await Promise.all(clients.map((client) => client.next('connected')));
    // Let connection set-up settle so its CPU is not billed to deliveries.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = processStats(server.child.pid!);
    const progress = setInterval(() => {
      const latest = (client: Client) => [...client.reports].reverse().find((r) => r.type === 'progress') as { deliveries: number; sent: number } | undefined;
      const delivered = subscribers.reduce((sum, client) => sum + (latest(client)?.deliveries ?? 0), 0);
      const line = `  ${peer} run ${run}: sent ${latest(sender)?.sent ?? 0}, delivered ${delivered}`;
      process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
    }, 1000);
    const senderDone = sender.next('done');
    sender.child.send({ type: 'start' });
    const sent = (await senderDone) as Extract<ClientReport, { type: 'done' }>;
    // Drain: wait until the expected deliveries arrived, or none arrived for 3 s (progress comes once a second).
    const expected = sent.sent * settings.subscribers;
    for (let waited = 0, last = -1, changedAt = 0; waited < 20_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const delivered = subscribers.reduce((sum, client) => {
        const latest = [...client.reports].reverse().find((r) => r.type === 'progress') as { deliveries: number } | undefined;
        return sum + (latest?.deliveries ?? 0);
      }, 0);
      if (delivered >= expected || waited - changedAt >= 3000) break;
      if (delivered !== last) changedAt = waited;
      last = delivered;
    }
    clearInterval(progress);
    if (process.stdout.isTTY) process.stdout.write('\n');
    const after = processStats(server.child.pid!);
    const dones = (await Promise.all(
      subscribers.map((client) => {
        const done = client.next('done');
        client.child.send({ type: 'stop' });
        return done;
      }),
    )) as Array<Extract<ClientReport, { type: 'done' }>>;
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    for (const done of dones) histogram.add(hdr.decodeFromCompressedBase64(done.histogram));
    const deliveries = dones.reduce((sum, done) => sum + done.deliveries, 0);
    const first = Math.min(...dones.filter((d) => d.first > 0).map((d) => d.first), sent.first);
    const last = Math.max(...dones.map((d) => d.last), sent.last);
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    const ms = (micros: number) => Math.round(micros) / 1000;
    return {
      peer,
      run,
      status: 'ok',
      sent: sent.sent,
      deliveries,
      expected,
      deliveriesPerSecond: Math.round(deliveries / ((last - first) / 1000)),
      latencyMs: {
        p50: ms(histogram.getValueAtPercentile(50)),
        p99: ms(histogram.getValueAtPercentile(99)),
        p999: ms(histogram.getValueAtPercentile(99.9)),
        max: ms(histogram.maxValue),
      },
      serverCpuSeconds: Math.round(cpuSeconds * 100) / 100,
      cpuMicrosPerDelivery: deliveries > 0 ? Math.round(((cpuSeconds * 1e6) / deliveries) * 100) / 100 : 0,
      serverRssMb: Math.round(after.rssMb * 10) / 10,
      sendErrors: sent.errors,
    };
  } catch (error) {
    return { peer, run, status: 'failed', note: (error as Error).message.slice(0, 300) };
  } finally {
    for (const client of clients) client.child.kill('SIGKILL');
    server.child.kill('SIGKILL');
    await once(server.child, 'exit').catch(() => {});
    await server.cleanup().catch(() => {});
  }
}

function markdown(results: Result[], command: string): string {
  const baseline = results.filter((r) => r.peer === 'ws' && r.status === 'ok');
  const best = (values: number[]) => (values.length ? Math.max(...values) : undefined);
  const baseRate = best(baseline.map((r) => r.deliveriesPerSecond!));
  const baseCpu = baseline.length ? Math.min(...baseline.map((r) => r.cpuMicrosPerDelivery!)) : undefined;
  const ratio = (value: number | undefined, base: number | undefined) => (value !== undefined && base ? `${(value / base).toFixed(2)}×` : '—');
  const lines = [
    `Fan-out: 1 room, ${settings.subscribers} subscribers, ${settings.senders} senders at ${settings.rate} msg/s in total for ${settings.durationMs / 1000} s, ${settings.size}-byte messages (${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}).`,
    `Command: \`${command}\``,
    '',
    '| peer | run | sent | delivered / expected | deliveries/s | ×ws | p50 ms | p99 ms | p99.9 ms | server CPU s | µs CPU/delivery | ×ws CPU | RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.run} | ${r.status}: ${r.note ?? ''} |||||||||||`);
      continue;
    }
    lines.push(
      `| ${r.peer} | ${r.run} | ${r.sent} | ${r.deliveries} / ${r.expected} | ${r.deliveriesPerSecond} | ${ratio(r.deliveriesPerSecond, baseRate)} | ${r.latencyMs!.p50} | ${r.latencyMs!.p99} | ${r.latencyMs!.p999} | ${r.serverCpuSeconds} | ${r.cpuMicrosPerDelivery} | ${ratio(r.cpuMicrosPerDelivery, baseCpu)} | ${r.serverRssMb} |`,
    );
  }
  lines.push('', 'Ratios are against the best raw ws run of this invocation; deliveries/s is over the span from the first send to the last delivery, so it equals the offered load while the server keeps up.');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const command = `npm run bench --${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  console.log(`riff bench ${scenario}: ${peers.join(', ')} × ${settings.runs} run(s)`);
  const results: Result[] = [];
  for (let run = 1; run <= settings.runs; run++) {
    for (const peer of peers) {
      const result = await fanOut(peer, run);
      if (result.status !== 'ok') console.log(`  ${peer} run ${run}: ${result.status} — ${result.note}`);
      results.push(result);
    }
  }
  mkdirSync(flags.out!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = { scenario, startedAt: new Date().toISOString(), command, settings, machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version }, results };
  const table = markdown(results, command);
  writeFileSync(join(flags.out!, `${scenario}-${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(flags.out!, `${scenario}-${stamp}.md`), table);
  console.log(`\n${table}\nreport: ${join(flags.out!, `${scenario}-${stamp}.{json,md}`)}`);
}

main().catch((error: unknown) => {
  console.error(`riff bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
