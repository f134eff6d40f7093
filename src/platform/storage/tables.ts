import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Every table, declared once. Times are epoch milliseconds (bigint on PostgreSQL,
 * integer on SQLite); lists are JSON text, so the same queries run on both dialects.
 */
export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
  channels: ChannelsTable;
  channel_members: ChannelMembersTable;
  messages: MessagesTable;
  message_edits: MessageEditsTable;
  reactions: ReactionsTable;
  channel_events: ChannelEventsTable;
  /** SQLite only: the FTS5 trigram index of message bodies (PostgreSQL indexes `messages.body` with pg_trgm). */
  message_search: MessageSearchTable;
  jobs: JobsTable;
  claims: ClaimsTable;
  events: EventsTable;
  rsvps: RsvpsTable;
  polls: PollsTable;
  poll_participants: PollParticipantsTable;
  calendar_feeds: CalendarFeedsTable;
}

export interface JobsTable {
  id: string;
  kind: string;
  key: string;
  payload: string;
  run_at: number;
  /** While a node runs it; a node that died mid-run lets the lease lapse and another retries. */
  locked_until: number | null;
  attempts: Generated<number>;
}

export interface ClaimsTable {
  key: string;
  owner: string;
  expires_at: number;
}

export type Role = 'user' | 'guest' | 'admin';

export interface UsersTable {
  id: string;
  role: Role;
  /** Null for guests. `username_key` and `email_key` are lower-cased for case-insensitive uniqueness. */
  username: string | null;
  username_key: string | null;
  email: string | null;
  email_key: string | null;
  password_hash: string | null;
  first_name: Generated<string>;
  last_name: Generated<string>;
  photo_url: string | null;
  bio: Generated<string>;
  city: Generated<string>;
  instruments: Generated<string>;
  genres: Generated<string>;
  skill_level: string | null;
  looking_for: Generated<string>;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** sha256 of the bearer token: a leaked database holds no usable credential. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Sliding sessions are extended at most once per hour, not on every request. */
  extended_at: number;
  sliding: Generated<number>;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;

export type ChannelKind = 'channel' | 'event' | 'dm' | 'conversation' | 'forum';

export interface ChannelsTable {
  id: string;
  kind: ChannelKind;
  name: string;
  description: Generated<string>;
  private: number;
  creator_id: string | null;
  created_at: number;
  updated_at: number;
  last_seq: Generated<number>;
  last_activity_at: number;
}

export interface ChannelMembersTable {
  channel_id: string;
  user_id: string;
  joined_at: number;
  last_read_seq: Generated<number>;
}

export type MessageKind = 'message' | 'announcement';

export interface MessagesTable {
  id: string;
  channel_id: string;
  /** The seq of the log row that created it: history and the log share one order. */
  seq: number;
  kind: MessageKind;
  author_id: string | null;
  body: string;
  nonce: string | null;
  /** JSON `{type, user_id?, …}` for announcements. */
  announcement: string | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
}

export interface MessageEditsTable {
  message_id: string;
  /** The text as it was before the edit made at `replaced_at`. */
  body: string;
  replaced_at: number;
}

export interface ReactionsTable {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: number;
}

/** One row per visible change; replay rebuilds each frame from it and the current state it points at. */
export interface ChannelEventsTable {
  channel_id: string;
  seq: number;
  type: string;
  message_id: string | null;
  /** A snapshot, for changes with no current state to point at (`channel.updated`). */
  payload: string | null;
  created_at: number;
}

export interface MessageSearchTable {
  body: string;
  message_id: string;
}

export type ChannelRow = Selectable<ChannelsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type ChannelEventRow = Selectable<ChannelEventsTable>;

export type EventStatus = 'scheduled' | 'cancelled';

/** A meetup. Its channel (kind `event`) holds its log; membership follows its RSVPs. */
export interface EventsTable {
  id: string;
  channel_id: string;
  organizer_id: string;
  title: string;
  description: string;
  starts_at: number;
  ends_at: number | null;
  /** IANA name, in its canonical spelling. */
  time_zone: string;
  location: string;
  city: string;
  /** Everyone going, the organizer included; null is no limit. */
  capacity: number | null;
  genres: string;
  instruments_wanted: string;
  image_url: string | null;
  status: EventStatus;
  created_at: number;
  updated_at: number;
}

export type RsvpStatus = 'going' | 'maybe' | 'not_going' | 'waitlisted';

export interface RsvpsTable {
  event_id: string;
  user_id: string;
  status: RsvpStatus;
  /** When the current status began, counted per meetup: the waitlist is served in this order. */
  ordinal: number;
  created_at: number;
  updated_at: number;
}

export type PollKind = 'generic' | 'reschedule' | 'relocate';

export interface PollsTable {
  id: string;
  event_id: string;
  kind: PollKind;
  question: string;
  /** JSON list of labels; a reschedule poll's are ISO instants, a relocate poll's places. */
  options: string;
  status: 'open' | 'closed';
  closes_at: number | null;
  winner_index: number | null;
  created_by: string;
  created_at: number;
  closed_at: number | null;
}

/** Who may vote (going or maybe when the poll opened), and how they voted. */
export interface PollParticipantsTable {
  poll_id: string;
  user_id: string;
  vote: number | null;
  voted_at: number | null;
}

/** A personal calendar feed's credential, separate from sessions so calendar apps can hold it and it can be revoked alone. */
export interface CalendarFeedsTable {
  user_id: string;
  /** sha256 of the feed token. */
  token_hash: string;
  created_at: number;
}

export type EventRow = Selectable<EventsTable>;
export type RsvpRow = Selectable<RsvpsTable>;
export type PollRow = Selectable<PollsTable>;
export type PollParticipantRow = Selectable<PollParticipantsTable>;
