import type { MessageView } from '../../../src/client/index.js';

/** One server → client frame of `/v1/ws` (API.md §Real time). */
export interface Frame {
  type: string;
  channel_id?: string;
  seq?: number;
  data?: unknown;
  nonce?: string;
  code?: string;
  message?: string;
}

export type LinkState = 'connecting' | 'live' | 'offline';

type FrameListener = (frame: Frame) => void;
type StateListener = (state: LinkState) => void;

const ACK_WAIT_MS = 10_000;
const BACKOFF_MAX_MS = 15_000;

interface Waiter {
  resolve: (message: MessageView) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The app's one socket to `/v1/ws`: reconnects by itself with backoff and resumes every channel
 * from the newest seq it applied, so a dropped connection loses and doubles nothing. Pages listen
 * to the frames they care about; each frame reaches them once, in seq order per channel.
 */
export class Live {
  private socket: WebSocket | undefined;
  private readonly positions = new Map<string, number>();
  /** Channels followed by `follow`: the server does not know them from membership, so every `ready` asks again. */
  private readonly followed = new Set<string>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly frameListeners = new Set<FrameListener>();
  private readonly stateListeners = new Set<StateListener>();
  /** People I blocked: the server filters them from REST history, the socket still brings their messages. */
  private readonly blocked = new Set<string>();
  private attempts = 0;
  private stopped = false;
  state: LinkState = 'connecting';

  constructor(private readonly token: string) {
    this.connect();
  }

  /** Calls `listener` with every frame from now on; returns the function that stops it. */
  listen(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Calls `listener` with every change of the connection's state; returns the function that stops it. */
  watch(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Follows a channel this connection is not subscribed to by membership (a public channel being
   * read), from the newest seq the page has. Remembered: sent once the socket is ready if it is
   * still connecting, and again after every reconnect.
   */
  follow(channelId: string, afterSeq: number): void {
    const known = this.positions.get(channelId);
    if (known === undefined || known < afterSeq) this.positions.set(channelId, afterSeq);
    this.followed.add(channelId);
    this.subscribe(channelId);
  }

  private subscribe(channelId: string): void {
    this.frame({ type: 'subscribe', channel_id: channelId, after_seq: this.positions.get(channelId) });
  }

  /** Sets whose new messages are skipped on the live path (`client.blocks()`, and each block or unblock). */
  setBlocked(userId: string, blocked: boolean): void {
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
  }

  typing(channelId: string): void {
    this.frame({ type: 'typing', channel_id: channelId });
  }

  get isLive(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends a message and waits for its ack; rejects when the socket is down or the ack does not come. */
  send(channelId: string, body: string, nonce: string): Promise<MessageView> {
    return new Promise((resolve, reject) => {
      if (!this.isLive) return reject(new Error('offline'));
      const timer = setTimeout(() => {
        this.waiting.delete(nonce);
        reject(new Error('no ack'));
      }, ACK_WAIT_MS);
      this.waiting.set(nonce, { resolve, reject, timer });
      this.frame({ type: 'send', channel_id: channelId, body, nonce });
    });
  }

  read(channelId: string, seq: number): boolean {
    return this.frame({ type: 'read', channel_id: channelId, seq });
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close(1000);
  }

  private frame(frame: Record<string, unknown>): boolean {
    if (!this.isLive) return false;
    this.socket?.send(JSON.stringify(frame));
    return true;
  }

  private setState(state: LinkState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private connect(): void {
    this.setState('connecting');
    const url = new URL('/v1/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('auth', `Bearer ${this.token}`);
    const resume = [...this.positions].map(([channel, seq]) => `${channel}:${seq}`).join(',');
    if (resume) url.searchParams.set('resume', resume);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(JSON.parse(String(event.data)) as Frame);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.setState('offline');
      for (const [nonce, waiter] of this.waiting) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('offline'));
        this.waiting.delete(nonce);
      }
      if (this.stopped) return;
      const delay = Math.min(BACKOFF_MAX_MS, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
      this.attempts += 1;
      setTimeout(() => this.connect(), delay);
    };
  }

  private receive(frame: Frame): void {
    if (frame.type === 'ready') {
      this.attempts = 0;
      // Channels not resumed start from now: their earlier history comes over REST.
      const { channels } = frame.data as { channels: { id: string; last_seq: number }[] };
      for (const channel of channels) if (!this.positions.has(channel.id)) this.positions.set(channel.id, channel.last_seq);
      for (const channelId of this.followed) this.subscribe(channelId);
      this.setState('live');
    }
    if ((frame.type === 'ack' || frame.type === 'error') && frame.nonce) {
      const waiter = this.waiting.get(frame.nonce);
      if (waiter) {
        clearTimeout(waiter.timer);
        this.waiting.delete(frame.nonce);
        if (frame.type === 'ack') waiter.resolve(frame.data as MessageView);
        else waiter.reject(new Error(frame.message ?? frame.code ?? 'refused'));
      }
      return;
    }
    if (frame.channel_id && frame.seq !== undefined) {
      // Replayed and live frames may overlap after a resume: a seq already applied is skipped.
      const last = this.positions.get(frame.channel_id) ?? 0;
      if (frame.seq <= last) return;
      this.positions.set(frame.channel_id, frame.seq);
    }
    // Applied above (the seq stays contiguous), but never shown.
    if (frame.type === 'message.created' && this.blocked.has((frame.data as MessageView).creator?.id ?? '')) return;
    for (const listener of this.frameListeners) listener(frame);
  }
}
