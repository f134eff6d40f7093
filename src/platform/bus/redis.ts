import { Redis } from 'ioredis';
import type { Bus, BusMessage } from './index.js';

export interface RedisBusOptions {
  url: string;
  /** Namespaces the pub/sub channels: pub/sub ignores Redis database numbers. */
  prefix: string;
  onError: (error: Error) => void;
}

const retry = (attempt: number) => Math.min(100 * 2 ** attempt, 2000);
const MAX_UNSENT_SIGNALS = 10_000;

/**
 * The bus across nodes: Redis pub/sub, one connection to publish and one to listen.
 * Publishing never waits for Redis and never queues while it is down: the database's
 * event log is the truth, and a node that comes back re-reads what it missed
 * (`onRecovered`), while this node sends again what it could not publish. ioredis reconnects
 * and re-subscribes by itself.
 */
export function redisBus(options: RedisBusOptions): Bus & { connection: Redis } {
  const publisher = new Redis(options.url, { enableOfflineQueue: false, retryStrategy: retry, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(options.url, { retryStrategy: retry, maxRetriesPerRequest: null });
  const handlers = new Map<string, Set<(message: BusMessage) => void>>();
  const recovered: Array<() => void> = [];
  let wasDown = false;
  // What this node could not publish, sent once its connection is back. Channel rows: per
  // topic only the newest, since receivers fetch the rows before it from the log (nodes that
  // recovered before this one re-read the log too early to see them, and without a newer row
  // to reveal the gap their sockets would wait indefinitely). Other messages (membership,
  // sessions ended, presence, read markers) carry no seq to recover by: they are kept in
  // order, boundedly; typing is not worth sending late.
  const unsentRows = new Map<string, { message: BusMessage; seq: number }>();
  const unsentSignals: Array<{ topic: string; message: BusMessage }> = [];
  const keep = (topic: string, message: BusMessage) => {
    if (message.kind === 'channel') {
      if (!('seq' in message.frame)) return;
      if (message.frame.seq > (unsentRows.get(topic)?.seq ?? 0)) unsentRows.set(topic, { message, seq: message.frame.seq });
      return;
    }
    if (unsentSignals.length >= MAX_UNSENT_SIGNALS) unsentSignals.shift();
    unsentSignals.push({ topic, message });
  };
  const publish = (topic: string, message: BusMessage) => {
    publisher.publish(options.prefix + topic, JSON.stringify(message)).catch(() => keep(topic, message));
  };
  publisher.on('ready', () => {
    const rows = [...unsentRows];
    const signals = unsentSignals.splice(0);
    unsentRows.clear();
    for (const { topic, message } of signals) publish(topic, message);
    for (const [topic, { message }] of rows) publish(topic, message);
  });

  for (const connection of [publisher, subscriber]) {
    connection.on('error', options.onError);
    connection.on('close', () => (wasDown = true));
  }
  subscriber.on('ready', () => {
    if (!wasDown) return;
    wasDown = false;
    for (const listener of recovered) listener();
  });
  subscriber.on('message', (channel: string, text: string) => {
    const subscribers = handlers.get(channel.slice(options.prefix.length));
    if (!subscribers) return;
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      return;
    }
    for (const handler of subscribers) handler(message);
  });

  return {
    connection: publisher,
    kind: 'redis',
    get up() {
      return publisher.status === 'ready' && subscriber.status === 'ready';
    },
    publish,
    subscribe(topic, handler) {
      let subscribers = handlers.get(topic);
      if (!subscribers) {
        handlers.set(topic, (subscribers = new Set()));
        subscriber.subscribe(options.prefix + topic).catch(options.onError);
      }
      subscribers.add(handler);
      return () => {
        subscribers.delete(handler);
        if (subscribers.size === 0 && handlers.get(topic) === subscribers) {
          handlers.delete(topic);
          subscriber.unsubscribe(options.prefix + topic).catch(() => {});
        }
      };
    },
    onRecovered: (listener) => recovered.push(listener),
    async close() {
      handlers.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
