import type { RateRule } from '../../config.js';
import type { Clock } from '../clock.js';
import { RiffError } from '../errors.js';

/** Where window counters live: this process, or Redis when several nodes must agree. */
export interface CounterStore {
  /** Adds one to `key` (created with a lifetime of `ttlMs`) and returns the new count. */
  increment(key: string, ttlMs: number): Promise<number>;
  get(key: string): Promise<number>;
}

const SWEEP_THRESHOLD = 10_000;

export function memoryCounters(clock: Clock): CounterStore {
  const counters = new Map<string, { count: number; expiresAt: number }>();
  const live = (key: string) => {
    const counter = counters.get(key);
    if (counter && clock.now() >= counter.expiresAt) {
      counters.delete(key);
      return undefined;
    }
    return counter;
  };
  return {
    async increment(key, ttlMs) {
      const counter = live(key);
      if (counter) return ++counter.count;
      if (counters.size >= SWEEP_THRESHOLD) for (const k of counters.keys()) live(k);
      counters.set(key, { count: 1, expiresAt: clock.now() + ttlMs });
      return 1;
    },
    async get(key) {
      return live(key)?.count ?? 0;
    },
  };
}

/**
 * Fixed windows on the shared clock (so tests can move time and every node counts the
 * same window). `check` refuses once a key has used its window; `hit` counts; kept apart
 * so that a limit on failures can be checked before the attempt and counted after it.
 */
export class RateLimiter {
  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
    private readonly enabled: boolean,
  ) {}

  private window(key: string, rule: RateRule) {
    const now = this.clock.now();
    const index = Math.floor(now / rule.windowMs);
    return { key: `${key}:${rule.windowMs}:${index}`, endsAt: (index + 1) * rule.windowMs, now };
  }

  async check(key: string, rule: RateRule): Promise<void> {
    if (!this.enabled) return;
    const window = this.window(key, rule);
    if ((await this.store.get(window.key)) >= rule.max) this.refuse(window);
  }

  async hit(key: string, rule: RateRule): Promise<void> {
    if (!this.enabled) return;
    const window = this.window(key, rule);
    await this.store.increment(window.key, window.endsAt - window.now);
  }

  async consume(key: string, rule: RateRule): Promise<void> {
    if (!this.enabled) return;
    const window = this.window(key, rule);
    if ((await this.store.increment(window.key, window.endsAt - window.now)) > rule.max) this.refuse(window);
  }

  private refuse(window: { endsAt: number; now: number }): never {
    const retryAfterS = Math.max(1, Math.ceil((window.endsAt - window.now) / 1000));
    throw new RiffError('rate_limited', undefined, [{ retry_after_s: retryAfterS }], { 'retry-after': String(retryAfterS) });
  }
}

/** Counters in Redis, so every node counts the same window. If Redis is away, limits fail open. */
export function redisCounters(redis: import('ioredis').Redis, prefix: string): CounterStore {
  return {
    async increment(key, ttlMs) {
      try {
        const results = await redis.multi().set(prefix + key, 0, 'PX', Math.max(1, ttlMs), 'NX').incr(prefix + key).exec();
        return Number(results?.[1]?.[1] ?? 0);
      } catch {
        return 0;
      }
    },
    async get(key) {
      try {
        return Number((await redis.get(prefix + key)) ?? 0);
      } catch {
        return 0;
      }
    },
  };
}
