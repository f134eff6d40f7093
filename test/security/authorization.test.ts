/**
 * The authorization matrix of issue #13: every route `/openapi.json` lists is tried with no token,
 * a guest, an unrelated user, a member, the owner and an admin, and answers as API.md says. A route
 * without a rule here fails the test, so a new route cannot skip its authorization review.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect, refusedUpgrade, type TestSocket } from '../helpers/socket.js';
import { bodyFor, buildWorld, call, pathIn, SECRETS, type Role, type World } from './world.js';

const ROLES: Role[] = ['none', 'guest', 'stranger', 'member', 'owner', 'admin'];

/** Allowed through: the route may still answer 4xx for its own reasons, never 401/403; a success is the route's own code. */
const OK = 'ok';
/** Private content a caller may read: the route's success code. */
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

/**
 * Success codes other than 200, as API.md gives them. Two codes where API.md gives two: a repeat
 * (joining a meetup twice, asking for an existing forum room) answers 200 with what exists.
 */
const SUCCESS: Record<string, number | number[]> = {
  'POST /v1/users': 201,
  'POST /v1/sessions': 201,
  'POST /v1/auth/anonymous': 201,
  'POST /v1/channels': 201,
  'POST /v1/channels/{id}': 201,
  'POST /v1/channels/{id}/members': 201,
  // Created, or the one that already existed.
  'POST /v1/dms': [200, 201],
  'POST /v1/events': 201,
  'POST /v1/events/join': [200, 201],
  'POST /v1/events/{id}/polls': 201,
  'POST /v1/users/me/calendar-feed': 201,
  // Queued, or matched at once with someone already waiting.
  'POST /v1/queue': [200, 202],
  'POST /v1/reports': 201,
  'POST /v1/admin/bans': 201,
  'POST /v1/albums': 201,
  'POST /v1/reviews': 201,
  'POST /v1/forums/rooms': [200, 201],
  'POST /api/applications': 201,
  'POST /api/applications/{token}/chats': 201,
  'POST /api/applications/{token}/chats/{chat_number}': 201,
  'POST /api/applications/{token}/chats/{chat_number}/messages': 201,
};

const successOf = (route: string): number[] => [SUCCESS[route] ?? 200].flat();

const QUERIES: Record<string, string> = { '/v1/channels/{id}/search': '?q=only', '/v1/search': '?q=only', '/api/applications/{token}/chats/{chat_number}/search': '?q=hello' };

function tokenOf(world: World, role: Role, template: string): string | undefined {
  if (role === 'none') return undefined;
  // In a Talk-now room the two guests are its people.
  if (template.startsWith('/v1/rooms/') && (role === 'owner' || role === 'member')) return world.partners[role === 'owner' ? 0 : 1];
  return world.tokens[role];
}

function accepts(outcome: Outcome, status: number, success: number[]): boolean {
  if (status >= 500) return false;
  const succeeded = status >= 200 && status < 300;
  if (outcome === OK) return succeeded ? success.includes(status) : status !== 401 && status !== 403;
  if (outcome === READ) return success.includes(status);
  return Array.isArray(outcome) ? outcome.includes(status) : outcome === status;
}

describeEachDialect('authorization matrix', (dialect) => {
  let server: TestRiff;
  let routes: { method: string; template: string }[] = [];
  let shared: World;
  beforeAll(async () => {
    server = await startRiff(dialect);
    const spec = (await call(server.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(spec.paths).flatMap(([template, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), template })));
    shared = await buildWorld(server);
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

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
        // Left in the queue, this caller would be matched (vent pairs with talk after 10 s) with a later world's Talk-now partners.
        if (`${method} ${template}` === 'POST /v1/queue') await call(server.url, 'DELETE', '/v1/queue', tokenOf(world, role, template));
        if (!accepts(rule[role], response.status, successOf(`${method} ${template}`))) wrong.push(`${method} ${template} as ${role}: expected ${JSON.stringify(rule[role])}, got ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
      }
    }
    expect(wrong, `${wrong.length} of ${tried} tries answered wrongly`).toEqual([]);
    console.info(`authorization matrix [${dialect}]: ${routes.length} routes × ${ROLES.length} roles = ${tried} tries`);
  }, 300_000);

  it('over /v1/ws, only members get a private channel, a private conversation or a Talk-now room: by subscribe, after_seq or ?resume= replay, and live', async () => {
    // A world of its own: the route matrix edits the shared one's messages.
    const { ids, tokens, partners } = await buildWorld(server);
    const rooms = [
      { name: 'private channel', id: ids.privateChannel, secret: SECRETS.privateChannel, poster: tokens.owner, insiders: { owner: tokens.owner, member: tokens.member } },
      { name: 'private conversation', id: ids.dm, secret: SECRETS.dm, poster: tokens.member, insiders: { owner: tokens.owner, member: tokens.member } },
      { name: 'Talk-now room', id: ids.room, secret: SECRETS.room, poster: partners[0], insiders: { owner: partners[0], member: partners[1] } },
    ];
    const wrong: string[] = [];
    let tried = 0;
    /** Everything the socket got about the room: frames naming it, or carrying its text. */
    const leaked = (socket: TestSocket, room: (typeof rooms)[number], text: string) =>
      socket.frames.filter((frame) => JSON.stringify(frame).includes(text) || ('channel_id' in frame && frame.channel_id === room.id));

    for (const room of rooms) {
      const outsiders: Record<'guest' | 'stranger' | 'admin', string> = { guest: tokens.guest, stranger: tokens.stranger, admin: tokens.admin };
      // No token: the resume is ignored until an auth frame, and a subscribe instead of one ends the socket.
      const anonymous = await connect(server.url, { auth: 'none', untilOpen: true, resume: { [room.id]: 0 } });
      anonymous.send({ type: 'subscribe', channel_id: room.id, after_seq: 0 });
      const { code } = await anonymous.waitClosed();
      tried++;
      if (code !== 4401 || leaked(anonymous, room, room.secret).length) wrong.push(`${room.name} as none: closed ${code}, got ${JSON.stringify(anonymous.frames)}`);
      const badToken = await refusedUpgrade(server.url, { token: 'not-a-session', resume: { [room.id]: 0 } });
      if (badToken.status !== 401) wrong.push(`${room.name} with a bad token: upgrade answered ${badToken.status}`);

      const watching: { role: string; socket: TestSocket }[] = [];
      for (const [role, token] of Object.entries(outsiders)) {
        for (const auth of ['header', 'frame'] as const) {
          const socket = await connect(server.url, { token, auth, resume: { [room.id]: 0 } });
          socket.send({ type: 'subscribe', channel_id: room.id, after_seq: 0 });
          const refusal = await socket.next('error');
          await socket.roundTrip();
          tried++;
          if (!['forbidden', 'not_found', 'guest_forbidden'].includes(refusal.code)) wrong.push(`${room.name} as ${role} (${auth}): subscribe refused with ${refusal.code}`);
          if (leaked(socket, room, room.secret).length) wrong.push(`${room.name} as ${role} (${auth}): got ${JSON.stringify(leaked(socket, room, room.secret))}`);
          watching.push({ role: `${role} (${auth})`, socket });
        }
      }
      const members: TestSocket[] = [];
      for (const [role, token] of Object.entries(room.insiders)) {
        for (const auth of ['header', 'frame'] as const) {
          const resumed = await connect(server.url, { token, auth, resume: { [room.id]: 0 } });
          tried++;
          await resumed.next('message.created', (frame) => frame.channel_id === room.id && frame.data.body === room.secret).catch((error: Error) => wrong.push(`${room.name} as ${role} (${auth}) resuming: ${error.message}`));
          members.push(resumed);
        }
        const subscribed = await connect(server.url, { token });
        subscribed.send({ type: 'subscribe', channel_id: room.id, after_seq: 0 });
        tried++;
        await subscribed.next('message.created', (frame) => frame.channel_id === room.id && frame.data.body === room.secret).catch((error: Error) => wrong.push(`${room.name} as ${role} subscribing after_seq 0: ${error.message}`));
      }

      // A new message reaches every member's socket live, and none of the refused ones.
      const live = `${room.secret}, live`;
      const posted = await call(server.url, 'POST', `/v1/channels/${room.id}`, room.poster, { body: live });
      if (posted.status !== 201) throw new Error(`posting to the ${room.name} answered ${posted.status} ${JSON.stringify(posted.body)}`);
      for (const socket of members) await socket.next('message.created', (frame) => frame.data.body === live);
      for (const { role, socket } of watching) {
        await socket.roundTrip();
        if (leaked(socket, room, live).length) wrong.push(`${room.name} as ${role}: got the live message`);
      }
      await closeAllSockets();
    }
    expect(wrong, `${wrong.length} of ${tried} socket tries answered wrongly`).toEqual([]);
    console.info(`authorization matrix [${dialect}]: ${rooms.length} private rooms × ${ROLES.length} roles over /v1/ws = ${tried} tries`);
  }, 120_000);

});
