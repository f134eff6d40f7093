/**
 * History and search at scale: a seeded database (1,000,000 messages in 1,000 public channels;
 * --quick 20,000), SQLite and PostgreSQL, served by a real `riff serve` on a copy of it, then
 * history pages and partial-match searches (in one channel, and across every channel) at
 * concurrency 16.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpLoad } from './durable.js';
import { RIFF_PEERS, startRiff, withTarget, type BenchContext, type Latency, type Row, type ScenarioReport, type Target } from './harness.js';
import type { HttpRequest } from './client.js';
import { prng, seedHistory, seedHistoryPostgres, vocabulary, type Seeded } from './seed.js';

export const HISTORY_P99_TARGET_MS = 10;
export const SEARCH_P99_TARGET_MS = 50;

export async function historyScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const messages = context.quick ? 20_000 : 1_000_000;
  const channels = context.quick ? 100 : 1000;
  const plan = { concurrency: 16, durationMs: context.quick ? 1000 : 6000, maxRequests: 1_000_000 };
  const rows: Row[] = [];
  for (const peer of RIFF_PEERS.filter((p) => context.peers.includes(p))) {
    let seeded: Seeded | undefined;
    const copies: string[] = [];
    // Each run serves a copy: signing up its users writes to the database.
    const start = async () => {
      if (peer === 'riff-sqlite') {
        const cached = await seedHistory(messages, channels);
        const copy = mkdtempSync(join(tmpdir(), 'riff-bench-history-'));
        copies.push(copy);
        copyFileSync(join(cached.dataDir, 'riff.db'), join(copy, 'riff.db'));
        seeded = cached;
        return startRiff(peer, context, { users: 4, dataDir: copy });
      }
      const cached = await seedHistoryPostgres(context.databaseUrl, messages, channels);
      seeded = cached;
      return startRiff(peer, context, { users: 4, template: cached.template });
    };
    try {
      const kinds = await withTarget(peer, start, async (target) => ({ peer, status: 'ok', results: await historyLoad(peer, target, seeded!, context, plan) }));
      if (kinds.status === 'ok') rows.push(...(kinds.results as Row[]));
      else rows.push(kinds);
    } finally {
      for (const copy of copies) rmSync(copy, { recursive: true, force: true });
    }
  }
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
  return [
    {
      name: 'history',
      title: `History and search, ${messages.toLocaleString('en')} messages in ${channels.toLocaleString('en')} channels`,
      description: `Seeded directly into the schema (\`riff migrate\`, then messages with their log rows, which the schema indexes for search), cached (SQLite in bench/.cache/, PostgreSQL as a template database); a signed-up user reads 50-item history pages of random public channels and searches 4-letter fragments of words, at concurrency ${plan.concurrency}, ${plan.durationMs / 1000} s per kind.`,
      rows,
      summary: lines,
    },
  ];
}

/** History pages and searches of random channels, one kind after the other, at the plan's concurrency. */
async function historyLoad(peer: string, target: Target, seeded: Seeded, context: BenchContext, plan: { concurrency: number; durationMs: number; maxRequests: number }): Promise<Row[]> {
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
    const result = await httpLoad(target, context, { ...plan, requests }, `history ${peer} ${kind}`);
    results.push({ peer, kind, status: 'ok', ...result });
  }
  return results;
}
