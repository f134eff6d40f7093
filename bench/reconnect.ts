/**
 * Reconnect storm: subscribed Riff sockets all drop at once and reconnect with
 * `?resume=general:<last seq>` while messages keep coming; every socket counts each seq it gets,
 * so after the run lost (a seq never seen) and duplicated (a seq seen twice) are exact.
 */
import { performance } from 'node:perf_hooks';
import {
  cpuOf,
  drain,
  endProgress,
  killClients,
  progress,
  request,
  RIFF_PEERS,
  round,
  sleep,
  split,
  startClient,
  startRiff,
  withTarget,
  type BenchContext,
  type Client,
  type Row,
  type ScenarioReport,
} from './harness.js';

const now = () => performance.timeOrigin + performance.now();

export async function reconnectScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const plan = context.quick ? { clients: 100, rate: 20, beforeMs: 500, afterMs: 500 } : { clients: 2000, rate: 20, beforeMs: 2000, afterMs: 2000 };
  const rows: Row[] = [];
  for (const peer of RIFF_PEERS.filter((p) => context.peers.includes(p))) {
    rows.push(
      await withTarget(peer, () => startRiff(peer, context, { users: context.users }), async (target) => {
        const base = { peer: target.kind, url: target.urls[0]!, tokens: target.tokens, rooms: ['general'], size: context.size };
        const clients: Client[] = [];
        let ticker: NodeJS.Timeout | undefined;
        try {
          let offset = 0;
          const followers = split(plan.clients, context.clientProcesses).map((count) => {
            const client = startClient({ ...base, role: 'resume', count, offset });
            offset += count;
            return client;
          });
          const sender = startClient({ ...base, role: 'send', count: 4, offset: 0 });
          clients.push(...followers, sender);
          await Promise.all(clients.map((client) => client.next('connected')));
          sender.send({ type: 'start', rate: plan.rate, durationMs: 3_600_000, maxMessages: 1_000_000 });
          await sleep(plan.beforeMs);
          const cpuBefore = cpuOf(target.pids);
          const droppedAt = now();
          const resumed = Promise.all(followers.map((client) => client.next('resumed', 120_000)));
          for (const client of followers) client.send({ type: 'drop' });
          ticker = setInterval(() => progress(`  reconnect ${peer}: ${plan.clients} sockets dropped ${round((now() - droppedAt) / 1000, 1)} s ago, ${followers.reduce((sum, client) => sum + (client.latest('progress')?.resumed ?? 0), 0)} resumed, sent ${sender.latest('progress')?.sent ?? 0}`), 500);
          const resumedReports = await resumed;
          clearInterval(ticker);
          const allResumedMs = round(Math.max(...resumedReports.map((r) => r.at)) - droppedAt, 1);
          const stormCpuSeconds = round(cpuOf(target.pids) - cpuBefore);
          const retries = resumedReports.reduce((sum, r) => sum + r.retries, 0);
          progress(`  reconnect ${peer}: all ${plan.clients} resumed after ${allResumedMs} ms`);
          endProgress();
          await sleep(plan.afterMs);
          sender.send({ type: 'stop' });
          await sleep(500);
          const channels = await request<Array<{ id: string; last_seq: number }>>(target.bases[0]!, '/v1/channels', { token: target.tokens[0] });
          const head = channels.find((c) => c.id === 'general')?.last_seq ?? 0;
          const caughtUp = () => Math.min(...followers.map((client) => client.latest('progress')?.caughtUp ?? 0));
          await drain(caughtUp, head, 5000, 30_000);
          const verified = await Promise.all(followers.map((client) => (client.send({ type: 'verify', head }), client.next('verified'))));
          const lost = verified.reduce((sum, v) => sum + v.lost, 0);
          const duplicated = verified.reduce((sum, v) => sum + v.duplicated, 0);
          const received = verified.reduce((sum, v) => sum + v.received, 0);
          return { peer, status: 'ok', clients: plan.clients, allResumedMs, retries, head, received, lost, duplicated, stormCpuSeconds };
        } finally {
          clearInterval(ticker);
          for (const client of clients) client.send({ type: 'stop' });
          await sleep(200);
          killClients(clients);
        }
      }),
    );
  }
  const lines = ['| peer | sockets | time to all resumed ms | reconnects retried | log head | events received | lost | duplicated | server CPU s in storm |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.status !== 'ok') lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} ||||||||`);
    else lines.push(`| ${r.peer} | ${r.clients} | ${r.allResumedMs} | ${r.retries} | ${r.head} | ${r.received} | ${r.lost} | ${r.duplicated} | ${r.stormCpuSeconds} |`);
  }
  return [
    {
      name: 'reconnect',
      title: `Reconnect storm, ${plan.clients.toLocaleString('en')} sockets`,
      description: `${plan.clients} sockets (${context.users} users) follow General while 4 senders post ${plan.rate} msg/s; all sockets are cut at once and reconnect at once with \`?resume=general:<last contiguous seq>\` (a refused or reset reconnect is retried after a backoff, as Riff's clients do). Resumed = the new \`ready\` came and the socket holds every seq up to the head it named. After the run every socket must hold each seq from its first head to the final head exactly once.`,
      rows,
      summary: lines,
    },
  ];
}
