/** A fixture world for the security tests: one of each resource, and plain HTTP calls with a timeout. */
import { newMusician, type TestRiff } from '../helpers/riff.js';

export type Role = 'none' | 'guest' | 'stranger' | 'member' | 'owner' | 'admin';

/** What the private rooms of the world hold: text only their members may ever see. */
export const SECRETS = { privateChannel: 'only for us', dm: 'between the two of us', room: 'told a stranger in Talk now' } as const;

export interface Response {
  status: number;
  body: unknown;
}

export async function call(url: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // calendar.ics and friends are not JSON
  }
  return { status: response.status, body: parsed };
}

export interface World {
  tokens: Record<Exclude<Role, 'none'>, string>;
  /** Talk-now partners: their room is "owned" by the first, "joined" by the second. */
  partners: [string, string];
  ids: { ownerId: string; memberId: string; strangerId: string; privateChannel: string; dm: string; publicChannel: string; message: string; meetup: string; poll: string; room: string; album: string; review: string; forum: string; appToken: string; chat: number; appMessage: number };
}

function must(response: Response, what: string): any {
  if (response.status >= 300) throw new Error(`fixture: ${what} answered ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A small world holding one of each resource, owned by `owner`, shared with `member`. */
export async function buildWorld(server: TestRiff): Promise<World> {
  const u = server.url;
  const signUp = async () => must(await call(u, 'POST', '/v1/users', undefined, newMusician()), 'sign-up') as { id: string; username: string; token: string };
  const guest = async () => must(await call(u, 'POST', '/v1/auth/anonymous', undefined, {}), 'guest') as { user_id: string; token: string };
  const [owner, member, stranger, admin, g, a, b] = await Promise.all([signUp(), signUp(), signUp(), signUp(), guest(), guest(), guest()]);
  await server.riff.accounts.grantAdmin(server.riff.storage.db, admin.username);
  const privateChannel = must(await call(u, 'POST', '/v1/channels', owner.token, { name: `secret ${owner.id}`, private: true, members: [member.id] }), 'private channel').id;
  const publicChannel = must(await call(u, 'POST', '/v1/channels', owner.token, { name: `open ${owner.id}` }), 'public channel').id;
  const message = must(await call(u, 'POST', `/v1/channels/${privateChannel}`, owner.token, { body: SECRETS.privateChannel }), 'message').id;
  // A private conversation of exactly two people, as a direct message is.
  const dm = must(await call(u, 'POST', '/v1/channels', owner.token, { name: `dm ${owner.id}`, private: true, members: [member.id] }), 'dm').id;
  must(await call(u, 'POST', `/v1/channels/${dm}`, member.token, { body: SECRETS.dm }), 'dm message');
  must(await call(u, 'PUT', `/v1/messages/${message}/reactions/${encodeURIComponent('👍')}`, member.token), 'reaction');
  const meetup = must(
    await call(u, 'POST', '/v1/events', owner.token, { title: 'Jam', starts_at: new Date(Date.now() + 86_400_000 * 30).toISOString(), time_zone: 'UTC', location: 'Cellar' }),
    'meetup',
  ).id;
  must(await call(u, 'POST', '/v1/events/join', member.token, { event_id: meetup }), 'join');
  const poll = must(await call(u, 'POST', `/v1/events/${meetup}/polls`, owner.token, { kind: 'generic', question: 'Snacks?', options: ['yes', 'no'] }), 'poll').id;
  must(await call(u, 'POST', '/v1/queue', a.token, { mode: 'talk' }), 'queue a');
  const matched = must(await call(u, 'POST', '/v1/queue', b.token, { mode: 'talk' }), 'queue b') as { room_id?: string };
  if (!matched.room_id) throw new Error(`fixture: the two guests were not matched: ${JSON.stringify(matched)}`);
  must(await call(u, 'POST', `/v1/channels/${matched.room_id}`, a.token, { body: SECRETS.room }), 'room message');
  const album = must(await call(u, 'POST', '/v1/albums', owner.token, { title: `Album ${owner.id}`, artist: 'Riffers', genres: ['jazz'] }), 'album').id;
  const review = must(await call(u, 'POST', '/v1/reviews', owner.token, { album_id: album, rating: 4.5, review_text: 'Grooves.' }), 'review').id;
  const forum = must(await call(u, 'POST', '/v1/forums/rooms', owner.token, { room_type: 'album', album_id: album }), 'forum').id;
  const appToken = must(await call(u, 'POST', '/api/applications', owner.token, { application_name: 'Matrix' }), 'application').application_token;
  const chat = must(await call(u, 'POST', `/api/applications/${appToken}/chats`, undefined, { chat_name: 'ops' }), 'chat').chat_number;
  const appMessage = must(await call(u, 'POST', `/api/applications/${appToken}/chats/${chat}/messages`, undefined, { message_content: 'hello' }), 'app message').message_number;
  return {
    tokens: { guest: g.token, stranger: stranger.token, member: member.token, owner: owner.token, admin: admin.token },
    partners: [a.token, b.token],
    ids: { ownerId: owner.id, memberId: member.id, strangerId: stranger.id, privateChannel, dm, publicChannel, message, meetup, poll, room: matched.room_id, album, review, forum, appToken, chat, appMessage },
  };
}

/** The concrete path of a route template in this world. */
export function pathIn(world: World, template: string): string {
  const { ids } = world;
  const resource = template.split('/')[2] ?? '';
  const byResource: Record<string, string> = {
    channels: ids.privateChannel,
    messages: ids.message,
    events: ids.meetup,
    polls: ids.poll,
    rooms: ids.room,
    albums: ids.album,
    reviews: ids.review,
    users: ids.ownerId,
    forums: ids.forum,
  };
  return template
    .replace('{albumId}', ids.album)
    .replace('{id}', byResource[resource] ?? '')
    .replace('{message_id}', ids.message)
    .replace('{emoji}', encodeURIComponent('👍'))
    .replace('{token}', ids.appToken)
    .replace('{chat_number}', String(ids.chat))
    .replace('{message_number}', String(ids.appMessage));
}

/** A valid body for the route, so an allowed caller reaches its handler. */
export function bodyFor(world: World, method: string, template: string): unknown {
  const { ids } = world;
  const bodies: Record<string, unknown> = {
    'POST /v1/users': newMusician(),
    'POST /v1/sessions': { username: 'nobody-here', password: 'wrong password' },
    'PATCH /v1/users/me': { city: 'Lisbon' },
    'POST /v1/channels': { name: `room ${Math.random()}` },
    'POST /v1/channels/{id}': { body: 'hi' },
    'PATCH /v1/channels/{id}': { description: 'renamed' },
    'POST /v1/channels/{id}/members': { user_id: ids.strangerId },
    'DELETE /v1/channels/{id}/members': { user_id: ids.memberId },
    'POST /v1/channels/{id}/read': { seq: 1 },
    'POST /v1/dms': { user_id: ids.memberId },
    'POST /v1/notifications/read': { all: true },
    'PUT /v1/channels/{id}/notifications': { level: 'mentions' },
    'PATCH /v1/messages/{id}': { body: 'edited' },
    'POST /v1/events': { title: 'Another', starts_at: new Date(Date.now() + 86_400_000 * 40).toISOString(), time_zone: 'UTC', location: 'Park' },
    'POST /v1/events/join': { event_id: ids.meetup },
    'PATCH /v1/events/{id}': { description: 'bring a bass' },
    'PUT /v1/events/{id}/rsvp': { status: 'maybe' },
    'POST /v1/events/{id}/polls': { kind: 'generic', question: 'Again?', options: ['a', 'b'] },
    'PUT /v1/polls/{id}/vote': { option: 0 },
    'POST /v1/queue': { mode: 'vent' },
    'POST /v1/reports': { room_id: ids.room, reason: 'spam' },
    'POST /v1/admin/bans': { user_id: ids.memberId },
    'POST /v1/albums': { title: `Other ${Math.random()}`, artist: 'Band', genres: [] },
    'POST /v1/reviews': { album_id: ids.album, rating: 3, review_text: 'ok' },
    'PUT /v1/reviews/{id}': { rating: 5, review_text: 'better' },
    'POST /v1/forums/rooms': { room_type: 'genre', genre: 'jazz' },
    'POST /api/applications': { application_name: 'Another' },
    'PATCH /api/applications/{token}': { application_name: 'Renamed' },
    'PUT /api/applications/{token}': { application_name: 'Renamed' },
    'POST /api/applications/{token}/chats': { chat_name: 'more' },
    'PATCH /api/applications/{token}/chats/{chat_number}': { chat_name: 'renamed' },
    'PUT /api/applications/{token}/chats/{chat_number}': { chat_name: 'renamed' },
    'POST /api/applications/{token}/chats/{chat_number}': { message_content: 'x' },
    'POST /api/applications/{token}/chats/{chat_number}/messages': { message_content: 'x' },
    'PATCH /api/applications/{token}/chats/{chat_number}/messages/{message_number}': { message_content: 'y' },
    'PUT /api/applications/{token}/chats/{chat_number}/messages/{message_number}': { message_content: 'y' },
  };
  return bodies[`${method} ${template}`];
}

