import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
const Instant = Type.String({ format: 'date-time' });
const Reason = Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' });

export const talkModes = ['vent', 'listen', 'talk'] as const;
export const TalkModeSchema = Type.Union(
  talkModes.map((mode) => Type.Literal(mode)),
  { description: '`vent` pairs with `listen`, `talk` with `talk`; a vent or listen entry waiting 10 s may also take a talk partner' },
);
export type TalkModeValue = Static<typeof TalkModeSchema>;

export const QueueBody = Type.Object({ mode: TalkModeSchema });

/** What `queue.matched` tells both people of a new room. */
export const Match = Type.Object({
  room_id: Type.String(),
  partner_alias: Type.String(),
  partner_mode: TalkModeSchema,
  partner_alias_id: Type.String({ description: 'the partner’s id in the room (message `creator.id`); it exists only there' }),
  alias: Type.String({ description: 'how the room shows me' }),
  alias_id: Type.String({ description: 'my id in the room' }),
  mode: TalkModeSchema,
});
export type MatchView = Static<typeof Match>;

export const QueueState = Type.Object({
  state: Type.Union([Type.Literal('idle'), Type.Literal('queued'), Type.Literal('matched')]),
  mode: Type.Optional(TalkModeSchema),
  position: Type.Optional(Type.Integer({ minimum: 1, description: 'among those waiting in the same mode, 1 = next' })),
  waited_s: Type.Optional(Type.Integer({ minimum: 0 })),
  room_id: Type.Optional(Type.String()),
  partner_alias: Type.Optional(Type.String()),
  partner_mode: Type.Optional(TalkModeSchema),
  partner_alias_id: Type.Optional(Type.String()),
  alias: Type.Optional(Type.String()),
  alias_id: Type.Optional(Type.String()),
});
export type QueueStateView = Static<typeof QueueState>;

export const RoomParams = Type.Object({ id: Id });

export const LeftRoom = Type.Object({ ok: Type.Literal(true), room_closed: Type.Boolean({ description: 'both have left: the room and its messages are deleted' }) });
export const Ok = Type.Object({ ok: Type.Literal(true) });

export const ReportBody = Type.Object(
  { message_id: Type.Optional(Id), room_id: Type.Optional(Id), user_id: Type.Optional(Id), reason: Reason },
  { description: 'Exactly one of `message_id`, `room_id` or `user_id`, and why.' },
);
export type ReportInput = Static<typeof ReportBody>;

/** What the reporter gets back: nothing that names the person reported. */
export const ReportReceipt = Type.Object({
  id: Type.String(),
  message_id: Type.Union([Type.String(), Type.Null()]),
  room_id: Type.Union([Type.String(), Type.Null()]),
  user_id: Type.Union([Type.String(), Type.Null()], { description: 'only when the report named a user' }),
  reason: Type.String(),
  created_at: Instant,
});
export type ReportReceiptView = Static<typeof ReportReceipt>;

export const TranscriptLine = Type.Object({
  from: Type.Union([Type.Literal('reported'), Type.Literal('reporter')]),
  body: Type.String(),
  created_at: Instant,
});

/** A report as moderators see it: who is who, and the text, kept after the room is deleted. */
export const Report = Type.Object({
  id: Type.String(),
  reporter_id: Type.String(),
  reported_user_id: Type.Union([Type.String(), Type.Null()]),
  message_id: Type.Union([Type.String(), Type.Null()]),
  room_id: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  message_text: Type.Union([Type.String(), Type.Null()], { description: 'the reported message as it was when reported' }),
  transcript: Type.Union([Type.Array(TranscriptLine), Type.Null()], { description: 'a reported room’s most recent messages' }),
  created_at: Instant,
});
export type ReportView = Static<typeof Report>;

export const ReportsQuery = Type.Object({
  before: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type ReportsCursor = Static<typeof ReportsQuery>;

export const BanBody = Type.Object({
  user_id: Id,
  reason: Reason,
  until: Type.Optional(Type.String({ format: 'date-time', description: 'when the ban ends; without it, it lasts until lifted' })),
});
export type BanInput = Static<typeof BanBody>;

export const Ban = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  reason: Type.String(),
  until: Type.Union([Instant, Type.Null()]),
  created_by: Type.String(),
  created_at: Instant,
});
export type BanView = Static<typeof Ban>;
