import type { Bus, BusMessage } from '../bus/index.js';
import { topics } from '../bus/index.js';
import type { ChannelEventFrame, ChannelFrame } from './protocol.js';

/** What a subscribed socket receives: the frame, and its bytes encoded once for every recipient. */
export interface FeedListener {
  deliver(frame: ChannelFrame, bytes: Buffer): void;
}

export interface FeedSource {
  head(channelId: string): Promise<number>;
  replay(channelId: string, afterSeq: number, limit: number): Promise<{ frames: ChannelEventFrame[]; more: boolean }>;
}

interface Feed {
  listeners: Set<FeedListener>;
  /** The last seq this node delivered; undefined until read from the database. */
  head: number | undefined;
  ready: Promise<number>;
  /** Rows that arrived ahead of a missing one, by seq. */
  early: Map<number, { frame: ChannelEventFrame; bytes: Buffer }>;
  gapTimer: NodeJS.Timeout | undefined;
  unsubscribe: () => void;
}

export const encodeFrame = (frame: object): Buffer => Buffer.from(JSON.stringify(frame));

/**
 * One bus subscription per channel per node, delivering each channel's log rows to the
 * node's sockets strictly in seq order. Commits happen in seq order (the counter is taken
 * under the channel's row lock), but publishes may arrive out of order or not at all:
 * a row that comes early waits briefly for the missing one, which is then read from the log.
 */
export class ChannelFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly bus: Bus,
    private readonly source: FeedSource,
    private readonly options: { gapWaitMs: number; present?: <F extends ChannelFrame>(frame: F) => F; onError: (error: unknown) => void },
  ) {}

  /** Starts delivering to `listener`; resolves to the node's head, after which the listener gets everything. */
  join(channelId: string, listener: FeedListener): Promise<number> {
    let feed = this.feeds.get(channelId);
    if (!feed) {
      const created: Feed = {
        listeners: new Set(),
        head: undefined,
        ready: Promise.resolve(0),
        early: new Map(),
        gapTimer: undefined,
        unsubscribe: this.bus.subscribe(topics.channel(channelId), (message) => this.receive(channelId, created, message)),
      };
      // Subscribed first, then the head is read: nothing committed after the read can be missed.
      created.ready = this.source.head(channelId).then((head) => {
        created.head = Math.max(head, created.head ?? 0);
        this.drain(channelId, created);
        return created.head;
      });
      this.feeds.set(channelId, (feed = created));
    }
    feed.listeners.add(listener);
    const joined = feed;
    return joined.ready.then(() => joined.head ?? 0);
  }

  leave(channelId: string, listener: FeedListener): void {
    const feed = this.feeds.get(channelId);
    if (!feed) return;
    feed.listeners.delete(listener);
    if (feed.listeners.size === 0) {
      feed.unsubscribe();
      clearTimeout(feed.gapTimer);
      this.feeds.delete(channelId);
    }
  }

  /** Sends `frame` (already encoded as `bytes`) to this node's listeners of its channel, if there are any. */
  private broadcast(feed: Feed, frame: ChannelFrame, bytes: Buffer): void {
    for (const listener of feed.listeners) listener.deliver(frame, bytes);
  }

  private receive(channelId: string, feed: Feed, message: BusMessage): void {
    if (message.kind !== 'channel' || this.feeds.get(channelId) !== feed) return;
    const frame = this.options.present ? this.options.present(message.frame) : message.frame;
    const bytes = encodeFrame(frame);
    if (!('seq' in frame)) {
      this.broadcast(feed, frame, bytes);
      return;
    }
    if (feed.head !== undefined && frame.seq <= feed.head) return;
    feed.early.set(frame.seq, { frame, bytes });
    this.drain(channelId, feed);
  }

  /** Delivers the rows that follow the head without a gap; waits for (then fetches) a missing one. */
  private drain(channelId: string, feed: Feed): void {
    if (feed.head === undefined) return;
    for (let next = feed.early.get(feed.head + 1); next; next = feed.early.get(feed.head + 1)) {
      feed.early.delete(next.frame.seq);
      feed.head = next.frame.seq;
      this.broadcast(feed, next.frame, next.bytes);
    }
    for (const seq of feed.early.keys()) if (seq <= feed.head) feed.early.delete(seq);
    if (feed.early.size > 0 && !feed.gapTimer) {
      feed.gapTimer = setTimeout(() => {
        feed.gapTimer = undefined;
        this.fillGap(channelId, feed).catch(this.options.onError);
      }, this.options.gapWaitMs);
    }
  }

  private async fillGap(channelId: string, feed: Feed): Promise<void> {
    if (feed.head === undefined || feed.early.size === 0 || this.feeds.get(channelId) !== feed) return;
    const upTo = Math.min(...feed.early.keys());
    const { frames } = await this.source.replay(channelId, feed.head, upTo - feed.head - 1);
    for (const frame of frames) {
      if (frame.seq > feed.head && !feed.early.has(frame.seq)) feed.early.set(frame.seq, { frame, bytes: encodeFrame(frame) });
    }
    this.drain(channelId, feed);
  }

  /** Re-reads every feed's log from its head: rows whose publishes were lost are delivered now, in order. */
  async catchUp(): Promise<void> {
    for (const [channelId, feed] of this.feeds) {
      for (let more = true; more && feed.head !== undefined && this.feeds.get(channelId) === feed; ) {
        const page = await this.source.replay(channelId, feed.head, 500);
        for (const frame of page.frames) if (frame.seq > feed.head) feed.early.set(frame.seq, { frame, bytes: encodeFrame(frame) });
        this.drain(channelId, feed);
        more = page.more;
      }
    }
  }
}
