/**
 * Apps API: parallel message creates in one chat (numbered 1, 2, 3… by the server), then the
 * numbers are read back: they must be exactly 1..N for the N creates that were answered 201.
 */
import { httpLoad } from './durable.js';
import { request, RIFF_PEERS, startRiff, withTarget, type BenchContext, type Latency, type Row, type ScenarioReport } from './harness.js';

/** Every message number of a chat, read page by page. */
async function numbersOf(base: string, path: string): Promise<number[]> {
  const numbers: number[] = [];
  for (let after = 0; ; ) {
    const page = await request<Array<{ message_number: number }>>(base, `${path}?after=${after}&limit=100`);
    numbers.push(...page.map((m) => m.message_number));
    if (page.length < 100) return numbers;
    after = page.at(-1)!.message_number;
  }
}

export async function appsScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const plan = context.quick ? { concurrency: 16, durationMs: 1500 } : { concurrency: 64, durationMs: 6000 };
  const rows: Row[] = [];
  for (const peer of RIFF_PEERS.filter((p) => context.peers.includes(p))) {
    rows.push(
      await withTarget(peer, () => startRiff(peer, context, { users: 0 }), async (target) => {
        const base = target.bases[0]!;
        const { application_token: token } = await request<{ application_token: string }>(base, '/api/applications', { method: 'POST', body: { application_name: 'bench' } });
        const { chat_number: chat } = await request<{ chat_number: number }>(base, `/api/applications/${token}/chats`, { method: 'POST', body: { chat_name: 'bench' } });
        const path = `/api/applications/${token}/chats/${chat}/messages`;
        const result = await httpLoad(target, context, { ...plan, maxRequests: 1_000_000, requests: [{ method: 'POST', path, body: 'app-message' }] }, `apps ${peer}`);
        const numbers = (await numbersOf(base, path)).sort((a, b) => a - b);
        const { messages_count: counted } = await request<{ messages_count: number }>(base, `/api/applications/${token}/chats/${chat}`);
        const exact = numbers.length === result.ok && numbers.every((n, i) => n === i + 1) && counted === result.ok;
        return { peer, status: 'ok', ...result, stored: numbers.length, messagesCount: counted, numbersExact: exact };
      }),
    );
  }
  const lines = ['| peer | numbered creates/s | p50 ms | p99 ms | p99.9 ms | created (201) | errors | stored | numbers exactly 1..N | µs CPU/create |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} |||||||||`);
      continue;
    }
    const l = r.latencyMs as Latency;
    lines.push(`| ${r.peer} | ${r.perSecond} | ${l.p50} | ${l.p99} | ${l.p999} | ${r.ok} | ${r.errors} | ${r.stored} | ${r.numbersExact ? 'yes' : 'NO'} | ${r.cpuMicrosPerRequest} |`);
  }
  return [
    {
      name: 'apps',
      title: 'Apps API, parallel creates in one chat',
      description: `${plan.concurrency} concurrent POSTs of \`{message_content}\` to one chat for ${plan.durationMs / 1000} s; afterwards every message is read back by number and \`messages_count\` checked.`,
      rows,
      summary: lines,
    },
  ];
}
