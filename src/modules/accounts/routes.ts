import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import type { RouteLimits } from '../../platform/http/rate-limit.js';
import type { HttpServer } from '../../platform/http/server.js';
import { nextLink } from '../../platform/http/paging.js';
import type { Database } from '../../platform/storage/database.js';
import type { UserRow } from '../../platform/storage/tables.js';
import {
  ChangePasswordBody,
  DeleteAccountBody,
  DirectoryQuery,
  Done,
  Guest,
  LogInBody,
  PasswordChanged,
  ProfilePatch,
  SignedIn,
  SignUpBody,
  User,
  UserParams,
} from './schema.js';
import { presentUser, type AccountsService } from './service.js';

export interface AccountsRoutesDeps {
  db: Database;
  accounts: AccountsService;
  guards: Guards;
  limit: RouteLimits;
  /** Throws when no guest identity may be made for this address now (one a banned user used). */
  admitGuest?: (ip: string) => Promise<void>;
  /** How many notifications the user has not read (shown in their own profile). */
  unreadNotifications?: (userId: string) => Promise<number>;
}

const tags = ['accounts'];

/** Sign-up and login answer alike: the token in the `Authorization` header (as the Musician Meetup API did) and in the body. */
function signedIn(reply: FastifyReply, { user, token }: { user: UserRow; token: string }) {
  reply.header('authorization', `Bearer ${token}`);
  return reply.status(201).send({ ...presentUser(user, user.id), token });
}
const DEFAULT_PAGE = 50;

export function accountsRoutes(app: HttpServer, { db, accounts, guards, limit, admitGuest, unreadNotifications }: AccountsRoutesDeps): void {
  app.post(
    '/v1/users',
    {
      schema: { tags, summary: 'Sign up; logs in at once', body: SignUpBody, response: { 201: SignedIn } },
      onRequest: limit('sign-up', { perIp: 'signUpsPerIp' }),
    },
    async (request, reply) => signedIn(reply, await accounts.signUp(db, request.body)),
  );

  app.post(
    '/v1/sessions',
    {
      schema: { tags, summary: 'Log in by email or username', body: LogInBody, response: { 201: SignedIn } },
      onRequest: limit('log-in', { perIp: 'loginsPerIp' }),
    },
    async (request, reply) => signedIn(reply, await accounts.logIn(db, request.body)),
  );

  app.delete(
    '/v1/sessions/mine',
    { schema: { tags, summary: 'Log out this session', security: bearerSecurity, response: { 200: Done } }, onRequest: guards.anyone },
    async (request) => {
      await accounts.logOut(db, caller(request));
      return { ok: true as const };
    },
  );

  app.delete(
    '/v1/sessions',
    { schema: { tags, summary: 'Log out every session of mine', security: bearerSecurity, response: { 200: Done } }, onRequest: guards.registered },
    async (request) => ({ ok: true as const, sessions_ended: await accounts.logOutEverywhere(db, caller(request)) }),
  );

  app.post(
    '/v1/auth/anonymous',
    {
      schema: { tags, summary: 'A guest identity for Talk now (the body, if any, is ignored)', response: { 201: Guest } },
      onRequest: limit('guest', { perIp: 'guestsPerIp' }),
    },
    async (request, reply) => {
      await admitGuest?.(request.ip);
      const { userId, token } = await accounts.createGuest(db);
      reply.header('authorization', `Bearer ${token}`);
      return reply.status(201).send({ user_id: userId, token });
    },
  );

  app.get(
    '/v1/users/me',
    { schema: { tags, summary: 'My profile', security: bearerSecurity, response: { 200: User } }, onRequest: guards.anyone },
    async (request) => {
      const me = caller(request);
      const user = presentUser(await accounts.profile(db, me.userId, me.userId), me.userId);
      return unreadNotifications ? { ...user, unread_notifications: await unreadNotifications(me.userId) } : user;
    },
  );

  app.patch(
    '/v1/users/me',
    { schema: { tags, summary: 'Edit my musician profile', security: bearerSecurity, body: ProfilePatch, response: { 200: User } }, onRequest: guards.registered },
    async (request) => {
      const me = caller(request);
      return presentUser(await accounts.updateProfile(db, me.userId, request.body), me.userId);
    },
  );

  app.put(
    '/v1/users/me/password',
    {
      schema: {
        tags,
        summary: 'Change my password: every other session of mine ends, on every node; this one is replaced (the new token is in the answer)',
        security: bearerSecurity,
        body: ChangePasswordBody,
        response: { 200: PasswordChanged },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const { token, sessionsEnded } = await accounts.changePassword(db, caller(request), request.body);
      reply.header('authorization', `Bearer ${token}`);
      return { token, sessions_ended: sessionsEnded };
    },
  );

  app.delete(
    '/v1/users/me',
    {
      schema: {
        tags,
        summary: 'Delete my account: sessions end; profile, reviews, RSVPs and memberships are removed; messages stay, signed "Deleted user"',
        security: bearerSecurity,
        body: DeleteAccountBody,
        response: { 200: Done },
      },
      onRequest: guards.registered,
    },
    async (request) => {
      await accounts.deleteAccount(db, caller(request), request.body.password);
      return { ok: true as const };
    },
  );

  app.get(
    '/v1/users/:id',
    { schema: { tags, summary: 'A profile', security: bearerSecurity, params: UserParams, response: { 200: User } }, onRequest: guards.registered },
    async (request) => {
      const me = caller(request);
      return presentUser(await accounts.profile(db, request.params.id, me.userId), me.userId);
    },
  );

  app.get(
    '/v1/users',
    {
      schema: {
        tags,
        summary: 'The musician directory: find players by instrument, genre, city or name',
        security: bearerSecurity,
        querystring: DirectoryQuery,
        response: { 200: Type.Array(User) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const me = caller(request);
      const limit = request.query.limit ?? DEFAULT_PAGE;
      const rows = await accounts.directory(db, { ...request.query, limit });
      const last = rows.at(-1);
      if (rows.length === limit && last?.username_key) reply.header('link', nextLink(request, { after: last.username_key }));
      return rows.map((row) => presentUser(row, me.userId));
    },
  );
}
