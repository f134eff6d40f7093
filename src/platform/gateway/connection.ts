import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Identity } from '../http/auth.js';
import { encodeFrame, type FeedListener } from './hub.js';
import { CloseCode, type ChannelFrame, type ServerFrame } from './protocol.js';

/**
 * A connection's view of one channel. It remembers the highest seq it sent and never
 * sends that seq or a lower one again; while a replay from the log runs, live rows wait in
 * `held` and go out after it, so the hand-over has no gap and no duplicate.
 */
export class Subscription implements FeedListener {
  lastSent = 0;
  /** Rows up to here were never sent on this connection: a later `after_seq` may ask for them. */
  startedAfter = 0;
  replaying = true;
  /** Asked for with `subscribe` (a public channel), not followed because of membership. */
  explicit = false;
  private held: Array<{ frame: ChannelFrame; bytes: Buffer }> = [];

  constructor(
    readonly connection: Connection,
    readonly channelId: string,
  ) {}

  deliver(frame: ChannelFrame, bytes: Buffer): void {
    if (this.replaying) {
      this.held.push({ frame, bytes });
      return;
    }
    if ('seq' in frame) {
      if (frame.seq <= this.lastSent) return;
      this.lastSent = frame.seq;
    }
    this.connection.sendBytes(bytes);
  }

  /** Sends one replayed row unless it was already sent, at the pace the client reads. */
  async replayed(frame: ChannelFrame & { seq: number }): Promise<void> {
    if (frame.seq <= this.lastSent) return;
    this.lastSent = frame.seq;
    await this.connection.sendPaced(encodeFrame(frame));
  }

  /** Ends the replay: what arrived live meanwhile goes out now, in order, without repeats. */
  goLive(): void {
    this.replaying = false;
    const held = this.held;
    this.held = [];
    for (const { frame, bytes } of held) this.deliver(frame, bytes);
  }
}

export interface SendLimits {
  maxBufferedBytes: number;
  onSent: () => void;
  onSlow: () => void;
}

const held: Duplex[] = [];

function releaseHeld(): void {
  for (const stream of held.splice(0)) stream.uncork();
}

/**
 * Holds a stream's writes until the event loop's turn ends, when they leave in one system call:
 * messages committed together (a group commit, a burst of sends read in one poll) cost each
 * recipient one write rather than one per frame. The hold lasts no longer than the turn.
 */
function holdForTurn(stream: Duplex): void {
  stream.cork();
  if (held.push(stream) === 1) setImmediate(releaseHeld);
}

/** The sending side of an authenticated socket, with a bounded send buffer: user and application sockets alike. */
export class Peer {
  alive = true;
  /** Bytes the client had not read when this turn's writes began to be held. */
  private unread = 0;

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    /** The TCP stream under `socket`, whose writes are held to the end of the turn. */
    private readonly stream: Duplex,
    private readonly limits: SendLimits,
  ) {}

  send(frame: ServerFrame): void {
    this.sendBytes(encodeFrame(frame));
  }

  sendBytes(bytes: Buffer): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.hold();
    // A consumer that does not read must not make the server hold its backlog forever.
    if (this.unread + bytes.length > this.limits.maxBufferedBytes) {
      this.limits.onSlow();
      this.socket.close(CloseCode.slowConsumer, 'slow consumer: frames were not read in time');
      // The close frame waits behind the unread backlog; do not wait for it long.
      setTimeout(() => this.socket.terminate(), 1000).unref();
      return;
    }
    this.limits.onSent();
    this.socket.send(bytes, { binary: false });
  }

  /** This turn's frames leave together when it ends; what they add is not counted as unread. */
  private hold(): void {
    // ws corks and uncorks within one send, so a corked stream here is one this turn already holds.
    if (this.stream.writableCorked > 0) return;
    this.unread = this.socket.bufferedAmount;
    holdForTurn(this.stream);
  }

  /**
   * Sends, then waits while the socket's backlog is over half its bound: a long replay
   * (live rows are held meanwhile) follows the reader instead of tripping the slow-consumer cut.
   */
  async sendPaced(bytes: Buffer): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount + bytes.length <= this.limits.maxBufferedBytes / 2) {
      this.sendBytes(bytes);
      return;
    }
    this.hold();
    this.limits.onSent();
    await new Promise<void>((resolve) => this.socket.send(bytes, { binary: false }, () => resolve()));
  }

  close(code: (typeof CloseCode)[keyof typeof CloseCode], reason: string): void {
    this.socket.close(code, reason);
  }
}

/** One socket of a user: their identity and the channels it follows. */
export class Connection extends Peer {
  readonly subscriptions = new Map<string, Subscription>();
  private typingAt = new Map<string, number>();
  /** The last send of this socket, settled or not. */
  private lastSend: Promise<unknown> = Promise.resolve();

  constructor(
    id: string,
    socket: WebSocket,
    stream: Duplex,
    readonly identity: Identity,
    /** Re-checked after a bus outage, in case its revocation was lost. */
    readonly token: string,
    readonly username: string | null,
    limits: SendLimits,
  ) {
    super(id, socket, stream, limits);
  }

  /** Runs `send` after this socket's earlier sends have settled: messages land in the order they were sent. */
  inOrder<T>(send: () => Promise<T>): Promise<T> {
    const next = this.lastSend.then(send);
    this.lastSend = next.catch(() => {});
    return next;
  }

  /** At most one typing signal per channel per `intervalMs` from this socket. */
  mayType(channelId: string, now: number, intervalMs: number): boolean {
    const last = this.typingAt.get(channelId);
    if (last !== undefined && now - last < intervalMs) return false;
    this.typingAt.set(channelId, now);
    return true;
  }
}

/** An Apps API socket: it holds an application token and follows some of that application's chats by number. */
export class ApplicationConnection extends Peer {
  readonly chats = new Set<number>();

  constructor(
    id: string,
    socket: WebSocket,
    stream: Duplex,
    readonly applicationId: string,
    /** Re-checked when the application's token is rotated and after a bus outage. */
    readonly token: string,
    limits: SendLimits,
  ) {
    super(id, socket, stream, limits);
  }
}
