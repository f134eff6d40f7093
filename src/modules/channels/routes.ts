import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import { MESSAGE_SEND, type RouteLimits } from '../../platform/http/rate-limit.js';
import { stringifyReply, type HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import {
  Channel,
  ChannelListQuery,
  ChannelParams,
  ConversationMember,
  CreateChannelBody,
  EditMessageBody,
  HistoryItem,
  HistoryQuery,
  Member,
  MemberBody,
  Message,
  MessageParams,
  MessageReactions,
  PostMessageBody,
  ReactionParams,
  ReadBody,
  ReadMarker,
  SearchQuery,
  type SearchFilter,
  UpdateChannelBody,
} from './schema.js';
import type { ChannelsService } from './service.js';

export interface ChannelsRoutesDeps {
  db: Database;
  channels: ChannelsService;
  guards: Guards;
  limit: RouteLimits;
  /** Who has a socket open on any node (the gateway knows). */
  presence: { onlineAmong(userIds: readonly string[]): Promise<Set<string>> };
}

const tags = ['channels'];
const security = bearerSecurity;

/** Message bodies are trimmed before validation, so "  " is empty and the bounds count what is kept. */
async function trimBody(request: FastifyRequest): Promise<void> {
  const body = request.body as { body?: unknown } | undefined;
  if (body && typeof body === 'object' && typeof body.body === 'string') body.body = body.body.trim();
}

const Ok = Type.Object({ ok: Type.Literal(true) });

export function channelsRoutes(app: HttpServer, { db, channels, guards, limit, presence }: ChannelsRoutesDeps): void {
  // One count for both search routes: they read the same index.
  const searchLimit = limit('search', { perIp: 'searchesPerIp', perUser: 'searchesPerUser' });
  app.get(
    '/v1/channels',
    {
      schema: {
        tags,
        summary: 'My channels, most recently active first, with unread counts; `scope=public` discovers public channels',
        security,
        querystring: ChannelListQuery,
        response: { 200: Type.Array(Channel) },
      },
      onRequest: guards.registered,
    },
    async (request) => {
      const me = caller(request);
      return request.query.scope === 'public' ? channels.discover(db, me, request.query.q) : channels.list(db, me);
    },
  );

  app.post(
    '/v1/channels',
    { schema: { tags, summary: 'Create a channel; the creator is a member', security, body: CreateChannelBody, response: { 201: Channel } }, onRequest: guards.registered },
    async (request, reply) => reply.status(201).send(await channels.create(db, caller(request), request.body)),
  );

  app.get(
    '/v1/channels/:id',
    {
      schema: {
        tags,
        summary: 'History: messages and announcements in seq order; by default the 100 most recent',
        security,
        params: ChannelParams,
        querystring: HistoryQuery,
        response: { 200: Type.Array(HistoryItem) },
      },
      onRequest: guards.anyone,
      ...stringifyReply,
    },
    async (request, reply) => {
      const { items, more } = await channels.history(db, caller(request), request.params.id, request.query);
      const forward = request.query.after !== undefined && request.query.before === undefined;
      const edge = forward ? items.at(-1) : items[0];
      if (more && edge) reply.header('link', nextLink(request, forward ? { after: String(edge.seq) } : { before: String(edge.seq) }));
      return items;
    },
  );

  app.post(
    '/v1/channels/:id',
    {
      schema: {
        tags,
        summary: 'Post a message; a retry with the same nonce returns the original (200)',
        security,
        params: ChannelParams,
        body: PostMessageBody,
        response: { 200: Message, 201: Message },
      },
      onRequest: [guards.anyone, limit(MESSAGE_SEND, { perIp: 'messagesPerIp', perUser: 'messagesPerUser' })],
      preValidation: trimBody,
    },
    async (request, reply) => {
      const { message, created } = await channels.post(db, caller(request), request.params.id, request.body);
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  app.patch(
    '/v1/channels/:id',
    { schema: { tags, summary: 'Rename or describe (creator only)', security, params: ChannelParams, body: UpdateChannelBody, response: { 200: Channel } }, onRequest: guards.registered },
    async (request) => channels.update(db, caller(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/channels/:id',
    { schema: { tags, summary: 'Delete (creator only; not General or a meetup’s channel)', security, params: ChannelParams, response: { 200: Channel } }, onRequest: guards.registered },
    async (request) => channels.remove(db, caller(request), request.params.id),
  );

  app.get(
    '/v1/channels/:id/members',
    {
      schema: {
        tags,
        summary: 'Members, with who is online; in a conversation room by alias, without presence',
        security,
        params: ChannelParams,
        response: { 200: Type.Union([Type.Array(Member), Type.Array(ConversationMember)]) },
      },
      onRequest: guards.anyone,
    },
    async (request) => {
      const listed = await channels.members(db, caller(request), request.params.id);
      // Talk-now partners never learn each other's presence.
      if (listed.conversation) return listed.members;
      const online = await presence.onlineAmong(listed.members.map((m) => m.id));
      return listed.members.map((m) => ({ ...m, online: online.has(m.id) }));
    },
  );

  app.post(
    '/v1/channels/:id/members',
    {
      schema: {
        tags,
        summary: 'Add a member (creator only), or join a public channel with your own user_id',
        security,
        params: ChannelParams,
        body: MemberBody,
        response: { 200: Type.Array(Member), 201: Type.Array(Member) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const { added, members } = await channels.addMember(db, caller(request), request.params.id, request.body.user_id);
      return reply.status(added ? 201 : 200).send(members);
    },
  );

  app.delete(
    '/v1/channels/:id/members',
    {
      schema: { tags, summary: 'Remove a member (creator only), or leave with your own user_id', security, params: ChannelParams, body: MemberBody, response: { 200: Ok } },
      onRequest: guards.anyone,
    },
    async (request) => {
      await channels.removeMember(db, caller(request), request.params.id, request.body.user_id);
      return { ok: true as const };
    },
  );

  app.post(
    '/v1/channels/:id/read',
    { schema: { tags, summary: 'Move my read marker (never backwards)', security, params: ChannelParams, body: ReadBody, response: { 200: ReadMarker } }, onRequest: guards.anyone },
    async (request) => channels.markRead(db, caller(request), request.params.id, request.body.seq),
  );

  app.get(
    '/v1/channels/:id/search',
    {
      schema: { tags, summary: 'Partial-match search in one channel, newest first', security, params: ChannelParams, querystring: SearchQuery, response: { 200: Type.Array(Message) } },
      onRequest: [guards.anyone, searchLimit],
      ...stringifyReply,
    },
    async (request, reply) => searchPage(request, reply, request.query, request.params.id),
  );

  app.get(
    '/v1/search',
    { schema: { tags, summary: 'Partial-match search in every channel I can read, newest first', security, querystring: SearchQuery, response: { 200: Type.Array(Message) } }, onRequest: [guards.registered, searchLimit], ...stringifyReply },
    async (request, reply) => searchPage(request, reply, request.query, undefined),
  );

  async function searchPage(request: FastifyRequest, reply: FastifyReply, query: SearchFilter, channelId: string | undefined) {
    const limit = query.limit ?? 50;
    const results = await channels.search(db, caller(request), { ...query, channelId, limit });
    const last = results.at(-1);
    if (results.length === limit && last) reply.header('link', nextLink(request, { before: last.id }));
    return results;
  }

  app.patch(
    '/v1/messages/:id',
    { schema: { tags, summary: 'Edit my message', security, params: MessageParams, body: EditMessageBody, response: { 200: Message } }, onRequest: guards.anyone, preValidation: trimBody },
    async (request) => channels.edit(db, caller(request), request.params.id, request.body.body),
  );

  app.delete(
    '/v1/messages/:id',
    { schema: { tags, summary: 'Delete my message', security, params: MessageParams, response: { 200: Type.Object({ id: Type.String() }) } }, onRequest: guards.anyone },
    async (request) => channels.deleteMessage(db, caller(request), request.params.id),
  );

  app.put(
    '/v1/messages/:id/reactions/:emoji',
    { schema: { tags, summary: 'React (a "like" is 👍)', security, params: ReactionParams, response: { 200: MessageReactions } }, onRequest: guards.anyone },
    async (request) => channels.react(db, caller(request), request.params.id, request.params.emoji, true),
  );

  app.delete(
    '/v1/messages/:id/reactions/:emoji',
    { schema: { tags, summary: 'Take my reaction back', security, params: ReactionParams, response: { 200: MessageReactions } }, onRequest: guards.anyone },
    async (request) => channels.react(db, caller(request), request.params.id, request.params.emoji, false),
  );
}
