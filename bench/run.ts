/**
 * `npm run bench [-- scenario… flags]` (or `riff bench …`): every benchmark scenario against
 * its peers in one invocation — raw ws, Socket.IO, uWS.js, Riff embedded (SQLite) and Riff on
 * PostgreSQL — then one JSON + Markdown report in bench/results/ with the ratios.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appsScenario } from './apps.js';
import { durableScenario } from './durable.js';
import { fanOutScenario } from './fanout.js';
import { FD_LIMIT, PEERS, ROOT, type BenchContext, type PeerName, type ScenarioReport } from './harness.js';
import { historyScenario } from './history.js';
import { idleScenario } from './idle.js';
import { multiNodeScenario } from './multinode.js';
import { reconnectScenario } from './reconnect.js';

const SCENARIOS: Record<string, (context: BenchContext) => Promise<ScenarioReport[]>> = {
  fanout: fanOutScenario,
  durable: durableScenario,
  idle: idleScenario,
  reconnect: reconnectScenario,
  history: historyScenario,
  apps: appsScenario,
  multinode: multiNodeScenario,
};

// 10,000 sockets need descriptors: run again under a raised limit, which every child inherits.
if (!process.env.RIFF_BENCH_FD_RAISED) {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const child = spawn('bash', ['-c', script, process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, RIFF_BENCH_FD_RAISED: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  main().catch((error: unknown) => {
    console.error(`riff bench: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
}

function parse(): { context: BenchContext; scenarios: string[]; out: string } {
  const { values: flags, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      peers: { type: 'string', default: PEERS.join(',') },
      runs: { type: 'string' },
      size: { type: 'string', default: '100' },
      'client-processes': { type: 'string', default: '2' },
      users: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results') },
      'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    },
    allowPositionals: true,
  });
  const fail = (message: string): never => {
    console.error(`riff bench: ${message}`);
    process.exit(2);
  };
  const scenarios = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
  for (const name of scenarios) if (!SCENARIOS[name]) fail(`unknown scenario "${name}" (available: ${Object.keys(SCENARIOS).join(', ')})`);
  const peers = (flags.peers ?? '').split(',').filter(Boolean) as PeerName[];
  for (const peer of peers) if (!PEERS.includes(peer)) fail(`unknown peer "${peer}" (available: ${PEERS.join(', ')})`);
  const quick = flags.quick ?? false;
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    const parsed = value === undefined ? fallback : Number(value);
    return Number.isInteger(parsed) && parsed > 0 ? parsed : fail(`--${name} must be a positive integer`);
  };
  return {
    scenarios,
    out: flags.out!,
    context: {
      quick,
      peers,
      runs: positive('runs', flags.runs, quick ? 1 : 2),
      size: positive('size', flags.size, 100),
      clientProcesses: positive('client-processes', flags['client-processes'], 2),
      users: positive('users', flags.users, quick ? 4 : 20),
      databaseUrl: flags['database-url']!,
      redisUrl: flags['redis-url']!,
    },
  };
}

function markdown(reports: ScenarioReport[], command: string, elapsedSeconds: number): string {
  const lines = [
    `# Riff benchmark${reports.length === 1 ? `: ${reports[0]!.title}` : ''}`,
    '',
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, loopback only; \`${command}\` took ${Math.round(elapsedSeconds)} s.`,
  ];
  for (const report of reports) lines.push('', `## ${report.title}`, '', report.description, '', ...report.summary);
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { context, scenarios, out } = parse();
  const command = `npm run bench --${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = Date.now();
  console.log(`riff bench: ${scenarios.join(', ')}${context.quick ? ' (quick)' : ''}; peers ${context.peers.join(', ')}`);
  const reports: ScenarioReport[] = [];
  for (const name of scenarios) {
    const at = Date.now();
    console.log(`— ${name}`);
    reports.push(...(await SCENARIOS[name]!(context)));
    console.log(`  ${name} took ${Math.round((Date.now() - at) / 1000)} s`);
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `bench-${stamp}`;
  const report = {
    scenarios: reports.map((r) => r.name),
    startedAt: new Date(started).toISOString(),
    elapsedSeconds: Math.round(elapsedSeconds),
    command,
    context,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    reports,
  };
  const table = markdown(reports, command, elapsedSeconds);
  writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(out, `${name}.md`), table);
  console.log(`\n${table}\nreport: ${join(out, `${name}.{json,md}`)}`);
}
