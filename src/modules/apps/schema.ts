import { Type, type Static } from '@sinclair/typebox';

/** Tokens are checked against the database, not a pattern: anything unknown is simply not found. */
const Token = Type.String({ minLength: 1, maxLength: 200 });
/** Chat and message numbers in paths are integers from 1: `abc` is a 400, a number not (yet) given a 404. */
const NumberParam = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Instant = Type.String({ format: 'date-time' });

export const CONTENT_MAX = 4000;
/** Contents arrive trimmed (a preValidation hook trims them), so the bounds count what is stored. */
const Content = Type.String({ minLength: 1, maxLength: CONTENT_MAX });
export const QUERY_MAX = 100;

const WebhookUrl = Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }), Type.Null()], {
  description: 'where each new or edited message is POSTed, signed with `X-Riff-Signature: sha256=<HMAC-SHA256 of the body>`; null for none',
});

export const ApplicationParams = Type.Object({ token: Token });
export const ChatParams = Type.Object({ token: Token, chat_number: NumberParam });
export const MessageParams = Type.Object({ token: Token, chat_number: NumberParam, message_number: NumberParam });

/** How many to skip: bounded, as `1e308` is an integer to JSON Schema but not to the database's OFFSET. */
const After = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** Pages by number (chats, messages, search hits): `after` the last number seen. */
export const NumberCursor = Type.Object({
  after: Type.Optional(After),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type NumberCursorInput = Static<typeof NumberCursor>;

/** The owner's applications in the order they were made; `after` counts those already seen (none is ever deleted). */
export const ApplicationListQuery = NumberCursor;

export const SearchQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: QUERY_MAX, description: 'wins over a JSON body `{search_query}` sent with the GET' })),
  after: Type.Optional(After),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});

export const CreateApplicationBody = Type.Object({ application_name: Name, webhook_url: Type.Optional(WebhookUrl) });
export type CreateApplicationInput = Static<typeof CreateApplicationBody>;

export const UpdateApplicationBody = Type.Object({ application_name: Type.Optional(Name), webhook_url: Type.Optional(WebhookUrl) });
export type UpdateApplicationInput = Static<typeof UpdateApplicationBody>;

export const ChatBody = Type.Object({ chat_name: Name });
export type ChatInput = Static<typeof ChatBody>;

export const MessageBody = Type.Object({ message_content: Content });
export type MessageInput = Static<typeof MessageBody>;

const applicationFields = {
  type: Type.Literal('application'),
  application_token: Type.Optional(Type.String({ description: 'the credential: in answers to requests that carried it (or made it), never in the list' })),
  application_token_hint: Type.String({ description: 'the token’s last 4 characters, to tell applications apart in the list' }),
  application_name: Type.String(),
  chats_count: Type.Integer(),
  webhook_url: Type.Union([Type.String(), Type.Null()]),
  created_at: Instant,
  updated_at: Instant,
};

export const Application = Type.Object(applicationFields);
export type ApplicationView = Static<typeof Application>;

/** A new application, or one whose token was rotated: the only answers that show the webhook secret. */
export const IssuedApplication = Type.Object({
  ...applicationFields,
  application_token: Type.String(),
  webhook_secret: Type.String({ description: 'the key of the webhook signatures; shown only now' }),
});
export type IssuedApplicationView = Static<typeof IssuedApplication>;

export const Chat = Type.Object({
  type: Type.Literal('chat'),
  application_token: Type.String(),
  chat_number: Type.Integer(),
  chat_name: Type.String(),
  messages_count: Type.Integer(),
  created_at: Instant,
  updated_at: Instant,
});
export type ChatView = Static<typeof Chat>;

export const AppMessage = Type.Object({
  type: Type.Literal('message'),
  application_token: Type.String(),
  chat_number: Type.Integer(),
  message_number: Type.Integer(),
  message_content: Type.String(),
  created_at: Instant,
  updated_at: Instant,
});
export type AppMessageView = Static<typeof AppMessage>;

export const SearchHit = Type.Object({ number: Type.Integer(), content: Type.String() });
export type SearchHitView = Static<typeof SearchHit>;
