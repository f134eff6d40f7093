import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });

export const NOTIFICATION_TYPES = ['mention', 'reply', 'dm', 'rsvp_promoted', 'poll_opened', 'poll_closed', 'event_changed', 'event_cancelled', 'reminder'] as const;

export const Notification = Type.Object({
  id: Type.String(),
  type: Type.Union(NOTIFICATION_TYPES.map((type) => Type.Literal(type))),
  channel_id: Type.Union([Type.String(), Type.Null()]),
  message_id: Type.Union([Type.String(), Type.Null()]),
  event_id: Type.Union([Type.String(), Type.Null()]),
  actor_id: Type.Union([Type.String(), Type.Null()], { description: 'who caused it (the author of a mention), when someone did' }),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'what to show without another request: a snippet, the channel’s or meetup’s name, the poll' }),
  created_at: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
});
export type NotificationView = Static<typeof Notification>;

export const NotificationsQuery = Type.Object({
  unread: Type.Optional(Type.Boolean({ description: 'only the unread ones' })),
  after: Type.Optional(Type.String({ pattern: '^[ru]\\.[A-Za-z0-9._~-]{1,64}$', description: 'the cursor of the next page (from the Link header)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type NotificationsPage = Static<typeof NotificationsQuery>;

export const MarkReadBody = Type.Union([Type.Object({ ids: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) }), Type.Object({ all: Type.Literal(true) })]);
export type MarkReadInput = Static<typeof MarkReadBody>;
export const UnreadCount = Type.Object({ unread_count: Type.Integer() });

export const LEVELS = ['all', 'mentions', 'none'] as const;
export const SettingsBody = Type.Object({
  level: Type.Union(LEVELS.map((level) => Type.Literal(level)), {
    description: 'all: mentions, @channel, replies, DMs and meetup news; mentions: only what names me (mentions, replies); none: nothing',
  }),
  muted_until: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'nothing from this channel until then' })),
});
export type SettingsInput = Static<typeof SettingsBody>;
export const Settings = Type.Object({ channel_id: Type.String(), level: SettingsBody.properties.level, muted_until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) });
export type SettingsView = Static<typeof Settings>;
