/**
 * A load-generator process, forked by run.ts so client CPU never counts as server CPU.
 * Subscribers record end-to-end latency (send time travels in the message body) in an HDR
 * histogram; senders send at a fixed rate, bounded by time and by message count.
 */
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';

export type PeerKind = 'ws' | 'socketio' | 'uws' | 'riff';

export type ClientTask = {
  role: 'subscribe' | 'send';
  peer: PeerKind;
  /** ws:// base URL of the server */
  url: string;
  count: number;
  /** Riff session tokens, used round-robin */
  tokens: string[];
  channelId: string;
  /** messages per second, across this process's senders */
  rate: number;
  durationMs: number;
  maxMessages: number;
  size: number;
};

export type ClientReport =
  | { type: 'connected' }
  | { type: 'progress'; deliveries: number; sent: number }
  | { type: 'done'; deliveries: number; sent: number; errors: number; histogram: string; first: number; last: number };

const now = () => performance.timeOrigin + performance.now();
const send = (report: ClientReport) => process.send?.(report);

/** One connection, whatever the peer: `post` sends a message body, `onBody` receives one. */
type Connection = { post(body: string): void; close(): void };

function connect(task: ClientTask, index: number, onBody: (body: string) => void, onError: () => void): Promise<Connection> {
  if (task.peer === 'socketio') {
    return new Promise((resolve, reject) => {
      const socket: Socket = io(task.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      socket.on('m', onBody);
      socket.once('connect', () => resolve({ post: (body) => socket.emit('m', body), close: () => socket.close() }));
      socket.once('connect_error', reject);
    });
  }
  const riff = task.peer === 'riff';
  const token = task.tokens[index % Math.max(1, task.tokens.length)] ?? '';
  const url = riff ? `${task.url}/v1/ws?auth=${encodeURIComponent(`Bearer ${token}`)}` : task.url;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    let nonce = 0;
    const connection: Connection = {
      post: riff
        ? (body) => socket.send(JSON.stringify({ type: 'send', channel_id: task.channelId, body, nonce: `${process.pid}-${index}-${nonce++}` }))
        : (body) => socket.send(body),
      close: () => socket.close(),
    };
    socket.once('error', reject);
    if (!riff) socket.once('open', () => resolve(connection));
    socket.on('message', (data: Buffer) => {
      if (!riff) return onBody(data.toString());
      const frame = JSON.parse(data.toString()) as { type: string; data?: { body?: string } };
      if (frame.type === 'message.created' && frame.data?.body) onBody(frame.data.body);
      else if (frame.type === 'ready') resolve(connection);
      else if (frame.type === 'error') onError();
    });
  });
}

async function subscribe(task: ClientTask): Promise<void> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let deliveries = 0;
  let first = 0;
  let last = 0;
  const onBody = (body: string) => {
    const at = now();
    const sentAt = Number(body.slice(0, body.indexOf(' ')));
    if (!Number.isFinite(sentAt)) return;
    histogram.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
    deliveries++;
    if (first === 0) first = at;
    last = at;
  };
  const connections: Connection[] = [];
  // Connect in small batches: a thousand simultaneous handshakes is a different benchmark.
  for (let i = 0; i < task.count; i += 50) {
    connections.push(...(await Promise.all(Array.from({ length: Math.min(50, task.count - i) }, (_, j) => connect(task, i + j, onBody, () => {})))));
  }
  send({ type: 'connected' });
  const progress = setInterval(() => send({ type: 'progress', deliveries, sent: 0 }), 1000);
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    clearInterval(progress);
    send({ type: 'done', deliveries, sent: 0, errors: 0, histogram: hdr.encodeIntoCompressedBase64(histogram), first, last });
    for (const connection of connections) connection.close();
    setTimeout(() => process.exit(0), 200);
  });
}

async function sendAtRate(task: ClientTask): Promise<void> {
  let errors = 0;
  const connections = await Promise.all(Array.from({ length: task.count }, (_, i) => connect(task, i, () => {}, () => errors++)));
  send({ type: 'connected' });
  process.once('message', () => {
    const padding = 'x'.repeat(Math.max(0, task.size - 20));
    const started = now();
    let sent = 0;
    const tick = setInterval(() => {
      const elapsed = now() - started;
      const due = Math.min(task.maxMessages, Math.floor((elapsed / 1000) * task.rate));
      for (; sent < due; sent++) connections[sent % connections.length]!.post(`${now().toFixed(3)} ${padding}`);
      if (elapsed >= task.durationMs || sent >= task.maxMessages) {
        clearInterval(tick);
        clearInterval(progress);
        send({ type: 'done', deliveries: 0, sent, errors, histogram: '', first: started, last: now() });
        setTimeout(() => {
          for (const connection of connections) connection.close();
          process.exit(0);
        }, 3000);
      }
    }, 5);
    const progress = setInterval(() => send({ type: 'progress', deliveries: 0, sent }), 1000);
  });
}

const task = JSON.parse(process.env.BENCH_TASK ?? '{}') as ClientTask;
(task.role === 'send' ? sendAtRate(task) : subscribe(task)).catch((error: unknown) => {
  console.error(`bench client: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
