import { Type } from '@sinclair/typebox';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import type { RouteLimits } from '../../platform/http/rate-limit.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import { Ban, BanBody, LeftRoom, Ok, QueueBody, QueueState, Report, ReportBody, ReportReceipt, ReportsQuery, RoomParams } from './schema.js';
import type { MatchingService } from './service.js';

export interface MatchingRoutesDeps {
  db: Database;
  matching: MatchingService;
  guards: Guards;
  limit: RouteLimits;
}

const tags = ['talk now'];
const security = bearerSecurity;

export function matchingRoutes(app: HttpServer, { db, matching, guards, limit }: MatchingRoutesDeps): void {
  app.post(
    '/v1/queue',
    {
      schema: {
        tags,
        summary: 'Wait for a Talk-now partner: vent ↔ listen, talk ↔ talk; asking again while queued or matched answers the current state',
        security,
        body: QueueBody,
        response: { 200: QueueState, 202: QueueState },
      },
      onRequest: [guards.anyone, limit('queue', { perIp: 'queueJoinsPerIp', perUser: 'queueJoinsPerUser' })],
    },
    async (request, reply) => {
      const state = await matching.enqueue(db, caller(request), request.body.mode, request.ip);
      return reply.status(state.state === 'queued' ? 202 : 200).send(state);
    },
  );

  app.get(
    '/v1/queue',
    { schema: { tags, summary: 'Where I am: idle, queued (position, seconds waited) or matched (room)', security, response: { 200: QueueState } }, onRequest: guards.anyone },
    async (request) => matching.state(db, caller(request)),
  );

  app.delete(
    '/v1/queue',
    { schema: { tags, summary: 'Leave the queue', security, response: { 200: QueueState } }, onRequest: guards.anyone },
    async (request) => matching.leaveQueue(db, caller(request)),
  );

  app.post(
    '/v1/rooms/:id/leave',
    {
      schema: { tags, summary: 'Leave a conversation: it is read-only for the partner; when both have left it is deleted with its messages', security, params: RoomParams, response: { 200: LeftRoom } },
      onRequest: guards.anyone,
    },
    async (request) => matching.leaveRoom(db, caller(request), request.params.id),
  );

  app.post(
    '/v1/rooms/:id/block',
    { schema: { tags, summary: 'Block the partner of that room: never matched with them again', security, params: RoomParams, response: { 200: Ok } }, onRequest: guards.anyone },
    async (request) => {
      await matching.blockPartner(db, caller(request), request.params.id);
      return { ok: true as const };
    },
  );

  app.post(
    '/v1/reports',
    {
      schema: { tags, summary: 'Report a message, a room (its partner) or a user to the moderators', security, body: ReportBody, response: { 201: ReportReceipt } },
      onRequest: guards.anyone,
    },
    async (request, reply) => reply.status(201).send(await matching.report(db, caller(request), request.body)),
  );

  app.get(
    '/v1/admin/reports',
    { schema: { tags, summary: 'Reports, newest first (admins)', security, querystring: ReportsQuery, response: { 200: Type.Array(Report) } }, onRequest: guards.role('admin') },
    async (request, reply) => {
      const { items, next } = await matching.reports(db, request.query);
      if (next) reply.header('link', nextLink(request, { before: next }));
      return items;
    },
  );

  app.post(
    '/v1/admin/bans',
    {
      schema: { tags, summary: 'Ban a user (admins): their sessions end and their sockets close; they cannot log in until it ends', security, body: BanBody, response: { 201: Ban } },
      onRequest: guards.role('admin'),
    },
    async (request, reply) => reply.status(201).send(await matching.ban(db, caller(request), request.body)),
  );
}
