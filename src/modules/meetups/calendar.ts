import { TZDate } from '@date-fns/tz';
import { ICalCalendar, ICalEventStatus } from 'ical-generator';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import type { EventRow } from '../../platform/storage/tables.js';

const knownZones = new Map((tzlib_get_timezones() as string[]).map((name) => [name.toLowerCase(), name]));

/** The zone's name as the time zone database spells it (any case in, `Europe/Berlin` out), if it knows the zone. */
export const zoneSpelling = (name: string): string | undefined => knownZones.get(name.toLowerCase());

/** A known zone's VTIMEZONE and the TZID it defines (an alias such as `US/Eastern` is defined as `America/New_York`). */
function vtimezone(name: string): { block: string; tzid: string } | undefined {
  if (!knownZones.has(name.toLowerCase())) return undefined;
  const [block, tzidLine] = tzlib_get_ical_block(name) as string[];
  return block && tzidLine ? { block, tzid: tzidLine.replace(/^TZID=/, '') } : undefined;
}

/**
 * An RFC 5545 calendar of meetups. Times are written in each meetup's own zone with its
 * VTIMEZONE, so calendar apps keep the local time a meetup was planned in.
 */
export function icsCalendar(name: string, events: readonly EventRow[], now: number): string {
  // No calendar-wide zone: DTSTAMP then stays in UTC, as RFC 5545 requires.
  const calendar = new ICalCalendar({ name, prodId: { company: 'Riff', product: 'Meetups', language: 'EN' } });
  const blocks = new Map<string, string>();
  calendar.timezone({ name: null, generator: (tzid) => blocks.get(tzid) ?? null });
  for (const event of events) {
    // A zone without a VTIMEZONE is written in UTC rather than as a TZID nothing defines.
    const zone = vtimezone(event.time_zone);
    if (zone) blocks.set(zone.tzid, zone.block);
    const at = (ms: number) => (zone ? new TZDate(ms, zone.tzid) : new Date(ms));
    calendar.createEvent({
      id: `${event.id}@riff`,
      start: at(event.starts_at),
      end: event.ends_at === null ? null : at(event.ends_at),
      timezone: zone?.tzid ?? null,
      stamp: new Date(now),
      lastModified: new Date(event.updated_at),
      summary: event.title,
      location: event.location,
      description: event.description,
      status: event.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}
