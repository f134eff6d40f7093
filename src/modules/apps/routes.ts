import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { RiffError } from '../../platform/errors.js';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import type { RouteLimits } from '../../platform/http/rate-limit.js';
import { BODY_LIMIT, type HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import type { NumberPage } from './repository.js';
import {
  AppMessage,
  Application,
  ApplicationListQuery,
  ApplicationParams,
  Chat,
  ChatBody,
  ChatParams,
  CreateApplicationBody,
  IssuedApplication,
  MessageBody,
  MessageParams,
  NumberCursor,
  QUERY_MAX,
  SearchHit,
  SearchQuery,
  UpdateApplicationBody,
} from './schema.js';
import type { AppsService } from './service.js';

export interface AppsRoutesDeps {
  db: Database;
  apps: AppsService;
  guards: Guards;
  /** Applications made per client address (creating one needs no account) and per user. */
  limit: RouteLimits;
}

const tags = ['apps'];
const tokenNote = 'The application token in the path is the credential; sessions are not looked at.';

/** Message contents are trimmed before validation, so "  " is empty and the bounds count what is kept. */
async function trimContent(request: FastifyRequest): Promise<void> {
  const body = request.body as { message_content?: unknown } | undefined;
  if (body && typeof body === 'object' && typeof body.message_content === 'string') body.message_content = body.message_content.trim();
}

/**
 * chat_system clients send the search as a JSON body on a GET, which Fastify never reads:
 * this route reads it itself, with the limits and errors every other body gets.
 */
async function readGetBody(request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload): Promise<RequestPayload> {
  if (Number(request.headers['content-length'] ?? 0) > BODY_LIMIT) throw new RiffError('payload_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new RiffError('payload_too_large');
    chunks.push(chunk);
  }
  if (size === 0) return payload;
  if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) throw new RiffError('unsupported_media_type');
  try {
    request.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RiffError('invalid_json');
  }
  return payload;
}

/** The search text: `q` when given, else the body's `search_query`; trimmed, 1..100 characters. */
function searchText(q: string | undefined, body: unknown): string {
  const field = q !== undefined ? 'q' : 'search_query';
  const raw = q ?? (body !== null && typeof body === 'object' ? (body as { search_query?: unknown }).search_query : undefined);
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') throw new RiffError('validation_failed', 'Say what to search for: ?q= or a JSON body {"search_query": …}', [{ field, message: 'must not be empty' }]);
  if ([...text].length > QUERY_MAX) throw new RiffError('validation_failed', `A search is at most ${QUERY_MAX} characters`, [{ field, message: 'is too long' }]);
  return text;
}

/** One page of a list by number, with `Link: rel="next"` when there is more. */
function page<T>(request: FastifyRequest, reply: FastifyReply, result: NumberPage<T>, cursor: (last: T) => Record<string, string>): T[] {
  const last = result.items.at(-1);
  if (result.more && last !== undefined) reply.header('link', nextLink(request, cursor(last)));
  return result.items;
}

export function appsRoutes(app: HttpServer, { db, apps, guards, limit }: AppsRoutesDeps): void {
  app.post(
    '/api/applications',
    {
      schema: {
        tags,
        summary: 'Create an application: no account needed; with a session it is yours and shows in your list. The answer is the only one with the webhook secret.',
        security: [{}, ...bearerSecurity],
        body: CreateApplicationBody,
        response: { 201: IssuedApplication },
      },
      onRequest: [
        // A session is optional, but one that is sent must be valid: the caller expects to own what it makes.
        async function (request, reply) {
          if (request.headers.authorization !== undefined) await guards.registered.call(this, request, reply);
        },
        limit('create-application', { perIp: 'applicationsPerIp', perUser: 'applicationsPerUser' }),
      ],
    },
    async (request, reply) => reply.status(201).send(await apps.create(db, request.identity, request.body)),
  );

  app.get(
    '/api/applications',
    {
      schema: {
        tags,
        summary: 'My applications, oldest first (with token hints: tokens are shown only when made); `after` skips that many',
        security: bearerSecurity,
        querystring: ApplicationListQuery,
        response: { 200: Type.Array(Application) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const after = request.query.after ?? 0;
      const result = await apps.owned(db, caller(request), request.query);
      return page(request, reply, result, () => ({ after: String(after + result.items.length) }));
    },
  );

  app.get(
    '/api/applications/:token',
    { schema: { tags, summary: 'An application', description: tokenNote, params: ApplicationParams, response: { 200: Application } } },
    async (request) => apps.get(db, request.params.token),
  );

  for (const method of ['patch', 'put'] as const) {
    app[method](
      '/api/applications/:token',
      {
        schema: {
          tags,
          summary: 'Rename an application or set its webhook_url (null for none)',
          description: tokenNote,
          params: ApplicationParams,
          body: UpdateApplicationBody,
          response: { 200: Application },
        },
      },
      async (request) => apps.update(db, request.params.token, request.body),
    );
  }

  app.post(
    '/api/applications/:token/rotate',
    {
      schema: {
        tags,
        summary: 'A new token and webhook secret; the old token stops working at once (its sockets close)',
        description: tokenNote,
        params: ApplicationParams,
        response: { 200: IssuedApplication },
      },
    },
    async (request) => apps.rotate(db, request.params.token),
  );

  app.post(
    '/api/applications/:token/chats',
    {
      schema: { tags, summary: 'Create a chat, numbered 1, 2, 3… per application (the number is in the answer)', description: tokenNote, params: ApplicationParams, body: ChatBody, response: { 201: Chat } },
    },
    async (request, reply) => reply.status(201).send(await apps.createChat(db, request.params.token, request.body.chat_name)),
  );

  app.get(
    '/api/applications/:token/chats',
    { schema: { tags, summary: 'Chats by number', description: tokenNote, params: ApplicationParams, querystring: NumberCursor, response: { 200: Type.Array(Chat) } } },
    async (request, reply) => page(request, reply, await apps.chats(db, request.params.token, request.query), (last) => ({ after: String(last.chat_number) })),
  );

  app.get(
    '/api/applications/:token/chats/:chat_number',
    { schema: { tags, summary: 'A chat', description: tokenNote, params: ChatParams, response: { 200: Chat } } },
    async (request) => apps.chat(db, request.params.token, request.params.chat_number),
  );

  for (const method of ['patch', 'put'] as const) {
    app[method](
      '/api/applications/:token/chats/:chat_number',
      { schema: { tags, summary: 'Rename a chat', description: tokenNote, params: ChatParams, body: ChatBody, response: { 200: Chat } } },
      async (request) => apps.renameChat(db, request.params.token, request.params.chat_number, request.body.chat_name),
    );
  }

  // chat_system posts messages to the chat itself; `/messages` is the same.
  for (const path of ['/api/applications/:token/chats/:chat_number/messages', '/api/applications/:token/chats/:chat_number']) {
    app.post(
      path,
      {
        schema: {
          tags,
          summary: 'Post a message, numbered 1, 2, 3… per chat (the number is in the answer); the content is trimmed',
          description: tokenNote,
          params: ChatParams,
          body: MessageBody,
          response: { 201: AppMessage },
        },
        preValidation: trimContent,
      },
      async (request, reply) => reply.status(201).send(await apps.postMessage(db, request.params.token, request.params.chat_number, request.body.message_content)),
    );
  }

  app.get(
    '/api/applications/:token/chats/:chat_number/messages',
    { schema: { tags, summary: 'Messages by number', description: tokenNote, params: ChatParams, querystring: NumberCursor, response: { 200: Type.Array(AppMessage) } } },
    async (request, reply) =>
      page(request, reply, await apps.messages(db, request.params.token, request.params.chat_number, request.query), (last) => ({ after: String(last.message_number) })),
  );

  app.get(
    '/api/applications/:token/chats/:chat_number/messages/:message_number',
    { schema: { tags, summary: 'A message', description: tokenNote, params: MessageParams, response: { 200: AppMessage } } },
    async (request) => apps.message(db, request.params.token, request.params.chat_number, request.params.message_number),
  );

  for (const method of ['patch', 'put'] as const) {
    app[method](
      '/api/applications/:token/chats/:chat_number/messages/:message_number',
      {
        schema: { tags, summary: 'Edit a message; the content is trimmed', description: tokenNote, params: MessageParams, body: MessageBody, response: { 200: AppMessage } },
        preValidation: trimContent,
      },
      async (request) =>
        apps.editMessage(db, request.params.token, request.params.chat_number, request.params.message_number, request.body.message_content),
    );
  }

  app.get(
    '/api/applications/:token/chats/:chat_number/search',
    {
      schema: {
        tags,
        summary: 'Partial, case-insensitive search in one chat, by number: `?q=`, or a JSON body `{"search_query": …}` on the GET (q wins)',
        description: tokenNote,
        params: ChatParams,
        querystring: SearchQuery,
        response: { 200: Type.Array(SearchHit) },
      },
      preParsing: readGetBody,
    },
    async (request, reply) => {
      const q = searchText(request.query.q, request.body);
      const result = await apps.search(db, request.params.token, request.params.chat_number, q, request.query);
      return page(request, reply, result, (last) => ({ q, after: String(last.number) }));
    },
  );
}
