type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Who announcements are by, for a client that reads `creator.firstName` of every history item. */
const systemAuthor = { id: 'system', username: 'riff', first_name: 'Riff', last_name: '', photo_url: null };

function creator(value: unknown): Json {
  if (!isObject(value)) return withCamelCase(systemAuthor);
  // In a conversation room the author is only an alias.
  if ('alias' in value) return { ...value, firstName: value.alias, lastName: '', userName: value.alias, photoURL: null };
  return withCamelCase(value);
}

const withCamelCase = (profile: Json): Json => ({
  ...profile,
  firstName: profile.first_name ?? '',
  lastName: profile.last_name ?? '',
  userName: profile.username ?? null,
  photoURL: profile.photo_url ?? null,
});

const isMeetup = (value: Json): boolean => 'starts_at' in value && 'channel_id' in value && 'organizer' in value;
const isHistoryItem = (value: Json): boolean => (value.kind === 'message' || value.kind === 'announcement') && 'creator' in value && 'body' in value;

/**
 * Adds what the original Musician Meetup client reads to every meetup and history item in a
 * response or frame: `datetime` and `channel` on meetups, camelCase authors (a system author
 * for announcements). Returns copies; the canonical objects are shared.
 */
export function decorate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decorate);
  if (!isObject(value)) return value;
  const copy: Json = {};
  for (const [key, field] of Object.entries(value)) copy[key] = decorate(field);
  if (isMeetup(value)) {
    copy.datetime = value.starts_at;
    copy.channel = value.channel_id;
  }
  if (isHistoryItem(value)) copy.creator = creator(value.creator);
  return copy;
}

/** A message frame as the original client reads it: `message` beside Riff's `data`. */
export function decorateFrame<F extends { type: string }>(frame: F): F {
  const decorated = decorate(frame) as F & { data?: Json };
  if ((frame.type === 'message.created' || frame.type === 'message.updated') && isObject(decorated.data)) {
    const { data } = decorated;
    return {
      ...decorated,
      message: { id: data.id, channelID: data.channel_id, body: data.body, createdAt: data.created_at, editedAt: data.edited_at ?? null, creator: data.creator },
    };
  }
  return decorated;
}
