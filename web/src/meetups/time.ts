import { TZDate } from '@date-fns/tz';

/** The zone the viewer's browser is in: where dates are shown and new meetups default to. */
export const viewerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Every IANA zone the browser knows, with the viewer's own and UTC among them. */
export function timeZones(): string[] {
  const zones = new Set(Intl.supportedValuesOf('timeZone'));
  zones.add(viewerZone());
  zones.add('UTC');
  return [...zones].sort();
}

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * The UTC instant of a `datetime-local` value ("2026-12-10T19:30") read as a wall-clock time in
 * `timeZone` — not in the browser's zone, which is what `new Date(value)` would do.
 */
export function wallClockToInstant(value: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) throw new Error(`not a date and time: ${value}`);
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  return new Date(new TZDate(year, month - 1, day, hour, minute, timeZone).getTime()).toISOString();
}

/** The `datetime-local` value showing `iso` on the wall clocks of `timeZone`. */
export function instantToWallClock(iso: string, timeZone: string): string {
  const date = new TZDate(Date.parse(iso), timeZone);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A calendar day ("2026-12-10") of the viewer's zone as the instant it starts, or ends when `end`. */
export function dayBoundary(day: string, end: boolean): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return end ? new Date(new Date(year, month - 1, date + 1).getTime() - 1).toISOString() : new Date(year, month - 1, date).toISOString();
}

/** A meetup's date and time with the weekday and year, in the viewer's zone or in `timeZone`. */
export const longDateTime = (iso: string, timeZone?: string) =>
  new Date(iso).toLocaleString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' });

/** Whether two zones show the same wall-clock time at `iso` (so one line is enough). */
export const sameClock = (iso: string, a: string, b: string) => instantToWallClock(iso, a) === instantToWallClock(iso, b);
