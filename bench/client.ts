/**
 * A load-generator process, forked by the runner so client CPU never counts as server CPU.
 * Roles: `subscribe` (end-to-end latency of fan-out, the send time travels in the body, reset
 * and reported per step), `send` (fixed rate, per step), `idle` (connect and hold), `resume`
 * (Riff sockets that drop and resume with their last seq, counting every seq they get) and
 * `http` (REST requests at a fixed concurrency). Latency goes into HDR histograms (µs).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';

export type PeerKind = 'ws' | 'socketio' | 'uws' | 'riff';

/** A REST request the `http` role makes; `body` names a generated body (a fresh nonce each time). */
export type HttpRequest = { method: 'GET' | 'POST'; path: string; token?: string; body?: 'riff-message' | 'app-message' };

export type ClientTask = {
  role: 'subscribe' | 'send' | 'idle' | 'resume' | 'http';
  peer: PeerKind;
  /** ws:// base URL of the server (http:// for the http role) */
  url: string;
  count: number;
  /** this process's first connection index: connection i joins rooms[(offset+i) % rooms.length] as tokens[(offset+i) % tokens.length] */
  offset: number;
  /** Riff session tokens */
  tokens: string[];
  /** room names (peers) or channel ids (Riff) */
  rooms: string[];
  size: number;
  /** http role: requests made in turn */
  requests?: HttpRequest[];
};

export type ClientCommand =
  | { type: 'start'; rate: number; durationMs: number; maxMessages: number }
  | { type: 'run'; durationMs: number; maxRequests: number }
  | { type: 'reset' }
  | { type: 'report' }
  | { type: 'drop' }
  | { type: 'verify'; head: number }
  | { type: 'stop' };

export type ClientReport =
  | { type: 'connected'; count: number; failed: number }
  | { type: 'progress'; deliveries: number; sent: number; caughtUp?: number; resumed?: number }
  | { type: 'reset' }
  | { type: 'report'; deliveries: number; histogram: string; first: number; last: number }
  | { type: 'done'; sent: number; errors: number; histogram: string; first: number; last: number; statuses: Record<string, number> }
  | { type: 'resumed'; at: number; clients: number; retries: number }
  | { type: 'verified'; clients: number; lost: number; duplicated: number; received: number };

const now = () => performance.timeOrigin + performance.now();
const send = (report: ClientReport) => process.send?.(report);
const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
const onCommand = (handler: (command: ClientCommand) => void) => process.on('message', handler);

/** One connection, whatever the peer: `post` sends a message body, `onBody` receives one. */
type Connection = { post(body: string): void; close(): void };

const BODY_MARK = '"body":"';

/** The send time at the start of a Riff message.created frame's body, without parsing the frame. */
function riffSentAt(text: string): number | undefined {
  if (!text.includes('"message.created"')) return undefined;
  const at = text.indexOf(BODY_MARK);
  if (at < 0) return undefined;
  const start = at + BODY_MARK.length;
  return Number(text.slice(start, text.indexOf(' ', start)));
}

function connect(task: ClientTask, index: number, onSentAt: (sentAt: number) => void, onError: () => void): Promise<Connection> {
  const global = task.offset + index;
  const room = task.rooms[global % task.rooms.length] ?? 'bench';
  if (task.peer === 'socketio') {
    return new Promise((resolve, reject) => {
      const socket: Socket = io(task.url, { transports: ['websocket'], reconnection: false, forceNew: true, query: { room } });
      socket.on('m', (body: string) => onSentAt(Number(body.slice(0, body.indexOf(' ')))));
      socket.once('connect', () => resolve({ post: (body) => socket.emit('m', body), close: () => socket.close() }));
      socket.once('connect_error', reject);
    });
  }
  const riff = task.peer === 'riff';
  const token = task.tokens[global % Math.max(1, task.tokens.length)] ?? '';
  const url = riff ? `${task.url}/v1/ws?auth=${encodeURIComponent(`Bearer ${token}`)}` : `${task.url}/?room=${encodeURIComponent(room)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    let nonce = 0;
    const connection: Connection = {
      post: riff
        ? (body) => socket.send(JSON.stringify({ type: 'send', channel_id: room, body, nonce: `${process.pid}-${global}-${nonce++}` }))
        : (body) => socket.send(body),
      close: () => socket.terminate(),
    };
    socket.once('error', reject);
    if (!riff) socket.once('open', () => resolve(connection));
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (!riff) return onSentAt(Number(text.slice(0, text.indexOf(' '))));
      const sentAt = riffSentAt(text);
      if (sentAt !== undefined) onSentAt(sentAt);
      else if (text.startsWith('{"type":"ready"')) resolve(connection);
      else if (text.startsWith('{"type":"error"')) onError();
    });
  });
}

/** Opens `count` connections, 50 handshakes at a time (a thousand at once is the storm scenario's job). */
async function connectAll(task: ClientTask, onSentAt: (sentAt: number) => void, onError: () => void): Promise<{ connections: Connection[]; failed: number }> {
  const connections: Connection[] = [];
  let failed = 0;
  for (let i = 0; i < task.count; i += 50) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(50, task.count - i) }, (_, j) => connect(task, i + j, onSentAt, onError)));
    for (const result of batch) {
      if (result.status === 'fulfilled') connections.push(result.value);
      else failed++;
    }
  }
  return { connections, failed };
}

async function subscribe(task: ClientTask): Promise<void> {
  let histogram = newHistogram();
  let deliveries = 0;
  let first = 0;
  let last = 0;
  const onSentAt = (sentAt: number) => {
    if (!Number.isFinite(sentAt)) return;
    const at = now();
    histogram.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
    deliveries++;
    if (first === 0) first = at;
    last = at;
  };
  const { connections, failed } = await connectAll(task, onSentAt, () => {});
  send({ type: 'connected', count: connections.length, failed });
  setInterval(() => send({ type: 'progress', deliveries, sent: 0 }), 250);
  onCommand((command) => {
    if (command.type === 'reset') {
      histogram = newHistogram();
      deliveries = first = last = 0;
      send({ type: 'reset' });
    } else if (command.type === 'report') {
      send({ type: 'report', deliveries, histogram: hdr.encodeIntoCompressedBase64(histogram), first, last });
    } else if (command.type === 'stop') {
      for (const connection of connections) connection.close();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

async function sendAtRate(task: ClientTask): Promise<void> {
  let errors = 0;
  const { connections } = await connectAll(task, () => {}, () => errors++);
  send({ type: 'connected', count: connections.length, failed: task.count - connections.length });
  const padding = 'x'.repeat(Math.max(0, task.size - 20));
  let sent = 0;
  setInterval(() => send({ type: 'progress', deliveries: 0, sent }), 250);
  onCommand((command) => {
    if (command.type === 'stop') {
      for (const connection of connections) connection.close();
      setTimeout(() => process.exit(0), 100);
    }
    if (command.type !== 'start') return;
    const started = now();
    sent = 0;
    errors = 0;
    const tick = setInterval(() => {
      const elapsed = now() - started;
      const due = Math.min(command.maxMessages, Math.floor((elapsed / 1000) * command.rate));
      for (; sent < due; sent++) connections[sent % connections.length]!.post(`${now().toFixed(3)} ${padding}`);
      if (elapsed >= command.durationMs || sent >= command.maxMessages) {
        clearInterval(tick);
        send({ type: 'done', sent, errors, histogram: '', first: started, last: now(), statuses: {} });
      }
    }, 5);
  });
}

async function idle(task: ClientTask): Promise<void> {
  const { connections, failed } = await connectAll(task, () => {}, () => {});
  send({ type: 'connected', count: connections.length, failed });
  onCommand((command) => {
    if (command.type !== 'stop') return;
    for (const connection of connections) connection.close();
    setTimeout(() => process.exit(0), 100);
  });
}

/**
 * Riff sockets following one channel (rooms[0]) by seq. On `drop` every socket is cut and
 * reconnects at once with `?resume=<channel>:<last contiguous seq>`; a socket has resumed when
 * its new `ready` came and it holds every seq up to the head that `ready` named.
 */
async function resume(task: ClientTask): Promise<void> {
  const channelId = task.rooms[0]!;
  type Follower = { index: number; socket?: WebSocket; base: number; counts: number[]; contiguous: number; target: number; resumed: boolean };
  const followers: Follower[] = Array.from({ length: task.count }, (_, index) => ({ index, base: 0, counts: [], contiguous: 0, target: 0, resumed: true }));
  let dropping = false;
  let resumedReported = false;

  const checkResumed = () => {
    if (!dropping || resumedReported || followers.some((f) => !f.resumed)) return;
    resumedReported = true;
    send({ type: 'resumed', at: now(), clients: followers.length, retries });
  };
  const record = (follower: Follower, seq: number) => {
    const slot = seq - follower.base;
    if (slot <= 0) return (follower.counts[0] = (follower.counts[0] ?? 0) + 1);
    follower.counts[slot] = (follower.counts[slot] ?? 0) + 1;
    while (follower.counts[follower.contiguous - follower.base + 1]) follower.contiguous++;
    if (!follower.resumed && follower.target > 0 && follower.contiguous >= follower.target) {
      follower.resumed = true;
      checkResumed();
    }
  };
  const open = (follower: Follower, first: boolean) =>
    new Promise<void>((resolve, reject) => {
      const token = task.tokens[(task.offset + follower.index) % task.tokens.length]!;
      const resumeAt = first ? '' : `&resume=${encodeURIComponent(`${channelId}:${follower.contiguous}`)}`;
      const socket = new WebSocket(`${task.url}/v1/ws?auth=${encodeURIComponent(`Bearer ${token}`)}${resumeAt}`, { perMessageDeflate: false });
      follower.socket = socket;
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before ready')));
      socket.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { type: string; channel_id?: string; seq?: number; data?: { channels?: Array<{ id: string; last_seq: number }> } };
        if (frame.type === 'ready') {
          const head = frame.data?.channels?.find((c) => c.id === channelId)?.last_seq ?? 0;
          if (first) follower.base = follower.contiguous = head;
          else {
            follower.target = head;
            if (follower.contiguous >= head) (follower.resumed = true), checkResumed();
          }
          resolve();
        } else if (frame.channel_id === channelId && typeof frame.seq === 'number') record(follower, frame.seq);
      });
    });
  // A refused or reset reconnect is tried again after a pause, as Riff's own clients do.
  const reconnect = (follower: Follower, attempt: number) => {
    open(follower, false).catch(() => {
      retries++;
      setTimeout(() => reconnect(follower, attempt + 1), Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random()));
    });
  };
  let retries = 0;
  for (let i = 0; i < followers.length; i += 50) await Promise.all(followers.slice(i, i + 50).map((f) => open(f, true)));
  send({ type: 'connected', count: followers.length, failed: 0 });
  setInterval(
    () => send({ type: 'progress', deliveries: 0, sent: 0, caughtUp: Math.min(...followers.map((f) => f.contiguous)), resumed: followers.filter((f) => f.resumed).length }),
    250,
  );
  onCommand((command) => {
    if (command.type === 'drop') {
      dropping = true;
      for (const follower of followers) {
        follower.resumed = false;
        follower.target = 0;
        follower.socket?.removeAllListeners('message');
        follower.socket?.terminate();
        reconnect(follower, 1);
      }
    } else if (command.type === 'verify') {
      let lost = 0;
      let duplicated = 0;
      let received = 0;
      for (const follower of followers) {
        for (let seq = follower.base + 1; seq <= command.head; seq++) {
          const count = follower.counts[seq - follower.base] ?? 0;
          received += count;
          if (count === 0) lost++;
          if (count > 1) duplicated += count - 1;
        }
        // Anything at or before the first head is a replay of what the socket had: a duplicate.
        duplicated += follower.counts[0] ?? 0;
      }
      send({ type: 'verified', clients: followers.length, lost, duplicated, received });
    } else if (command.type === 'stop') {
      for (const follower of followers) follower.socket?.terminate();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

/**
 * One REST exchange over `agent`'s kept-alive sockets, answering its status once the body is read.
 * node:http rather than fetch: undici's fetch costs the load generator several times the CPU,
 * and on 2 cores that CPU is taken from the server under test.
 */
function exchange(agent: Agent, base: URL, spec: HttpRequest, body: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    const outgoing = request({ agent, host: base.hostname, port: base.port, method: spec.method, path: spec.path, headers }, (response) => {
      response.on('data', () => {});
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** REST requests at a fixed concurrency (`count` workers), for a time or a number of requests. */
async function http(task: ClientTask): Promise<void> {
  const requests = task.requests ?? [];
  const base = new URL(task.url);
  const agent = new Agent({ keepAlive: true, maxSockets: task.count });
  send({ type: 'connected', count: task.count, failed: 0 });
  onCommand(async (command) => {
    if (command.type === 'stop') process.exit(0);
    if (command.type !== 'run') return;
    const histogram = newHistogram();
    const statuses: Record<string, number> = {};
    let next = 0;
    let sent = 0;
    let errors = 0;
    const started = now();
    const progress = setInterval(() => send({ type: 'progress', deliveries: 0, sent }), 250);
    const worker = async () => {
      while (now() - started < command.durationMs && next < command.maxRequests) {
        const n = next++;
        const spec = requests[(task.offset + n) % requests.length]!;
        const unique = `${process.pid}-${task.offset}-${n}`;
        const body =
          spec.body === 'riff-message'
            ? JSON.stringify({ body: `durable ${unique} ${'x'.repeat(Math.max(0, task.size - 40))}`, nonce: unique })
            : spec.body === 'app-message'
              ? JSON.stringify({ message_content: `app ${unique}` })
              : undefined;
        const at = now();
        try {
          const status = await exchange(agent, base, spec, body);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            histogram.recordValue(Math.max(1, Math.round((now() - at) * 1000)));
            sent++;
          } else errors++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: task.count }, worker));
    clearInterval(progress);
    send({ type: 'done', sent, errors, histogram: hdr.encodeIntoCompressedBase64(histogram), first: started, last: now(), statuses });
  });
}

// The task is the first message (a request list can be too big for the environment).
const roles = { subscribe, send: sendAtRate, idle, resume, http } as const;
process.once('message', (task: ClientTask) => {
  roles[task.role](task).catch((error: unknown) => {
    console.error(`bench client (${task.role}): ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  });
});
