/**
 * Durable send: many senders POST messages (each with a nonce) into one channel over REST; a
 * 201 comes back only after the transaction committed, so acknowledged sends/s is committed sends/s.
 */
import {
  cpuOf,
  endProgress,
  killClients,
  latencyOf,
  processStats,
  progress,
  RIFF_PEERS,
  round,
  split,
  startClient,
  startRiff,
  withTarget,
  type BenchContext,
  type Client,
  type Latency,
  type Row,
  type ScenarioReport,
  type Target,
} from './harness.js';

export const DURABLE_TARGET_PER_SECOND = 3000;

/** Runs the http role's `requests` at `concurrency` for `durationMs` over the context's client processes. */
export async function httpLoad(
  target: Target,
  context: BenchContext,
  plan: { concurrency: number; durationMs: number; maxRequests: number; requests: NonNullable<Parameters<typeof startClient>[0]['requests']> },
  label: string,
) {
  const clients: Client[] = [];
  try {
    let offset = 0;
    for (const count of split(plan.concurrency, context.clientProcesses)) {
      clients.push(startClient({ role: 'http', peer: 'riff', url: target.bases[0]!, count, offset, tokens: [], rooms: [], size: context.size, requests: plan.requests }));
      offset += count;
    }
    await Promise.all(clients.map((client) => client.next('connected')));
    const before = cpuOf(target.pids);
    const ticker = setInterval(() => progress(`  ${label}: ${clients.reduce((sum, c) => sum + (c.latest('progress')?.sent ?? 0), 0)} answered`), 500);
    const perProcess = split(plan.maxRequests, clients.length);
    const dones = await Promise.all(clients.map((client, i) => (client.send({ type: 'run', durationMs: plan.durationMs, maxRequests: perProcess[i] ?? 0 }), client.next('done'))));
    clearInterval(ticker);
    endProgress();
    const cpuSeconds = cpuOf(target.pids) - before;
    const ok = dones.reduce((sum, d) => sum + d.sent, 0);
    const errors = dones.reduce((sum, d) => sum + d.errors, 0);
    const seconds = (Math.max(...dones.map((d) => d.last)) - Math.min(...dones.map((d) => d.first))) / 1000;
    const statuses: Record<string, number> = {};
    for (const done of dones) for (const [status, count] of Object.entries(done.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    const { count: _count, ...latencyMs } = latencyOf(dones.map((d) => d.histogram));
    return {
      ok,
      errors,
      statuses,
      perSecond: Math.round(ok / seconds),
      latencyMs: latencyMs as Latency,
      serverCpuSeconds: round(cpuSeconds),
      cpuMicrosPerRequest: ok > 0 ? round((cpuSeconds * 1e6) / ok) : 0,
      serverRssMb: round(target.pids.reduce((sum, pid) => sum + processStats(pid).rssMb, 0), 1),
    };
  } finally {
    for (const client of clients) client.send({ type: 'stop' });
    killClients(clients);
  }
}

export async function durableScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const plan = context.quick ? { concurrency: 8, durationMs: 1500 } : { concurrency: 64, durationMs: 8000 };
  const rows: Row[] = [];
  for (const peer of RIFF_PEERS.filter((p) => context.peers.includes(p))) {
    rows.push(
      await withTarget(peer, () => startRiff(peer, context, { users: context.users }), async (target) => {
        const requests = target.tokens.map((token) => ({ method: 'POST' as const, path: '/v1/channels/general', token, body: 'riff-message' as const }));
        const result = await httpLoad(target, context, { ...plan, maxRequests: 1_000_000, requests }, `durable ${peer}`);
        return { peer, status: 'ok', ...result };
      }),
    );
  }
  const lines = [
    '| peer | acknowledged sends/s | vs target 3,000/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU s | µs CPU/send | RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} |||||||||`);
      continue;
    }
    const l = r.latencyMs as Latency;
    lines.push(`| ${r.peer} | ${r.perSecond} | ${(Number(r.perSecond) / DURABLE_TARGET_PER_SECOND).toFixed(2)}× | ${l.p50} | ${l.p99} | ${l.p999} | ${r.errors} | ${r.serverCpuSeconds} | ${r.cpuMicrosPerRequest} | ${r.serverRssMb} |`);
  }
  return [
    {
      name: 'durable',
      title: 'Durable send (REST, acknowledged = committed)',
      description: `${plan.concurrency} concurrent senders (${context.users} users) POST \`{body, nonce}\` to \`/v1/channels/general\` for ${plan.durationMs / 1000} s; each 201 is answered after the commit (on SQLite, the group commit that includes it).`,
      rows,
      summary: lines,
    },
  ];
}
