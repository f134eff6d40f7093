/**
 * Fan-out: subscribers in rooms, senders at a rate that rises step by step until p99 passes
 * 100 ms or deliveries fall behind twice at one rate; the best step that kept up is the peer's
 * max deliveries/s.
 * 1 room × 1,000 subscribers (every peer, `runs` times) and 100 rooms × 10 subscribers.
 */
import {
  cpuOf,
  drain,
  endProgress,
  killClients,
  latencyOf,
  processStats,
  progress,
  ratio,
  request,
  round,
  sleep,
  split,
  startClient,
  startTarget,
  withTarget,
  type BenchContext,
  type Client,
  type Latency,
  type Row,
  type ScenarioReport,
  type Target,
} from './harness.js';

export const P99_LIMIT_MS = 100;

export interface FanOutPlan {
  subscribers: number;
  rooms: number;
  /** sender connections (at least one per room) */
  senders: number;
  /** messages/s offered at each step, in order */
  rates: number[];
  stepMs: number;
  /** stop at the first step that did not keep up */
  rising: boolean;
}

export interface Step {
  rate: number;
  sent: number;
  expected: number;
  deliveries: number;
  deliveriesPerSecond: number;
  latencyMs: Latency;
  serverCpuSeconds: number;
  cpuMicrosPerDelivery: number;
  serverRssMb: number;
  sendErrors: number;
  keptUp: boolean;
}

/** Rooms the clients join: names for the peers; for Riff General, or one channel per user. */
async function roomsOf(target: Target, rooms: number): Promise<string[]> {
  if (target.kind !== 'riff') return Array.from({ length: rooms }, (_, i) => `room${i}`);
  if (rooms === 1) return ['general'];
  if (target.tokens.length !== rooms) throw new Error(`need one user per room (${rooms}), have ${target.tokens.length}`);
  // Each user creates one public channel: their sockets follow it (and General, which stays quiet).
  return Promise.all(
    target.tokens.map(async (token, i) => (await request<{ id: string }>(target.bases[0]!, '/v1/channels', { method: 'POST', token, body: { name: `bench room ${i}` } })).id),
  );
}

/** Runs the plan's steps against a started target; `label` heads the progress line. */
export async function fanOutSteps(target: Target, plan: FanOutPlan, context: BenchContext, label: string): Promise<Step[]> {
  const rooms = await roomsOf(target, plan.rooms);
  const base = { peer: target.kind, tokens: target.tokens, rooms, size: context.size };
  const clients: Client[] = [];
  try {
    let offset = 0;
    const subscribers = split(plan.subscribers, context.clientProcesses).map((count, p) => {
      const client = startClient({ ...base, role: 'subscribe', url: target.urls[p % target.urls.length]!, count, offset });
      offset += count;
      return client;
    });
    const sender = startClient({ ...base, role: 'send', url: target.urls[0]!, count: Math.max(plan.senders, plan.rooms), offset: 0 });
    clients.push(...subscribers, sender);
    const connected = await Promise.all(clients.map((client) => client.next('connected')));
    const refused = connected.reduce((sum, report) => sum + report.failed, 0);
    if (refused > 0) throw new Error(`${refused} connections refused`);
    // Let connection set-up settle so its CPU is not billed to deliveries.
    await sleep(context.quick ? 300 : 1000);
    const perMessage = plan.subscribers / plan.rooms;
    const delivered = () => subscribers.reduce((sum, client) => sum + (client.latest('progress')?.deliveries ?? 0), 0);
    const steps: Step[] = [];
    const runStep = async (rate: number): Promise<Step> => {
      await Promise.all(subscribers.map((client) => (client.send({ type: 'reset' }), client.next('reset'))));
      const before = cpuOf(target.pids);
      const ticker = setInterval(() => progress(`  ${label}: ${rate} msg/s × ${perMessage} — sent ${sender.latest('progress')?.sent ?? 0}, delivered ${delivered()}`), 500);
      const senderDone = sender.next('done');
      sender.send({ type: 'start', rate, durationMs: plan.stepMs, maxMessages: Math.ceil((rate * plan.stepMs) / 1000) });
      const sent = await senderDone;
      const expected = sent.sent * perMessage;
      await drain(delivered, expected, context.quick ? 800 : 1500, context.quick ? 1500 : Math.max(3000, plan.stepMs));
      clearInterval(ticker);
      const cpuSeconds = cpuOf(target.pids) - before;
      const reports = await Promise.all(subscribers.map((client) => (client.send({ type: 'report' }), client.next('report'))));
      const deliveries = reports.reduce((sum, r) => sum + r.deliveries, 0);
      const last = Math.max(...reports.map((r) => r.last), sent.last);
      const { count: _count, ...latencyMs } = latencyOf(reports.map((r) => r.histogram));
      const step: Step = {
        rate,
        sent: sent.sent,
        expected,
        deliveries,
        deliveriesPerSecond: Math.round(deliveries / ((last - sent.first) / 1000)),
        latencyMs,
        serverCpuSeconds: round(cpuSeconds),
        cpuMicrosPerDelivery: deliveries > 0 ? round((cpuSeconds * 1e6) / deliveries) : 0,
        serverRssMb: round(target.pids.reduce((sum, pid) => sum + processStats(pid).rssMb, 0), 1),
        sendErrors: sent.errors,
        keptUp: false,
      };
      step.keptUp = step.latencyMs.p99 <= P99_LIMIT_MS && deliveries >= expected * 0.99 && sent.errors === 0;
      steps.push(step);
      progress(`  ${label}: ${rate} msg/s → ${step.deliveriesPerSecond} deliveries/s, p99 ${step.latencyMs.p99} ms, ${step.cpuMicrosPerDelivery} µs CPU/delivery${step.keptUp ? '' : ' (did not keep up)'}`);
      endProgress();
      return step;
    };
    for (const rate of plan.rates) {
      let step = await runStep(rate);
      // One missed step can be the machine's noise (a neighbour's burst, a pause): the search
      // stops where the same rate misses twice, after a rest.
      if (plan.rising && !step.keptUp) {
        await sleep(1000);
        step = await runStep(rate);
      }
      if (plan.rising && !step.keptUp) break;
      // The next step starts from an idle server.
      await sleep(300);
    }
    return steps;
  } finally {
    for (const client of clients) client.send({ type: 'stop' });
    await sleep(150);
    killClients(clients);
  }
}

/** Why the search stopped: its last step, when that did not keep up. */
function stopReason(steps: Step[]): string {
  const failed = steps.at(-1);
  if (!failed || failed.keptUp) return `kept up at every rate up to ${steps.at(-1)?.rate ?? 0} msg/s`;
  const behind = failed.deliveries < failed.expected * 0.99 ? `, delivered ${Math.round((100 * failed.deliveries) / Math.max(1, failed.expected))}%` : '';
  return `at ${failed.rate} msg/s: p99 ${failed.latencyMs.p99} ms${behind}${failed.sendErrors ? `, ${failed.sendErrors} send errors` : ''}`;
}

/** The row of a rising search: its best step that kept up. */
export function peakRow(peer: string, run: number, steps: Step[]): Row {
  const kept = steps.filter((s) => s.keptUp);
  const best = kept.reduce<Step | undefined>((top, s) => (!top || s.deliveriesPerSecond > top.deliveriesPerSecond ? s : top), undefined);
  if (!best) {
    // Nothing kept up: the first step's cost still says what a delivery takes.
    const first = steps[0];
    return { peer, run, status: 'ok', maxDeliveriesPerSecond: 0, cpuMicrosPerDelivery: first?.cpuMicrosPerDelivery, serverRssMb: first?.serverRssMb, latencyMs: first?.latencyMs, atRate: first ? `(${first.rate})` : undefined, stoppedBecause: `no step kept up (${stopReason(steps)})`, steps };
  }
  return {
    peer,
    run,
    status: 'ok',
    maxDeliveriesPerSecond: best.deliveriesPerSecond,
    atRate: best.rate,
    latencyMs: best.latencyMs,
    cpuMicrosPerDelivery: best.cpuMicrosPerDelivery,
    serverRssMb: best.serverRssMb,
    stoppedBecause: stopReason(steps),
    steps,
  };
}

const best = (rows: Row[], peer: string, key: string, pick: (values: number[]) => number) => {
  // ×ws ratios compare runs that kept up: a first step that did not is no baseline.
  const values = rows.filter((r) => r.peer === peer && r.status === 'ok' && Number(r.maxDeliveriesPerSecond) > 0 && Number(r[key]) > 0).map((r) => Number(r[key]));
  return values.length ? pick(values) : undefined;
};

/** The table of a rising search, with ratios against raw ws and Socket.IO (best run each). */
export function peakTable(rows: Row[]): string[] {
  const wsRate = best(rows, 'ws', 'maxDeliveriesPerSecond', (v) => Math.max(...v));
  const ioRate = best(rows, 'socketio', 'maxDeliveriesPerSecond', (v) => Math.max(...v));
  const wsCpu = best(rows, 'ws', 'cpuMicrosPerDelivery', (v) => Math.min(...v));
  const lines = [
    '| peer | run | max deliveries/s at p99 < 100 ms | ×ws | ×Socket.IO | at msg/s | p50 ms | p99 ms | p99.9 ms | µs CPU/delivery | ×ws CPU | RSS MB | search stopped |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.run ?? 1} | ${r.status}: ${r.note ?? ''} |||||||||||`);
      continue;
    }
    const latency = r.latencyMs as Latency | undefined;
    const rate = Number(r.maxDeliveriesPerSecond);
    lines.push(
      `| ${r.peer} | ${r.run} | ${rate} | ${ratio(rate, wsRate)} | ${ratio(rate, ioRate)} | ${r.atRate ?? '—'} | ${latency?.p50 ?? '—'} | ${latency?.p99 ?? '—'} | ${latency?.p999 ?? '—'} | ${r.cpuMicrosPerDelivery ?? '—'} | ${ratio(r.cpuMicrosPerDelivery as number | undefined, wsCpu)} | ${r.serverRssMb ?? '—'} | ${r.stoppedBecause ?? r.note ?? ''} |`,
    );
  }
  return lines;
}

/** Search rates: ×1.25 per step from `from` to `to` messages/s. */
export const risingRates = (from: number, to: number, factor = 1.25) => {
  const rates: number[] = [];
  for (let rate = from; rate <= to; rate = Math.ceil(rate * factor)) rates.push(rate);
  return rates;
};

export async function fanOutScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const { quick } = context;
  const single: FanOutPlan = quick
    ? { subscribers: 50, rooms: 1, senders: 2, rates: [40, 80], stepMs: 600, rising: true }
    : { subscribers: 1000, rooms: 1, senders: 4, rates: risingRates(5, 1200, 1.4), stepMs: 2500, rising: true };
  const many: FanOutPlan = quick
    ? { subscribers: 40, rooms: 4, senders: 4, rates: [40, 80], stepMs: 600, rising: true }
    : { subscribers: 1000, rooms: 100, senders: 100, rates: risingRates(50, 50_000, 1.4), stepMs: 2500, rising: true };

  const singleRows: Row[] = [];
  for (let run = 1; run <= context.runs; run++) {
    for (const peer of context.peers) {
      const row = await withTarget(peer, () => startTarget(peer, context, { users: context.users }), async (target) =>
        peakRow(peer, run, await fanOutSteps(target, single, context, `fan-out ${peer} run ${run}`)),
      );
      singleRows.push({ run, ...row });
    }
  }
  const manyRows: Row[] = [];
  for (const peer of context.peers) {
    const row = await withTarget(peer, () => startTarget(peer, context, { users: many.rooms }), async (target) =>
      peakRow(peer, 1, await fanOutSteps(target, many, context, `fan-out ${many.rooms} rooms ${peer}`)),
    );
    manyRows.push({ run: 1, ...row });
  }
  const describe = (plan: FanOutPlan) =>
    `${plan.rooms} room${plan.rooms > 1 ? 's' : ''} × ${plan.subscribers / plan.rooms} subscribers, ${Math.max(plan.senders, plan.rooms)} sender sockets, ${context.size}-byte messages; offered rate rises through ${plan.rates.join(', ')} msg/s, ${plan.stepMs / 1000} s a step, until p99 > ${P99_LIMIT_MS} ms or fewer than 99% of deliveries arrive at the same rate twice.`;
  return [
    {
      name: 'fanout',
      title: 'Fan-out, 1 channel × 1,000 subscribers',
      description: describe(single),
      rows: singleRows,
      summary: [...peakTable(singleRows), '', 'Ratios against the best run of raw ws / Socket.IO; CPU per delivery against the lowest raw ws run, at each run’s best step (in brackets: the first step, when none kept up).'],
    },
    {
      name: 'fanout-rooms',
      title: `Fan-out, ${many.rooms} channels × ${many.subscribers / many.rooms} subscribers`,
      description: describe(many),
      rows: manyRows,
      summary: peakTable(manyRows),
    },
  ];
}
