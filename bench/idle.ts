/**
 * Idle density: authenticated sockets that only stay open, opened from several client
 * processes; the server's RSS growth divided by the sockets is the memory a socket costs.
 */
import {
  cpuOf,
  endProgress,
  killClients,
  processStats,
  progress,
  ratio,
  round,
  sleep,
  split,
  startClient,
  startTarget,
  withTarget,
  type BenchContext,
  type Client,
  type Row,
  type ScenarioReport,
} from './harness.js';

export const IDLE_TARGET_KB = 9;

export async function idleScenario(context: BenchContext): Promise<ScenarioReport[]> {
  const sockets = context.quick ? 200 : 10_000;
  const processes = context.quick ? 1 : 4;
  const rows: Row[] = [];
  for (const peer of context.peers) {
    rows.push(
      await withTarget(peer, () => startTarget(peer, context, { users: context.users }), async (target) => {
        await sleep(context.quick ? 300 : 1000);
        const pid = target.pids[0]!;
        const before = processStats(pid);
        const clients: Client[] = [];
        try {
          let offset = 0;
          for (const count of split(sockets, processes)) {
            clients.push(startClient({ role: 'idle', peer: target.kind, url: target.urls[0]!, count, offset, tokens: target.tokens, rooms: ['idle'], size: context.size }));
            offset += count;
          }
          const ticker = setInterval(() => progress(`  idle ${peer}: connecting ${sockets} sockets, RSS ${round(processStats(pid).rssMb, 1)} MB`), 500);
          const connected = await Promise.all(clients.map((client) => client.next('connected', 300_000)));
          clearInterval(ticker);
          endProgress();
          const open = connected.reduce((sum, r) => sum + r.count, 0);
          // Let buffers from the handshakes be collected before measuring.
          await sleep(context.quick ? 1000 : 3000);
          const after = processStats(pid);
          const kbPerSocket = open > 0 ? round(((after.rssMb - before.rssMb) * 1024) / open, 1) : 0;
          return { peer, status: 'ok', sockets: open, refused: sockets - open, rssBeforeMb: round(before.rssMb, 1), rssAfterMb: round(after.rssMb, 1), kbPerSocket, connectCpuSeconds: round(cpuOf([pid]) - before.cpuSeconds) };
        } finally {
          for (const client of clients) client.send({ type: 'stop' });
          await sleep(200);
          killClients(clients);
        }
      }),
    );
  }
  const wsKb = rows.find((r) => r.peer === 'ws' && r.status === 'ok')?.kbPerSocket as number | undefined;
  const lines = ['| peer | sockets open | refused | RSS before MB | RSS after MB | KB per socket | ×ws | Riff target ≤ 9 KB | CPU s to connect |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${r.peer} | ${r.status}: ${r.note ?? ''} ||||||||`);
      continue;
    }
    const kb = Number(r.kbPerSocket);
    const target = String(r.peer).startsWith('riff') ? (kb <= IDLE_TARGET_KB ? 'met' : 'not met') : '—';
    lines.push(`| ${r.peer} | ${r.sockets} | ${r.refused} | ${r.rssBeforeMb} | ${r.rssAfterMb} | ${kb} | ${ratio(kb, wsKb)} | ${target} | ${r.connectCpuSeconds} |`);
  }
  return [
    {
      name: 'idle',
      title: `Idle density, ${sockets.toLocaleString('en')} sockets`,
      description: `${sockets} sockets from ${processes} client process(es), file-descriptor limit raised; Riff sockets are authenticated (\`?auth=\`, ${context.users} users) and get \`ready\`. KB per socket = server RSS growth / open sockets, ${context.quick ? 1 : 3} s after the last one opened.`,
      rows,
      summary: lines,
    },
  ];
}
