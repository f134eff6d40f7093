import { Type, type Static } from '@sinclair/typebox';
import { Profile, type ProfileView } from '../accounts/index.js';

export const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
// `1e308` is an integer to JSON Schema: bounded, so the database never sees a number it cannot hold.
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ChannelParams = Type.Object({ id: Id });
export const MessageParams = Type.Object({ id: Id });
export const ReactionParams = Type.Object({
  id: Id,
  emoji: Type.String({
    minLength: 1,
    maxLength: 32,
    // Emoji only: pictographs with their joiners, variation selectors, skin tones and keycaps.
    pattern: '^(?:\\p{Extended_Pictographic}|\\p{Regional_Indicator}|[\\u200d\\ufe0f\\u20e3#*0-9\\u{1F3FB}-\\u{1F3FF}])+$',
    description: 'an emoji, e.g. 👍 (a "like")',
  }),
});

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Description = Type.String({ maxLength: 1000 });

export const CreateChannelBody = Type.Object({
  name: Name,
  description: Type.Optional(Description),
  private: Type.Optional(Type.Boolean()),
  members: Type.Optional(Type.Array(Id, { maxItems: 500, uniqueItems: true })),
});
export type CreateChannelInput = Static<typeof CreateChannelBody>;

export const UpdateChannelBody = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { minProperties: 1 });
export type UpdateChannelInput = Static<typeof UpdateChannelBody>;

export const ChannelListQuery = Type.Object({
  scope: Type.Optional(Type.Literal('public')),
  q: Type.Optional(Type.String({ maxLength: 100 })),
});

export const HistoryQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type HistoryCursor = Static<typeof HistoryQuery>;

export const MESSAGE_MAX = 4000;
/** Bodies arrive trimmed (a preValidation hook trims them), so the bounds count what is stored. */
export const PostMessageBody = Type.Object({
  body: Type.String({ minLength: 1, maxLength: MESSAGE_MAX }),
  nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  reply_to: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$', description: 'the id of a message of the same channel this one answers' })),
});
export type PostMessageInput = Static<typeof PostMessageBody>;

export const EditMessageBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: MESSAGE_MAX }) });

export const MemberBody = Type.Object({ user_id: Id });
export const ReadBody = Type.Object({ seq: Seq });

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
  before: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type SearchFilter = Static<typeof SearchQuery>;

export const ChannelKindSchema = Type.Union(['channel', 'event', 'dm', 'conversation', 'forum'].map((k) => Type.Literal(k)));

export const Channel = Type.Object({
  id: Type.String(),
  kind: ChannelKindSchema,
  name: Type.String(),
  description: Type.String(),
  private: Type.Boolean(),
  creator_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  last_seq: Type.Integer(),
  last_read_seq: Type.Optional(Type.Integer({ description: 'for the caller, when a member' })),
  unread_count: Type.Optional(Type.Integer({ description: 'other people’s messages after last_read_seq' })),
  is_member: Type.Optional(Type.Boolean()),
  closed_at: Type.Optional(Type.String({ format: 'date-time', description: 'only on a closed channel (a forum room): history stays readable, posting is refused' })),
  people: Type.Optional(Type.Array(Profile, { description: 'in a DM: the other people in it, with their names and photos (the DM is named after them)' })),
});
export type ChannelView = Static<typeof Channel>;

export const Creator = Profile;
export type CreatorView = ProfileView;

/** The most people a group DM holds, the caller included. */
export const DM_MAX_PEOPLE = 8;
export const DirectBody = Type.Union([
  Type.Object({ user_id: Id }),
  Type.Object({ user_ids: Type.Array(Id, { minItems: 1, maxItems: DM_MAX_PEOPLE, uniqueItems: true, description: 'the others: 1 to 7 people (naming oneself too is allowed)' }) }),
]);
export type DirectInput = Static<typeof DirectBody>;

export const UserParams = Type.Object({ id: Id });
export const RepliesQuery = Type.Object({ after: Type.Optional(Seq), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) });
export const BlockState = Type.Object({ user_id: Type.String(), blocked: Type.Boolean() });
export const PinParams = Type.Object({ id: Id, message_id: Id });
export const PinState = Type.Object({ channel_id: Type.String(), message_id: Type.String(), pinned: Type.Boolean() });

/** Who someone is in a conversation (Talk now) room: an id that exists only in that room, and an alias. */
export const Alias = Type.Object({ id: Type.String({ description: 'exists only in this room' }), alias: Type.String() });
export type AliasView = Static<typeof Alias>;

/** Who is typing: the user, or in a conversation room their room-scoped id and alias. */
export type TypistView = { user_id: string; username: string | null } | { user_id: string; alias: string };

export const Reaction = Type.Object({ emoji: Type.String(), count: Type.Integer(), me: Type.Optional(Type.Boolean()) });

/** How much of the original a reply shows. */
export const QUOTE_MAX = 140;
export const Quote = Type.Object(
  {
    id: Type.String(),
    creator: Type.Union([Creator, Alias, Type.Null()]),
    body: Type.String({ description: `the original's current text, cut at ${QUOTE_MAX} characters; empty once it was deleted` }),
    deleted: Type.Boolean(),
  },
  { description: 'a short quote of the message replied to, as it is now' },
);
export type QuoteView = Static<typeof Quote>;

export const Message = Type.Object({
  id: Type.String(),
  kind: Type.Literal('message'),
  channel_id: Type.String(),
  seq: Type.Integer(),
  body: Type.String(),
  creator: Type.Union([Creator, Alias, Type.Null()], { description: 'null for announcements; `{id, alias}` in a conversation room' }),
  created_at: Type.String({ format: 'date-time' }),
  edited_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  nonce: Type.Union([Type.String(), Type.Null()]),
  reactions: Type.Array(Reaction),
  reply_to: Type.Union([Type.String(), Type.Null()]),
  quote: Type.Union([Quote, Type.Null()]),
  reply_count: Type.Integer({ description: 'live replies to this message (its thread)' }),
  mentions: Type.Array(Type.String(), { description: 'ids of the people @named in the body who can read the channel' }),
  mentions_channel: Type.Optional(Type.Boolean({ description: 'true when the body says @channel and it notified the members' })),
});
export type MessageView = Static<typeof Message>;

export const Announcement = Type.Object({
  id: Type.String(),
  kind: Type.Literal('announcement'),
  channel_id: Type.String(),
  seq: Type.Integer(),
  body: Type.String(),
  creator: Type.Null(),
  announcement: Type.Object({ type: Type.String() }, { additionalProperties: true }),
  created_at: Type.String({ format: 'date-time' }),
});
export type AnnouncementView = Static<typeof Announcement>;

export const HistoryItem = Type.Union([Message, Announcement]);
export type HistoryItemView = MessageView | AnnouncementView;

export const Member = Type.Composite([
  Creator,
  Type.Object({ joined_at: Type.String({ format: 'date-time' }), is_creator: Type.Boolean(), online: Type.Optional(Type.Boolean()) }),
]);
export type MemberView = Static<typeof Member>;

/** A member of a conversation room, by alias: no presence, nothing that names the user. */
export const ConversationMember = Type.Composite([Alias, Type.Object({ joined_at: Type.String({ format: 'date-time' }), is_creator: Type.Boolean() })]);
export type ConversationMemberView = Static<typeof ConversationMember>;

export const ReadMarker = Type.Object({ channel_id: Type.String(), last_read_seq: Type.Integer(), unread_count: Type.Integer() });
export const Pin = Type.Object({
  message: Message,
  pinned_by: Type.Union([Type.String(), Type.Null()], { description: 'who pinned it (null once their account is gone)' }),
  pinned_at: Type.String({ format: 'date-time' }),
});
export type PinView = Static<typeof Pin>;

export const MessageReactions = Type.Object({ message_id: Type.String(), reactions: Type.Array(Reaction) });
