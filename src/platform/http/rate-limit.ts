import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitName, RateLimits, RateRule } from '../../config.js';
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
    if ((await this.store.get(window.key)) >= rule.max) this.refuse(window, rule);
  }

  async hit(key: string, rule: RateRule): Promise<void> {
    if (!this.enabled) return;
    const window = this.window(key, rule);
    await this.store.increment(window.key, window.endsAt - window.now);
  }

  /** Counts one hit and refuses it past the rule's max; says what is left of the window (undefined when limits are off). */
  async consume(key: string, rule: RateRule): Promise<RateState | undefined> {
    if (!this.enabled) return undefined;
    const window = this.window(key, rule);
    const count = await this.store.increment(window.key, window.endsAt - window.now);
    if (count > rule.max) this.refuse(window, rule);
    return { limit: rule.max, remaining: rule.max - count, resetS: secondsLeft(window) };
  }

  private refuse(window: { endsAt: number; now: number }, rule: RateRule): never {
    const retryAfterS = secondsLeft(window);
    const headers = { 'retry-after': String(retryAfterS), ...rateLimitHeaders({ limit: rule.max, remaining: 0, resetS: retryAfterS }) };
    throw new RiffError('rate_limited', undefined, [{ retry_after_s: retryAfterS }], headers);
  }
}

/** What is left of a window, for the `RateLimit-*` headers. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and `remaining` is back to `limit`. */
  resetS: number;
}

const secondsLeft = (window: { endsAt: number; now: number }) => Math.max(1, Math.ceil((window.endsAt - window.now) / 1000));

/** The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers), as most API gateways send them. */
export function rateLimitHeaders(state: RateState): Record<string, string> {
  return { 'ratelimit-limit': String(state.limit), 'ratelimit-remaining': String(Math.max(0, state.remaining)), 'ratelimit-reset': String(state.resetS) };
}

/** The action REST sends and socket `send` frames count under, so one user has one budget on both. */
export const MESSAGE_SEND = 'send';

/** One counter's key: the socket gateway counts `send` frames under the same key as REST sends. */
export const limitKey = (action: string, scope: 'ip' | 'user', id: string) => `${action}:${scope}:${id}`;

/**
 * Per-route limits as `onRequest` hooks. Put after the route's guard, so the caller is known:
 * each request counts once against its address and once against its user (when signed in),
 * and the tighter of the two is reported in `RateLimit-*` headers, on success too.
 */
export function routeLimits(limiter: RateLimiter, limits: RateLimits) {
  return (action: string, rules: { perIp?: RateLimitName; perUser?: RateLimitName }) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const states: Array<RateState | undefined> = [];
      if (rules.perIp) states.push(await limiter.consume(limitKey(action, 'ip', request.ip), limits[rules.perIp]));
      const userId = request.identity?.userId;
      if (rules.perUser && userId) states.push(await limiter.consume(limitKey(action, 'user', userId), limits[rules.perUser]));
      const tightest = states.reduce<RateState | undefined>((a, b) => (!a || (b && b.remaining < a.remaining) ? b : a), undefined);
      if (tightest) reply.headers(rateLimitHeaders(tightest));
    };
}

export type RouteLimits = ReturnType<typeof routeLimits>;

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
