/**
 * Every frame of `/v1/ws`, both ways, in one place. Adding a frame type breaks the build
 * until every `switch` over it handles the new case.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { UserView } from '../../modules/accounts/schema.js';
import type { AnnouncementView, ChannelView, MessageView, TypistView } from '../../modules/channels/schema.js';
import type { MatchView } from '../../modules/matching/schema.js';
import type { NotificationView } from '../../modules/notifications/schema.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
const ChatNumber = Type.Integer({ minimum: 1 });

export const ClientFrameSchema = Type.Union([
  Type.Object({
    type: Type.Literal('auth'),
    token: Type.String({ minLength: 1, maxLength: 200 }),
    resume: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' }), Type.Integer({ minimum: 0 }))),
  }),
  Type.Object({ type: Type.Literal('subscribe'), channel_id: Id, after_seq: Type.Optional(Type.Integer({ minimum: 0 })) }),
  Type.Object({ type: Type.Literal('unsubscribe'), channel_id: Id }),
  // An Apps API socket: authenticated by an application token, it follows that application's chats by number.
  Type.Object({ type: Type.Literal('auth'), application_token: Type.String({ minLength: 1, maxLength: 200 }) }),
  Type.Object({ type: Type.Literal('subscribe'), chat_number: ChatNumber }),
  Type.Object({ type: Type.Literal('unsubscribe'), chat_number: ChatNumber }),
  Type.Object({
    type: Type.Literal('send'),
    channel_id: Id,
    body: Type.String({ maxLength: 20_000 }),
    nonce: Type.String({ minLength: 1, maxLength: 100 }),
  }),
  Type.Object({ type: Type.Literal('typing'), channel_id: Id }),
  Type.Object({ type: Type.Literal('read'), channel_id: Id, seq: Type.Integer({ minimum: 0 }) }),
  Type.Object({ type: Type.Literal('ping') }),
]);

export type ClientFrame = Static<typeof ClientFrameSchema>;

const clientFrame = TypeCompiler.Compile(ClientFrameSchema);
// Checkers per frame type, so a bad frame's error names the field, not the union.
const frameTypes = new Map<string, TypeCheck<(typeof ClientFrameSchema.anyOf)[number]>[]>();
for (const schema of ClientFrameSchema.anyOf) {
  const type = schema.properties.type.const as string;
  frameTypes.set(type, [...(frameTypes.get(type) ?? []), TypeCompiler.Compile(schema)]);
}

/** Parses one client frame, or says in a sentence what is wrong with it. */
export function parseClientFrame(text: string): { frame: ClientFrame } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'A frame must be one JSON object' };
  }
  if (clientFrame.Check(value)) return { frame: value };
  const type = (value as { type?: unknown } | null)?.type;
  const checkers = typeof type === 'string' ? frameTypes.get(type) : undefined;
  if (!checkers) return { error: `Unknown frame type ${JSON.stringify(type ?? null)}` };
  // A type with two forms (auth by session or by application token, subscribe to a channel or a chat)
  // is judged by the form the frame comes closest to; ties go to the first.
  const [first] = checkers.map((checker) => [...checker.Errors(value)]).sort((a, b) => a.length - b.length)[0]!;
  return { error: `Bad ${String(type)} frame${first ? `: ${first.path.slice(1) || 'frame'} ${first.message}` : ''}` };
}

interface SeqFrame<T extends string, D> {
  type: T;
  channel_id: string;
  seq: number;
  data: D;
}

export interface ReactionChange {
  message_id: string;
  reactions: MessageView['reactions'];
  user_id: string;
  emoji: string;
  reacted: boolean;
}

export interface PinChange {
  message_id: string;
  pinned: boolean;
  user_id: string;
}

/** Changes other modules log in their channels; `data` is the resource as it was then (a meetup, an RSVP, a poll). */
export type ResourceFrameType = 'event.updated' | 'rsvp.updated' | 'poll.updated' | 'poll.closed';

/** A committed row of a channel's log: it goes to every subscriber of the channel. */
export type ChannelEventFrame =
  | (SeqFrame<ResourceFrameType, Record<string, unknown>> & { announcement?: AnnouncementView })
  | SeqFrame<'message.created' | 'message.updated', MessageView>
  | SeqFrame<'message.deleted', { id: string }>
  | SeqFrame<'reaction.updated', ReactionChange>
  | SeqFrame<'pin.updated', PinChange>
  | SeqFrame<'announcement' | 'member.joined' | 'member.left', AnnouncementView>
  | (SeqFrame<'channel.updated', ChannelView> & { announcement: AnnouncementView })
  | RoomClosedFrame;

/** The last row of a Talk-now room's log: the room and its messages are deleted with it. */
export type RoomClosedFrame = SeqFrame<'room.closed', { room_id: string }>;

/** Frames for one user's sockets wherever they are, carried on the user's bus topic. */
export type UserFrame = { type: 'queue.matched'; data: MatchView } | { type: 'notification'; data: NotificationView } | RoomClosedFrame;

/** Frames for a channel's subscribers that are not log rows (no seq). */
export type ChannelSignalFrame =
  | { type: 'channel.deleted'; channel_id: string; data: ChannelView }
  | { type: 'typing'; channel_id: string; data: TypistView };

export type ChannelFrame = ChannelEventFrame | ChannelSignalFrame;

/** A committed change in an Apps API chat, for the sockets following that chat: numbers, never internal ids. */
export interface ApplicationFrame {
  type: 'app.message.created' | 'app.message.updated';
  data: { chat_number: number; message_number: number; message_content: string };
}

export type ServerFrame =
  | ChannelFrame
  | { type: 'ready'; data: { user: UserView; channels: Array<{ id: string; last_seq: number }> } }
  | ApplicationFrame
  /** An application socket is authenticated: it may subscribe to chats now. */
  | { type: 'app.ready'; data: { application_name: string; chats_count: number } }
  /** A chat is followed live: every message after `messages_count` will arrive. */
  | { type: 'app.subscribed'; data: { chat_number: number; messages_count: number } }
  | UserFrame
  | { type: 'presence'; data: { user_id: string; online: boolean } }
  | { type: 'read'; channel_id: string; data: { last_read_seq: number } }
  | { type: 'ack'; nonce: string; data: MessageView }
  | { type: 'error'; nonce?: string; code: string; message: string }
  | { type: 'resync_required'; channel_id: string }
  | { type: 'pong' };

/** Close codes: 4xxx are Riff's own, so clients can tell why without parsing reasons. */
export const CloseCode = {
  unauthorized: 4401,
  authTimeout: 4408,
  sessionEnded: 4403,
  slowConsumer: 4429,
  rateLimited: 4430,
  tooManySockets: 4431,
  shuttingDown: 1001,
} as const;
