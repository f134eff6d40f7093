/**
 * Multi-node: the fan-out scenario at one fixed rate on 2 Riff nodes sharing PostgreSQL and
 * Redis (subscribers split over both, senders on the first) against 1 node; on 2 cores the
 * comparison is server CPU per delivery (summed over the nodes), not raw throughput.
 */
import { fanOutSteps, type FanOutPlan } from './fanout.js';
import { ratio, startRiff, withTarget, type BenchContext, type Latency, type Row, type ScenarioReport } from './harness.js';

export const MULTI_NODE_CPU_TARGET = 1.3;

export async function multiNodeScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const plan: FanOutPlan = context.quick
    ? { subscribers: 40, rooms: 1, senders: 2, rates: [40], stepMs: 1000, rising: false }
    : { subscribers: 1000, rooms: 1, senders: 4, rates: [30], stepMs: 8000, rising: false };
  const configs = [
    { name: 'riff-sqlite, 1 node', peer: 'riff-sqlite' as const, nodes: 1 },
    { name: 'riff-postgres, 1 node', peer: 'riff-postgres' as const, nodes: 1 },
    { name: 'riff-postgres + Redis, 2 nodes', peer: 'riff-postgres' as const, nodes: 2 },
  ].filter((c) => context.peers.includes(c.peer));
  const rows: Row[] = [];
  for (const config of configs) {
    rows.push(
      await withTarget(config.name, () => startRiff(config.peer, context, { users: context.users, nodes: config.nodes, redisUrl: context.redisUrl }), async (target) => {
        const [step] = await fanOutSteps(target, plan, context, `multi-node ${config.name}`);
        return { peer: config.name, status: 'ok', nodes: config.nodes, ...step! };
      }),
    );
  }
  const embedded = rows.find((r) => r.peer === configs[0]?.name && r.status === 'ok' && configs[0]?.peer === 'riff-sqlite')?.cpuMicrosPerDelivery as number | undefined;
  const lines = [
    '| configuration | sent | delivered / expected | deliveries/s | p50 ms | p99 ms | p99.9 ms | server CPU s (all nodes) | µs CPU/delivery | × 1 embedded node | RSS MB (all nodes) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} ||||||||||`);
      continue;
    }
    const l = r.latencyMs as Latency;
    lines.push(`| ${r.peer} | ${r.sent} | ${r.deliveries} / ${r.expected} | ${r.deliveriesPerSecond} | ${l.p50} | ${l.p99} | ${l.p999} | ${r.serverCpuSeconds} | ${r.cpuMicrosPerDelivery} | ${ratio(r.cpuMicrosPerDelivery as number, embedded)} | ${r.serverRssMb} |`);
  }
  return [
    {
      name: 'multinode',
      title: 'Multi-node, 2 Riff nodes on PostgreSQL + Redis vs 1 node',
      description: `${plan.subscribers} subscribers of General (split over the nodes), ${plan.senders} senders on the first node at ${plan.rates[0]} msg/s for ${plan.stepMs / 1000} s. Target: CPU per delivery on 2 nodes ≤ ${MULTI_NODE_CPU_TARGET}× one embedded node.`,
      rows,
      summary: lines,
    },
  ];
}
