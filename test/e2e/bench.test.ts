import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Only that the harness runs every scenario and reports sane figures: timings are never
// asserted (a shared machine is too noisy), correctness checks (lost, duplicated, 1..N) are.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-bench-test-'));

type Row = { peer: string; status: string; note?: string; [metric: string]: unknown };
type Report = { scenarios: string[]; reports: Array<{ name: string; rows: Row[] }> };
let report: Report;
let markdown: string;
const rowsOf = (name: string) => report.reports.find((r) => r.name === name)?.rows ?? [];
const latency = { p50: expect.any(Number), p99: expect.any(Number), p999: expect.any(Number), max: expect.any(Number) };
const ALL_PEERS = ['ws', 'socketio', 'uws', 'riff-sqlite', 'riff-postgres'];

beforeAll(async () => {
  await run('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: ROOT, timeout: 60_000 });
  await run(process.execPath, [path.join(ROOT, 'dist-bench', 'bench', 'run.js'), '--quick', '--out', out], { cwd: ROOT, timeout: 540_000 });
  const files = fs.readdirSync(out);
  report = JSON.parse(fs.readFileSync(path.join(out, files.find((file) => file.endsWith('.json'))!), 'utf8'));
  markdown = fs.readFileSync(path.join(out, files.find((file) => file.endsWith('.md'))!), 'utf8');
}, 600_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('npm run bench -- --quick', () => {
  it('reports every scenario of issue #11 in one JSON and one Markdown report', () => {
    expect(report.scenarios).toEqual(['fanout', 'fanout-rooms', 'durable', 'idle', 'reconnect', 'history', 'apps', 'multinode']);
    for (const heading of ['Fan-out, 1 channel', 'Fan-out, 4 channels', 'Durable send', 'Idle density', 'Reconnect storm', 'History and search', 'Apps API', 'Multi-node']) {
      expect(markdown).toContain(`## ${heading}`);
    }
  });

  it('measures fan-out for every peer: deliveries, latency, CPU per delivery and RSS of each step', () => {
    for (const name of ['fanout', 'fanout-rooms']) {
      const rows = rowsOf(name);
      expect(rows.map((r) => r.peer)).toEqual(ALL_PEERS);
      for (const row of rows) {
        expect(row.status, `${name} ${row.peer}: ${row.note}`).toBe('ok');
        const [first] = row.steps as Array<{ deliveries: number; latencyMs: unknown; cpuMicrosPerDelivery: number; serverRssMb: number }>;
        expect(first!.deliveries).toBeGreaterThan(0);
        expect(first!.latencyMs).toEqual(latency);
        // /proc counts CPU in 10 ms ticks: a tiny quick step may round to none.
        expect(first!.cpuMicrosPerDelivery).toBeGreaterThanOrEqual(0);
        expect(first!.serverRssMb).toBeGreaterThan(0);
      }
    }
  });

  it('counts committed sends and numbered Apps creates, and the numbers come back exactly 1..N', () => {
    expect(rowsOf('durable').map((r) => r.peer)).toEqual(['riff-sqlite', 'riff-postgres']);
    expect(rowsOf('apps').map((r) => r.peer)).toEqual(['riff-sqlite', 'riff-postgres']);
    for (const row of [...rowsOf('durable'), ...rowsOf('apps')]) {
      expect(row.status, `${row.peer}: ${row.note}`).toBe('ok');
      expect(row.ok).toBeGreaterThan(0);
      expect(row.perSecond).toBeGreaterThan(0);
      expect(row.latencyMs).toEqual(latency);
    }
    for (const row of rowsOf('apps')) expect(row).toMatchObject({ numbersExact: true, stored: row.ok, messagesCount: row.ok });
  });

  it('holds idle sockets on every peer and reports memory per socket', () => {
    const rows = rowsOf('idle');
    expect(rows.map((r) => r.peer)).toEqual(ALL_PEERS);
    for (const row of rows) expect(row, row.note).toMatchObject({ status: 'ok', sockets: 200, refused: 0, kbPerSocket: expect.any(Number) });
  });

  it('resumes every socket after the storm with nothing lost and nothing duplicated', () => {
    const rows = rowsOf('reconnect');
    expect(rows.map((r) => r.peer)).toEqual(['riff-sqlite', 'riff-postgres']);
    for (const row of rows) {
      expect(row, row.note).toMatchObject({ status: 'ok', clients: 100, lost: 0, duplicated: 0 });
      expect(row.received).toBeGreaterThan(0);
      expect(row.allResumedMs).toBeGreaterThan(0);
    }
  });

  it('reads history pages and searches the seeded messages, on SQLite and on PostgreSQL', () => {
    const rows = rowsOf('history');
    const kinds = ['history, latest page', 'history, older page', 'search in a channel', 'search everywhere'];
    expect(rows.map((r) => `${r.peer}: ${r.kind}`)).toEqual(['riff-sqlite', 'riff-postgres'].flatMap((peer) => kinds.map((kind) => `${peer}: ${kind}`)));
    for (const row of rows) {
      expect(row, row.note).toMatchObject({ status: 'ok', errors: 0, latencyMs: latency });
      expect(row.ok).toBeGreaterThan(0);
    }
  });

  it('runs the fan-out on one node and on two nodes over PostgreSQL + Redis', () => {
    const rows = rowsOf('multinode');
    expect(rows.map((r) => r.nodes)).toEqual([1, 1, 2]);
    for (const row of rows) {
      expect(row.status, `${row.peer}: ${row.note}`).toBe('ok');
      expect(row.deliveries).toBeGreaterThan(0);
      expect(row.cpuMicrosPerDelivery).toBeGreaterThan(0);
    }
  });
});
