import { RiffError } from '../../platform/errors.js';

type Body = Record<string, unknown>;

/** The Musician Meetup client's field names for sign-up, and Riff's. */
const signUpAliases: Record<string, string> = {
  userName: 'username',
  firstName: 'first_name',
  lastName: 'last_name',
  passwordConf: 'password_conf',
};

function rename(body: Body, aliases: Record<string, string>): void {
  for (const [alias, canonical] of Object.entries(aliases)) {
    if (!(alias in body)) continue;
    if (!(canonical in body)) body[canonical] = body[alias];
    delete body[alias];
  }
}

// ISO 8601 with or without seconds and offset, or the `YYYY-MM-DD HH:MM` a person types; no offset means UTC.
const DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})?$/;

/** The instant a Musician Meetup `datetime` names, or undefined when it names none. */
export function readDatetime(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DATETIME.exec(text.trim());
  if (!match) return undefined;
  const [, day, time, offset] = match as unknown as [string, string, string, string | undefined];
  const instant = new Date(`${day}T${time}${offset ?? 'Z'}`);
  if (Number.isNaN(instant.getTime())) return undefined;
  // Date rolls 2026-02-30 over into March: a day that does not exist is not a date.
  if (offset === undefined && instant.toISOString().slice(0, 10) !== day) return undefined;
  return instant.toISOString();
}

/** Rewrites the original client's sign-up fields onto Riff's. */
export function signUpFromAliases(body: Body): void {
  rename(body, signUpAliases);
}

/** Rewrites `{title, datetime, location, description}` onto a canonical meetup: UTC, empty lists. */
export function meetupFromAliases(body: Body): void {
  if (!('datetime' in body)) return;
  const startsAt = readDatetime(body.datetime);
  if (startsAt === undefined) {
    throw new RiffError('validation_failed', 'datetime must be ISO 8601 or YYYY-MM-DD HH:MM (UTC)', [
      { field: 'datetime', message: 'must be ISO 8601 or YYYY-MM-DD HH:MM' },
    ]);
  }
  delete body.datetime;
  body.starts_at ??= startsAt;
  body.time_zone ??= 'UTC';
  body.genres ??= [];
  body.instruments_wanted ??= [];
}
