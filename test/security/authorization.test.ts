/**
 * The authorization matrix of issue #13: every route `/openapi.json` lists is tried with no token,
 * a guest, an unrelated user, a member, the owner and an admin, and answers as API.md says. A route
 * without a rule here fails the test, so a new route cannot skip its authorization review.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { describeEachDialect, startRiff, type TestRiff } from '../helpers/riff.js';
import { bodyFor, buildWorld, call, pathIn, type Role, type World } from './world.js';

const ROLES: Role[] = ['none', 'guest', 'stranger', 'member', 'owner', 'admin'];

/** Allowed through: the route may still answer 4xx for its own reasons, never 401/403 (and no 404 for `read`). */
const OK = 'ok';
/** Private content a caller may read: a 2xx. */
const READ = 'read';
type Outcome = typeof OK | typeof READ | number | number[];
type Rule = Record<Role, Outcome> & { /** Ends sessions or removes fixture content: runs on a world of its own. */ destructive?: boolean };

const everyone = (outcome: Outcome): Record<Role, Outcome> => ({ none: outcome, guest: outcome, stranger: outcome, member: outcome, owner: outcome, admin: outcome });
/** Public: no session needed. */
const open = everyone(OK);
/** Any session, guests included. */
const anySession: Record<Role, Outcome> = { ...everyone(OK), none: 401 };
/** Registered users only. */
const registered: Record<Role, Outcome> = { ...everyone(OK), none: 401, guest: 403 };
/** Private channel content: members read it, nobody else. */
const privateChannel: Record<Role, Outcome> = { none: 401, guest: 403, stranger: 403, member: READ, owner: READ, admin: 403 };
/** Changes only the creator may make. */
const creatorOnly: Record<Role, Outcome> = { none: 401, guest: 403, stranger: 403, member: 403, owner: OK, admin: 403 };
/** A message of a private channel: invisible (404) to whoever cannot read it. */
const privateMessage: Record<Role, Outcome> = { none: 401, guest: [403, 404], stranger: 404, member: OK, owner: OK, admin: 404 };
const authorOnlyMessage: Record<Role, Outcome> = { ...privateMessage, member: 403 };
const organizerOnly: Record<Role, Outcome> = { none: 401, guest: 403, stranger: 403, member: 403, owner: OK, admin: 403 };
const roomPartners: Record<Role, Outcome> = { none: 401, guest: [403, 404], stranger: [403, 404], member: OK, owner: OK, admin: [403, 404] };
const adminOnly: Record<Role, Outcome> = { none: 401, guest: 403, stranger: 403, member: 403, owner: 403, admin: OK };
/** The Apps API authenticates by application token in the path, whatever the session. */
const byAppToken = open;

const rules: Record<string, Rule> = {
  'GET /healthz': open,
  'POST /v1/users': open,
  'GET /v1/users': registered,
  // Wrong credentials on purpose: 401 for everyone is the login route working, not a guard.
  'POST /v1/sessions': everyone(401),
  'DELETE /v1/sessions': { ...registered, destructive: true },
  'DELETE /v1/sessions/mine': { ...anySession, destructive: true },
  'POST /v1/auth/anonymous': open,
  'GET /v1/users/me': anySession,
  'PATCH /v1/users/me': registered,
  'DELETE /v1/users/me': { ...registered, destructive: true },
  'PUT /v1/users/me/password': { ...registered, destructive: true },
  'GET /v1/users/{id}': registered,
  'GET /v1/channels': registered,
  'POST /v1/channels': registered,
  'GET /v1/channels/{id}': privateChannel,
  'POST /v1/channels/{id}': { ...privateChannel, member: OK, owner: OK },
  'PATCH /v1/channels/{id}': creatorOnly,
  'DELETE /v1/channels/{id}': { ...creatorOnly, destructive: true },
  'GET /v1/channels/{id}/members': privateChannel,
  'POST /v1/channels/{id}/members': { ...creatorOnly, destructive: true },
  'DELETE /v1/channels/{id}/members': { ...creatorOnly, member: OK, destructive: true },
  'POST /v1/channels/{id}/read': { ...privateChannel, member: OK, owner: OK },
  'GET /v1/channels/{id}/search': privateChannel,
  'GET /v1/search': registered,
  'PATCH /v1/messages/{id}': authorOnlyMessage,
  'DELETE /v1/messages/{id}': { ...authorOnlyMessage, destructive: true },
  'PUT /v1/messages/{id}/reactions/{emoji}': privateMessage,
  'DELETE /v1/messages/{id}/reactions/{emoji}': privateMessage,
  'POST /v1/dms': registered,
  'PUT /v1/users/{id}/block': { ...registered, destructive: true },
  'DELETE /v1/users/{id}/block': { ...registered, destructive: true },
  'GET /v1/users/me/blocks': registered,
  'GET /v1/channels/{id}/pins': privateChannel,
  'PUT /v1/channels/{id}/pins/{message_id}': { ...privateChannel, member: OK, owner: OK },
  'DELETE /v1/channels/{id}/pins/{message_id}': { ...privateChannel, member: OK, owner: OK },
  'GET /v1/messages/{id}/replies': privateMessage,
  'GET /v1/notifications': registered,
  'POST /v1/notifications/read': registered,
  'GET /v1/channels/{id}/notifications': privateChannel,
  'PUT /v1/channels/{id}/notifications': { ...privateChannel, member: OK, owner: OK },
  'GET /v1/events': registered,
  'POST /v1/events': registered,
  'GET /v1/events/join': registered,
  'POST /v1/events/join': registered,
  'GET /v1/events/{id}': registered,
  'PATCH /v1/events/{id}': organizerOnly,
  'DELETE /v1/events/{id}': { ...organizerOnly, destructive: true },
  'PUT /v1/events/{id}/rsvp': registered,
  'GET /v1/events/{id}/attendees': registered,
  'GET /v1/events/{id}/calendar.ics': registered,
  'POST /v1/events/{id}/polls': organizerOnly,
  'GET /v1/events/{id}/polls': registered,
  'PUT /v1/polls/{id}/vote': { ...registered, stranger: 403, admin: 403 },
  'POST /v1/polls/{id}/close': { ...organizerOnly, destructive: true },
  'GET /v1/users/me/alerts': registered,
  // The feed is read by calendar apps with the secret in its URL, not a session.
  'GET /v1/users/me/calendar.ics': { ...everyone(OK), guest: [401, 403, 404], none: [401, 403, 404] },
  'POST /v1/users/me/calendar-feed': registered,
  'DELETE /v1/users/me/calendar-feed': registered,
  'POST /v1/queue': { ...anySession, destructive: true },
  'GET /v1/queue': anySession,
  'DELETE /v1/queue': anySession,
  'POST /v1/rooms/{id}/leave': { ...roomPartners, destructive: true },
  'POST /v1/rooms/{id}/block': { ...roomPartners, destructive: true },
  'POST /v1/reports': anySession,
  'GET /v1/admin/reports': adminOnly,
  'POST /v1/admin/bans': { ...adminOnly, destructive: true },
  'GET /v1/albums': registered,
  'POST /v1/albums': registered,
  'GET /v1/albums/{id}': registered,
  'GET /v1/albums/{id}/reviews': registered,
  'GET /v1/reviews/album/{albumId}': registered,
  'POST /v1/reviews': registered,
  'PUT /v1/reviews/{id}': creatorOnly,
  'DELETE /v1/reviews/{id}': { ...creatorOnly, destructive: true },
  'GET /v1/users/{id}/reviews': registered,
  'POST /v1/forums/rooms': registered,
  'GET /v1/forums/rooms': registered,
  'GET /v1/forums/rooms/{id}': registered,
  'DELETE /v1/forums/rooms/{id}': { ...creatorOnly, admin: OK, destructive: true },
  // No account needed; a guest session is refused like every guest outside Talk now.
  'POST /api/applications': { ...byAppToken, guest: [201, 403] },
  // The upgrade refuses a missing token; without an upgrade an authenticated GET is a 4xx of its own.
  'GET /v1/ws': { ...anySession, none: [401, 426] },
  // Lists the caller's own applications: a session is required.
  'GET /api/applications': { ...everyone(OK), none: 401, guest: [200, 403] },
  'GET /api/applications/{token}': byAppToken,
  'PATCH /api/applications/{token}': byAppToken,
  'PUT /api/applications/{token}': byAppToken,
  'POST /api/applications/{token}/rotate': { ...byAppToken, destructive: true },
  'POST /api/applications/{token}/chats': byAppToken,
  'GET /api/applications/{token}/chats': byAppToken,
  'GET /api/applications/{token}/chats/{chat_number}': byAppToken,
  'PATCH /api/applications/{token}/chats/{chat_number}': byAppToken,
  'PUT /api/applications/{token}/chats/{chat_number}': byAppToken,
  'POST /api/applications/{token}/chats/{chat_number}': byAppToken,
  'POST /api/applications/{token}/chats/{chat_number}/messages': byAppToken,
  'GET /api/applications/{token}/chats/{chat_number}/messages': byAppToken,
  'GET /api/applications/{token}/chats/{chat_number}/messages/{message_number}': byAppToken,
  'PATCH /api/applications/{token}/chats/{chat_number}/messages/{message_number}': byAppToken,
  'PUT /api/applications/{token}/chats/{chat_number}/messages/{message_number}': byAppToken,
  'GET /api/applications/{token}/chats/{chat_number}/search': byAppToken,
};

const QUERIES: Record<string, string> = { '/v1/channels/{id}/search': '?q=only', '/v1/search': '?q=only', '/api/applications/{token}/chats/{chat_number}/search': '?q=hello' };

function tokenOf(world: World, role: Role, template: string): string | undefined {
  if (role === 'none') return undefined;
  // In a Talk-now room the two guests are its people.
  if (template.startsWith('/v1/rooms/') && (role === 'owner' || role === 'member')) return world.partners[role === 'owner' ? 0 : 1];
  return world.tokens[role];
}

function accepts(outcome: Outcome, status: number): boolean {
  if (status >= 500) return false;
  if (outcome === OK) return status !== 401 && status !== 403;
  if (outcome === READ) return status >= 200 && status < 300;
  return Array.isArray(outcome) ? outcome.includes(status) : outcome === status;
}

describeEachDialect('authorization matrix', (dialect) => {
  let server: TestRiff;
  let routes: { method: string; template: string }[] = [];
  let shared: World;
  beforeAll(async () => {
    // Vent entries the queue route's tries leave behind must not become the fixture's talk partners.
    server = await startRiff(dialect, { config: { matching: { ...defaultConfig.matching, fallbackMs: 24 * 3_600_000 } } });
    const spec = (await call(server.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(spec.paths).flatMap(([template, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), template })));
    shared = await buildWorld(server);
  });
  afterAll(() => server.close());

  it('every route in /openapi.json has an authorization rule', () => {
    const missing = routes.map((r) => `${r.method} ${r.template}`).filter((key) => !(key in rules));
    expect(missing, `routes without a rule in test/security/authorization.test.ts — add one:\n${missing.join('\n')}`).toEqual([]);
    expect(routes.length).toBeGreaterThan(50);
  });

  it('private channel content never shows through search to non-members', async () => {
    for (const role of ['guest', 'stranger', 'admin'] as const) {
      const response = await call(server.url, 'GET', '/v1/search?q=only', shared.tokens[role]);
      expect(JSON.stringify(response.body), role).not.toContain('only for us');
    }
    const member = await call(server.url, 'GET', '/v1/search?q=only', shared.tokens.member);
    expect(JSON.stringify(member.body)).toContain('only for us');
  });

  it('every route answers every role as API.md says, never with a 5xx', async () => {
    const wrong: string[] = [];
    let tried = 0;
    for (const { method, template } of routes) {
      const rule = rules[`${method} ${template}`];
      if (!rule) continue;
      for (const role of ROLES) {
        const world = rule.destructive ? await buildWorld(server) : shared;
        const path = pathIn(world, template) + (QUERIES[template] ?? '');
        const response = await call(server.url, method, path, tokenOf(world, role, template), bodyFor(world, method, template));
        tried++;
        if (!accepts(rule[role], response.status)) wrong.push(`${method} ${template} as ${role}: expected ${JSON.stringify(rule[role])}, got ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
      }
    }
    expect(wrong, `${wrong.length} of ${tried} tries answered wrongly`).toEqual([]);
    console.info(`authorization matrix [${dialect}]: ${routes.length} routes × ${ROLES.length} roles = ${tried} tries`);
  }, 180_000);

});
