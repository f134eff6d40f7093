/** The one source of "now" (epoch milliseconds). Rules never call Date.now() themselves. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand: token expiry, rate-limit windows and deadlines follow it. */
export class ManualClock implements Clock {
  constructor(private current = Date.parse('2026-11-23T19:30:00Z')) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export const iso = (epochMs: number): string => {
  const text = new Date(epochMs).toISOString();
  // Years 0..9999 read YYYY-MM-DDTHH:mm:ss.sssZ; slicing is cheaper than a regular expression on every timestamp of a page.
  return text.length === 24 ? `${text.slice(0, 19)}Z` : text.replace(/\.\d{3}Z$/, 'Z');
};
