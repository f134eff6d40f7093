import { Type } from '@sinclair/typebox';
import { bearerSecurity, caller } from '../../platform/http/auth.js';
import { stringifyReply, type HttpServer } from '../../platform/http/server.js';
import { Profile } from '../accounts/index.js';
import type { ChannelsRoutesDeps } from './routes.js';
import { BlockState, Channel, ChannelParams, DirectBody, Message, MessageParams, Pin, PinParams, PinState, RepliesQuery, UserParams } from './schema.js';
import { nextLink } from '../../platform/http/paging.js';

const security = bearerSecurity;

/** Direct messages, blocks between people, threads of replies and pinned messages. */
export function directRoutes(app: HttpServer, { db, channels, guards }: ChannelsRoutesDeps): void {
  app.post(
    '/v1/dms',
    {
      schema: {
        tags: ['channels'],
        summary: 'Get or create the DM of exactly me and these people (`user_id`, or `user_ids` for a group of up to 8)',
        security,
        body: DirectBody,
        response: { 200: Channel, 201: Channel },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const { channel, created } = await channels.openDirect(db, caller(request), request.body);
      return reply.status(created ? 201 : 200).send(channel);
    },
  );

  for (const blocked of [true, false]) {
    (blocked ? app.put.bind(app) : app.delete.bind(app))(
      '/v1/users/:id/block',
      {
        schema: {
          tags: ['accounts'],
          summary: blocked ? 'Block someone: no DMs between us; their messages leave my history and search' : 'Unblock someone',
          security,
          params: UserParams,
          response: { 200: BlockState },
        },
        onRequest: guards.registered,
      },
      async (request) => channels.setBlocked(db, caller(request), request.params.id, blocked),
    );
  }

  app.get(
    '/v1/users/me/blocks',
    { schema: { tags: ['accounts'], summary: 'The people I blocked', security, response: { 200: Type.Array(Profile) } }, onRequest: guards.registered },
    async (request) => channels.blocked(db, caller(request)),
  );

  for (const pinned of [true, false]) {
    (pinned ? app.put.bind(app) : app.delete.bind(app))(
      '/v1/channels/:id/pins/:message_id',
      {
        schema: {
          tags: ['channels'],
          summary: pinned ? 'Pin a message (members)' : 'Unpin a message (who pinned it, or the channel’s creator)',
          security,
          params: PinParams,
          response: { 200: PinState },
        },
        onRequest: guards.registered,
      },
      async (request) => channels.setPinned(db, caller(request), request.params.id, request.params.message_id, pinned),
    );
  }

  app.get(
    '/v1/channels/:id/pins',
    { schema: { tags: ['channels'], summary: 'Pinned messages, the most recently pinned first', security, params: ChannelParams, response: { 200: Type.Array(Pin) } }, onRequest: guards.registered, ...stringifyReply },
    async (request) => channels.pins(db, caller(request), request.params.id),
  );

  app.get(
    '/v1/messages/:id/replies',
    {
      schema: { tags: ['channels'], summary: 'The thread under a message: its replies, oldest first', security, params: MessageParams, querystring: RepliesQuery, response: { 200: Type.Array(Message) } },
      onRequest: guards.anyone,
      ...stringifyReply,
    },
    async (request, reply) => {
      const { items, more } = await channels.replies(db, caller(request), request.params.id, request.query);
      const last = items.at(-1);
      if (more && last) reply.header('link', nextLink(request, { after: String(last.seq) }));
      return items;
    },
  );
}
