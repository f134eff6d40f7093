import type { Bus, BusMessage } from './index.js';

/**
 * The embedded bus: one process, so publishing is handing the message to this node's
 * subscribers. Delivery is deferred to a microtask so a publisher never runs subscriber
 * code inside its own call, the same as a networked bus.
 */
export function localBus(): Bus {
  const handlers = new Map<string, Set<(message: BusMessage) => void>>();
  return {
    publish(topic, message) {
      const subscribers = handlers.get(topic);
      if (!subscribers) return;
      queueMicrotask(() => {
        for (const handler of subscribers) handler(message);
      });
    },
    subscribe(topic, handler) {
      let subscribers = handlers.get(topic);
      if (!subscribers) handlers.set(topic, (subscribers = new Set()));
      subscribers.add(handler);
      return () => {
        subscribers.delete(handler);
        if (subscribers.size === 0) handlers.delete(topic);
      };
    },
    kind: 'in-process',
    up: true,
    // In one process nothing is lost between publisher and subscriber.
    onRecovered: () => {},
    close: async () => handlers.clear(),
  };
}
