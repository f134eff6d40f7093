/**
 * History and search at scale: a seeded SQLite database (1,000,000 messages in 1,000 public
 * channels; --quick 20,000) served by a real `riff serve` on a copy of it, then history pages
 * and partial-match searches (in one channel, and across every channel) at concurrency 16.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpLoad } from './durable.js';
import { RIFF_PEERS, startRiff, withTarget, type BenchContext, type Latency, type Row, type ScenarioReport } from './harness.js';
import type { HttpRequest } from './client.js';
import { prng, seedHistory, vocabulary } from './seed.js';

export const HISTORY_P99_TARGET_MS = 10;
export const SEARCH_P99_TARGET_MS = 50;

export async function historyScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const messages = context.quick ? 20_000 : 1_000_000;
  const channels = context.quick ? 100 : 1000;
  const plan = { concurrency: 16, durationMs: context.quick ? 1000 : 6000, maxRequests: 1_000_000 };
  const rows: Row[] = [];
  if (context.peers.includes('riff-sqlite')) {
    const seeded = await seedHistory(messages, channels);
    const copy = mkdtempSync(join(tmpdir(), 'riff-bench-history-'));
    copyFileSync(join(seeded.dataDir, 'riff.db'), join(copy, 'riff.db'));
    try {
      const kinds = await withTarget('riff-sqlite', () => startRiff('riff-sqlite', context, { users: 4, dataDir: copy }), async (target) => {
        const random = prng(5);
        const words = vocabulary();
        const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
        const token = () => pick(target.tokens);
        // A fragment from inside a word: partial match, as someone half-remembering it types.
        const fragment = () => {
          const word = pick(words);
          const start = Math.floor(random() * Math.max(1, word.length - 4));
          return word.slice(start, start + 4);
        };
        const specs: Record<string, () => HttpRequest> = {
          'history, latest page': () => ({ method: 'GET', path: `/v1/channels/${pick(seeded.channelIds)}?limit=50`, token: token() }),
          'history, older page': () => ({ method: 'GET', path: `/v1/channels/${pick(seeded.channelIds)}?before=${1 + Math.floor(random() * seeded.messagesPerChannel)}&limit=50`, token: token() }),
          'search in a channel': () => ({ method: 'GET', path: `/v1/channels/${pick(seeded.channelIds)}/search?q=${encodeURIComponent(fragment())}`, token: token() }),
          'search everywhere': () => ({ method: 'GET', path: `/v1/search?q=${encodeURIComponent(fragment())}`, token: token() }),
        };
        const results: Row[] = [];
        for (const [kind, make] of Object.entries(specs)) {
          const requests = Array.from({ length: 5000 }, make);
          const result = await httpLoad(target, context, { ...plan, requests }, `history ${kind}`);
          results.push({ peer: 'riff-sqlite', kind, status: 'ok', ...result });
        }
        return { peer: 'riff-sqlite', status: 'ok', results };
      });
      if (kinds.status === 'ok') rows.push(...(kinds.results as Row[]));
      else rows.push(kinds);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  const skipped = RIFF_PEERS.filter((p) => p !== 'riff-sqlite' && context.peers.includes(p));
  const lines = ['| peer | request | requests/s | p50 ms | p99 ms | p99.9 ms | errors | target p99 | met |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} ||||||||`);
      continue;
    }
    const l = r.latencyMs as Latency;
    const target = String(r.kind).startsWith('history') ? HISTORY_P99_TARGET_MS : SEARCH_P99_TARGET_MS;
    lines.push(`| ${r.peer} | ${r.kind} | ${r.perSecond} | ${l.p50} | ${l.p99} | ${l.p999} | ${r.errors} | < ${target} ms | ${l.p99 < target ? 'yes' : 'no'} |`);
  }
  if (skipped.length) lines.push('', `Not run on ${skipped.join(', ')}: the bulk seeder writes SQLite only so far.`);
  return [
    {
      name: 'history',
      title: `History and search, ${messages.toLocaleString('en')} messages in ${channels.toLocaleString('en')} channels`,
      description: `Seeded directly into the SQLite schema (\`riff migrate\`, then messages with their log rows, which the schema's triggers index for search), cached in bench/.cache/; a signed-up user reads 50-item history pages of random public channels and searches 4-letter fragments of words, at concurrency ${plan.concurrency}, ${plan.durationMs / 1000} s per kind.`,
      rows,
      summary: lines,
    },
  ];
}
