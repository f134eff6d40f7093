import { Type } from '@sinclair/typebox';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import { MarkReadBody, Notification, NotificationsQuery, Settings, SettingsBody, UnreadCount } from './schema.js';
import type { NotificationsService } from './service.js';

export interface NotificationsRoutesDeps {
  db: Database;
  notifications: NotificationsService;
  guards: Guards;
}

const tags = ['notifications'];
const security = bearerSecurity;
const ChannelParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' }) });

export function notificationsRoutes(app: HttpServer, { db, notifications, guards }: NotificationsRoutesDeps): void {
  app.get(
    '/v1/notifications',
    { schema: { tags, summary: 'My notifications, unread first, newest first within each; paged by the Link header', security, querystring: NotificationsQuery, response: { 200: Type.Array(Notification) } }, onRequest: guards.registered },
    async (request, reply) => {
      const { items, next } = await notifications.list(db, caller(request), request.query);
      if (next) reply.header('link', nextLink(request, { after: next }));
      return items;
    },
  );

  app.post(
    '/v1/notifications/read',
    { schema: { tags, summary: 'Mark notifications read: `{ids}` or `{all: true}`', security, body: MarkReadBody, response: { 200: UnreadCount } }, onRequest: guards.registered },
    async (request) => notifications.markRead(db, caller(request), request.body),
  );

  app.get(
    '/v1/channels/:id/notifications',
    { schema: { tags, summary: 'My notification level for a channel', security, params: ChannelParams, response: { 200: Settings } }, onRequest: guards.registered },
    async (request) => notifications.settings(db, caller(request), request.params.id),
  );

  app.put(
    '/v1/channels/:id/notifications',
    { schema: { tags, summary: 'Choose what a channel notifies me of (all, mentions, none) and mute it until a time', security, params: ChannelParams, body: SettingsBody, response: { 200: Settings } }, onRequest: guards.registered },
    async (request) => notifications.saveSettings(db, caller(request), request.params.id, request.body),
  );
}
