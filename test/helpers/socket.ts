/**
 * A small WebSocket client for black-box tests of `/v1/ws`: it connects the three ways
 * the API allows, keeps every frame it receives, and waits for frames with bounded timeouts
 * that fail with what did arrive.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '../../src/platform/gateway/protocol.js';

export type FrameType = ServerFrame['type'];
/** The server frame(s) of one `type` (some union members cover two types, e.g. message.created|updated). */
export type FrameOf<T extends FrameType> = ServerFrame extends infer F ? (F extends { type: infer U } ? (T extends U ? F & { type: T } : never) : never) : never;

export interface ConnectOptions {
  token?: string;
  /** How the token travels: `Authorization` header (default), `?auth=Bearer%20…`, a first `auth` frame, or not at all. */
  auth?: 'header' | 'query' | 'frame' | 'none';
  /** Positions to resume from: `?resume=…` for header/query auth, the `resume` map of the auth frame for frame auth. */
  resume?: Record<string, number>;
  /** Resolve once the socket is open instead of once `ready` arrived. */
  untilOpen?: boolean;
  timeoutMs?: number;
  /** Passed to `ws` (e.g. `autoPong: false`). */
  ws?: WebSocket.ClientOptions;
}

export const DEFAULT_WAIT_MS = 3000;

const live = new Set<TestSocket>();

function describeFrames(frames: readonly unknown[]): string {
  const shown = frames.slice(-25).map((f) => {
    const text = JSON.stringify(f);
    return `  ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
  });
  return `${frames.length} frame(s) received${frames.length > 25 ? ' (last 25 shown)' : ''}:\n${shown.join('\n')}`;
}

/**
 * The WebSocket URL of `/v1/ws` on a test server's base URL. Values are percent-encoded
 * (a space is `%20`, as the Musician Meetup client sends `?auth=Bearer%20…`), except the
 * characters ids and `resume` are made of, which clients paste in unencoded.
 */
export function wsUrl(baseUrl: string, query: Record<string, string> = {}): string {
  const search = Object.entries(query)
    .map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%3A/g, ':').replace(/%2C/g, ',')}`)
    .join('&');
  return `${baseUrl.replace(/^http/, 'ws')}/v1/ws${search ? `?${search}` : ''}`;
}

const resumeParam = (resume: Record<string, number>) =>
  Object.entries(resume)
    .map(([id, seq]) => `${id}:${seq}`)
    .join(',');

export class TestSocket {
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  /** Resolves when the socket has closed, with the code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | undefined;
  closeReason: string | undefined;
  /** Frames already returned by `next`, so one frame satisfies one `next`. */
  private readonly taken = new Set<number>();
  private waiters = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    live.add(this);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : data.toString();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(text) as ServerFrame;
      } catch {
        frame = { type: 'error', code: 'test_client_unparsable_frame', message: text };
      }
      this.frames.push(frame);
      for (const wake of [...this.waiters]) wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        live.delete(this);
        for (const wake of [...this.waiters]) wake();
        resolve({ code, reason: this.closeReason });
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The underlying TCP socket (to pause reading, for a slow consumer). */
  get tcp(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  send(frame: ClientFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends text exactly as given (malformed frames). */
  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: options.binary ?? false });
  }

  /** Frames received so far (optionally of one type, matching `where`). */
  received<T extends FrameType>(type: T, where?: (frame: FrameOf<T>) => boolean): FrameOf<T>[] {
    return this.frames.filter((f): f is FrameOf<T> => f.type === type && (!where || where(f as FrameOf<T>)));
  }

  /**
   * The first frame not yet returned by `next` that matches, waiting up to `timeoutMs`
   * for it; fails with the frames that did arrive (or the close code) otherwise.
   */
  next<T extends FrameType>(type: T, where?: (frame: FrameOf<T>) => boolean, timeoutMs?: number): Promise<FrameOf<T>>;
  next(predicate: (frame: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  next(
    typeOrPredicate: FrameType | ((frame: ServerFrame) => boolean),
    whereOrTimeout?: ((frame: never) => boolean) | number,
    maybeTimeout?: number,
  ): Promise<ServerFrame> {
    const predicate: (frame: ServerFrame) => boolean =
      typeof typeOrPredicate === 'function'
        ? typeOrPredicate
        : (f) => f.type === typeOrPredicate && (typeof whereOrTimeout !== 'function' || (whereOrTimeout as (frame: ServerFrame) => boolean)(f));
    const timeoutMs = (typeof whereOrTimeout === 'number' ? whereOrTimeout : maybeTimeout) ?? DEFAULT_WAIT_MS;
    const label = typeof typeOrPredicate === 'function' ? 'a frame matching the predicate' : `a ${typeOrPredicate} frame${typeof whereOrTimeout === 'function' ? ' matching the predicate' : ''}`;
    const error = new Error(); // created here so the failure points at the test's line
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.frames.findIndex((f, i) => !this.taken.has(i) && predicate(f));
        if (index >= 0) {
          this.taken.add(index);
          resolve(this.frames[index]!);
          return true;
        }
        if (this.closeCode !== undefined) {
          error.message = `socket closed (${this.closeCode} ${this.closeReason}) while waiting for ${label}; ${describeFrames(this.frames)}`;
          reject(error);
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        error.message = `no ${label} within ${timeoutMs} ms; ${describeFrames(this.frames)}`;
        reject(error);
      }, timeoutMs);
      const wake = () => {
        if (check()) {
          clearTimeout(timer);
          this.waiters.delete(wake);
        }
      };
      this.waiters.add(wake);
    });
  }

  /** Waits for the close (bounded), failing with what arrived if the server kept the socket open. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms; ${describeFrames(this.frames)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a ping frame and waits for its pong: the connection is open and usable. */
  async roundTrip(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong', undefined, timeoutMs);
  }

  /** Closes from the client side and waits for the close (terminating if the server does not answer; bounded). */
  async close(): Promise<void> {
    if (this.closeCode !== undefined) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
    const terminate = setTimeout(() => this.ws.terminate(), 1000);
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((resolve) => (giveUp = setTimeout(resolve, 3000)))]);
    clearTimeout(terminate);
    clearTimeout(giveUp);
    live.delete(this);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** An upgrade the server refused with an HTTP answer (the `unexpected-response` event of `ws`). */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: HTTP ${status} ${body}`);
  }
}

/** Connects to `/v1/ws`; resolves once `ready` arrived (or once open, with `untilOpen`). */
export async function connect(baseUrl: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const auth = options.auth ?? (options.token ? 'header' : 'none');
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  if (auth === 'header' && options.token) headers.authorization = `Bearer ${options.token}`;
  if (auth === 'query' && options.token) query.auth = `Bearer ${options.token}`;
  if (auth !== 'frame' && options.resume) query.resume = resumeParam(options.resume);
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;

  const ws = new WebSocket(wsUrl(baseUrl, query), { headers, handshakeTimeout: timeoutMs, ...options.ws });
  const socket = new TestSocket(ws);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      settle(new Error(`could not connect within ${timeoutMs} ms`));
      ws.terminate();
    }, timeoutMs);
    ws.once('open', () => settle());
    ws.once('unexpected-response', (_request, response) => {
      const body: Buffer[] = [];
      response.on('data', (chunk: Buffer) => body.push(chunk));
      response.on('end', () => {
        settle(new UpgradeRefused(response.statusCode ?? 0, Buffer.concat(body).toString('utf8')));
        ws.terminate();
      });
    });
    ws.once('error', (error) => settle(error));
  });
  if (auth === 'frame' && options.token) socket.send({ type: 'auth', token: options.token, ...(options.resume ? { resume: options.resume } : {}) });
  if (!options.untilOpen) await socket.next('ready', undefined, timeoutMs);
  return socket;
}

/** The refusal of an upgrade that must fail (the test fails if the socket opens). */
export async function refusedUpgrade(baseUrl: string, options: ConnectOptions = {}): Promise<UpgradeRefused> {
  try {
    const socket = await connect(baseUrl, { ...options, untilOpen: true });
    await socket.close();
  } catch (error) {
    if (error instanceof UpgradeRefused) return error;
    throw error;
  }
  throw new Error('expected the upgrade to be refused, but the socket opened');
}

/** Closes every socket the tests opened and has not closed yet (for afterEach). */
export async function closeAllSockets(): Promise<void> {
  await Promise.all([...live].map((socket) => socket.close()));
}
