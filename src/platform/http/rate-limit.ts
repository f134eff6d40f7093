import type { RateRule } from '../../config.js';
import type { Clock } from '../clock.js';
import { RiffError } from '../errors.js';

interface Window {
  startedAt: number;
  count: number;
  windowMs: number;
}

const SWEEP_THRESHOLD = 10_000;

/**
 * Fixed-window counters on the shared clock. `check` refuses once a key has used its
 * window; `hit` counts. Kept apart so a limit on failures can be checked before the attempt.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly enabled: boolean,
  ) {}

  check(key: string, rule: RateRule): void {
    if (!this.enabled) return;
    const window = this.current(key);
    if (window && window.count >= rule.max) {
      const retryAfterS = Math.max(1, Math.ceil((window.startedAt + window.windowMs - this.clock.now()) / 1000));
      throw new RiffError('rate_limited', undefined, [{ retry_after_s: retryAfterS }], { 'retry-after': String(retryAfterS) });
    }
  }

  hit(key: string, rule: RateRule): void {
    if (!this.enabled) return;
    const window = this.current(key);
    if (window) {
      window.count++;
      return;
    }
    if (this.windows.size >= SWEEP_THRESHOLD) this.sweep();
    this.windows.set(key, { startedAt: this.clock.now(), count: 1, windowMs: rule.windowMs });
  }

  consume(key: string, rule: RateRule): void {
    this.check(key, rule);
    this.hit(key, rule);
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && this.clock.now() >= window.startedAt + window.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, window] of this.windows) {
      if (now >= window.startedAt + window.windowMs) this.windows.delete(key);
    }
  }
}
