import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Only that the harness still runs and reports: timings are never asserted, a shared machine is too noisy.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'riff-bench-test-'));

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('npm run bench', () => {
  it('writes a fan-out report with throughput, latency, CPU and RSS for raw ws and Riff embedded', { timeout: 60_000 }, async () => {
    await run('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: ROOT, timeout: 45_000 });
    const flags = ['--quick', '--peers', 'ws,riff-sqlite', '--subscribers', '4', '--senders', '1', '--rate', '10', '--duration', '1', '--users', '2', '--client-processes', '1', '--runs', '1', '--out', out];
    await run(process.execPath, [path.join(ROOT, 'dist-bench', 'bench', 'run.js'), 'fanout', ...flags], { cwd: ROOT, timeout: 45_000 });

    const files = fs.readdirSync(out);
    expect(files.filter((file) => file.endsWith('.md'))).toHaveLength(1);
    const report = JSON.parse(fs.readFileSync(path.join(out, files.find((file) => file.endsWith('.json'))!), 'utf8'));
    expect(report.scenario).toBe('fanout');
    expect(report.results.map((result: { peer: string }) => result.peer)).toEqual(['ws', 'riff-sqlite']);
    for (const result of report.results) {
      expect(result).toMatchObject({ status: 'ok', deliveries: expect.any(Number), deliveriesPerSecond: expect.any(Number), serverRssMb: expect.any(Number) });
      expect(result.deliveries).toBeGreaterThan(0);
      expect(result.latencyMs).toEqual({ p50: expect.any(Number), p99: expect.any(Number), p999: expect.any(Number), max: expect.any(Number) });
      expect(typeof result.cpuMicrosPerDelivery).toBe('number');
    }
  });
});
