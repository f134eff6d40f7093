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
  user_blocks: UserBlocksTable;
  pins: PinsTable;
  notifications: NotificationsTable;
  notification_settings: NotificationSettingsTable;
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
  /** Who is who in a conversation (Talk now) channel: the room-scoped id and alias shown instead of a profile. */
  conversation_aliases: ConversationAliasesTable;
  queue_entries: QueueEntriesTable;
  talk_participants: TalkParticipantsTable;
  talk_blocks: TalkBlocksTable;
  talk_addresses: TalkAddressesTable;
  reports: ReportsTable;
  bans: BansTable;
  albums: AlbumsTable;
  reviews: ReviewsTable;
  forum_rooms: ForumRoomsTable;
  applications: ApplicationsTable;
  app_chats: AppChatsTable;
  app_messages: AppMessagesTable;
  /** SQLite only: the FTS5 trigram index of app message contents (PostgreSQL indexes `app_messages.content` with pg_trgm). */
  app_message_search: AppMessageSearchTable;
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
  /** Set when the channel was closed (a forum room): its history stays readable, posting stops. */
  closed_at: Generated<number | null>;
  /** A DM's sorted member ids: one channel per set of people. */
  direct_key: Generated<string | null>;
}

export interface UserBlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: number;
}

export type NotificationType = 'mention' | 'reply' | 'dm' | 'rsvp_promoted' | 'poll_opened' | 'poll_closed' | 'event_changed' | 'event_cancelled' | 'reminder';

export interface NotificationsTable {
  id: string;
  user_id: string;
  type: NotificationType;
  channel_id: string | null;
  message_id: string | null;
  event_id: string | null;
  actor_id: string | null;
  /** JSON: what the notification shows without another request (a snippet, a meetup's title). */
  data: string;
  dedupe_key: string | null;
  created_at: number;
  read_at: number | null;
}

export type NotificationLevel = 'all' | 'mentions' | 'none';

export interface NotificationSettingsTable {
  channel_id: string;
  user_id: string;
  level: NotificationLevel;
  muted_until: number | null;
}

export interface PinsTable {
  channel_id: string;
  message_id: string;
  pinned_by: string | null;
  pinned_at: number;
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
  /** The message this one answers, in the same channel. */
  reply_to: string | null;
  /** JSON `{user_ids, channel?}`: who `@named` in the body can read the channel, and whether `@channel` notified everyone. */
  mentions: string | null;
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

/** SQLite only: a contentless trigram index of live messages by `messages.rowid`, kept by triggers. */
export interface MessageSearchTable {
  rowid: number;
  body: string;
}

export type ChannelRow = Selectable<ChannelsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
export type NotificationSettingsRow = Selectable<NotificationSettingsTable>;
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

/** An Apps API application. Its token is the credential, kept only as its sha256. */
export interface ApplicationsTable {
  id: string;
  token_hash: string;
  /** The token's last characters, so an owner can tell their applications apart in a list. */
  token_hint: string;
  name: string;
  /** Who created it with a session, if anyone: only they see it in `GET /api/applications`. */
  owner_id: string | null;
  webhook_url: string | null;
  /** Signs webhook deliveries (HMAC-SHA256), so it is kept as is; shown once, on create and rotate. */
  webhook_secret: string;
  /** Chats are never deleted: the count is also the last chat number given. */
  chats_count: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface AppChatsTable {
  id: string;
  application_id: string;
  /** 1, 2, 3… per application. */
  number: number;
  name: string;
  /** Messages are never deleted: the count is also the last message number given. */
  messages_count: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface AppMessagesTable {
  id: string;
  chat_id: string;
  /** 1, 2, 3… per chat. */
  number: number;
  content: string;
  created_at: number;
  updated_at: number;
}

/** SQLite only: a contentless trigram index of app messages by `app_messages.rowid`, kept by triggers. */
export interface AppMessageSearchTable {
  rowid: number;
  content: string;
}

export type ApplicationRow = Selectable<ApplicationsTable>;
export type AppChatRow = Selectable<AppChatsTable>;
export type AppMessageRow = Selectable<AppMessagesTable>;

/** An album and its score, kept in the transaction of every review change under this row's lock. */
export interface AlbumsTable {
  id: string;
  title: string;
  artist: string;
  /** `title` and `artist` lower-cased without whitespace: the same album however it is typed. */
  title_key: string;
  artist_key: string;
  year: number | null;
  /** JSON list of genre slugs. */
  genres: string;
  cover_url: string | null;
  added_by: string | null;
  created_at: number;
  rating_count: Generated<number>;
  /** In half-stars. */
  rating_sum: Generated<number>;
  /** How many reviews gave n half-stars. */
  half_stars_1: Generated<number>;
  half_stars_2: Generated<number>;
  half_stars_3: Generated<number>;
  half_stars_4: Generated<number>;
  half_stars_5: Generated<number>;
  half_stars_6: Generated<number>;
  half_stars_7: Generated<number>;
  half_stars_8: Generated<number>;
  half_stars_9: Generated<number>;
  half_stars_10: Generated<number>;
}

export interface ReviewsTable {
  id: string;
  album_id: string;
  author_id: string;
  /** Half-stars, 1..10 (½ to 5 stars). */
  rating: number;
  review_text: string;
  created_at: number;
  edited_at: number | null;
}

export type ForumRoomType = 'album' | 'genre';

/** A forum room: a public channel of kind `forum` about one album or one genre. */
export interface ForumRoomsTable {
  channel_id: string;
  room_type: ForumRoomType;
  album_id: string | null;
  genre: string | null;
  creator_id: string | null;
  created_at: number;
}

export type AlbumRow = Selectable<AlbumsTable>;
export type ReviewRow = Selectable<ReviewsTable>;
export type ForumRoomRow = Selectable<ForumRoomsTable>;

export interface ConversationAliasesTable {
  channel_id: string;
  user_id: string;
  /** Exists only in this room, so nothing there reveals the user id. */
  alias_id: string;
  alias: string;
}

export type TalkMode = 'vent' | 'listen' | 'talk';

/** One per user waiting for a Talk-now partner, served oldest (lowest `id`) first. */
export interface QueueEntriesTable {
  user_id: string;
  /** Time-ordered: the queue's order. */
  id: string;
  mode: TalkMode;
  queued_at: number;
}

/** A person in a Talk-now room (a `conversation` channel) and how they came to it. */
export interface TalkParticipantsTable {
  room_id: string;
  user_id: string;
  mode: TalkMode;
  joined_at: number;
  left_at: number | null;
  /** When their last socket last closed; with the partner also gone past the grace period, the room is deleted. */
  disconnected_at: number | null;
}

/** Never matched again, in either direction. */
export interface TalkBlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: number;
}

/** Where someone used Talk now from: a ban of theirs then limits new guest identities from there. */
export interface TalkAddressesTable {
  user_id: string;
  ip: string;
  seen_at: number;
}

/** What someone reported, kept for moderators after the room it came from is deleted. */
export interface ReportsTable {
  id: string;
  reporter_id: string;
  reported_user_id: string | null;
  message_id: string | null;
  room_id: string | null;
  reason: string;
  /** The reported message's text as it was when reported. */
  message_text: string | null;
  /** JSON `[{from: "reported" | "reporter", body, created_at}]`: a reported room's recent messages. */
  transcript: string | null;
  created_at: number;
}

export interface BansTable {
  id: string;
  user_id: string;
  reason: string;
  /** Null: until lifted. */
  until: number | null;
  created_by: string;
  created_at: number;
}

export type QueueEntryRow = Selectable<QueueEntriesTable>;
export type TalkParticipantRow = Selectable<TalkParticipantsTable>;
export type ReportRow = Selectable<ReportsTable>;
export type BanRow = Selectable<BansTable>;
