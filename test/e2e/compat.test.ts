/**
 * The original Musician Meetup web client against Riff, black box over real HTTP and WebSocket:
 * every step of ../shared/compat-musician-meetup.md replayed exactly as the client sends it
 * (from another origin, preflights included), asserting every field it reads; then the same
 * always-on steps without COMPAT, where no compatibility field may appear.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect, refusedUpgrade } from '../helpers/socket.js';

const ORIGIN = 'http://meetup.example';
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

type Json = Record<string, unknown>;

/** A request as the browser page sends it: from ORIGIN, with the stored `Authorization` value. */
async function call(riff: TestRiff, method: string, path: string, options: { auth?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { origin: ORIGIN, ...options.headers };
  if (options.auth) headers.authorization = options.auth;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${riff.url}${path}`, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as unknown };
}

/** The browser's preflight for a cross-origin request with these headers. */
async function preflight(riff: TestRiff, method: string, path: string, requestedHeaders: string, origin = ORIGIN) {
  return fetch(`${riff.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestedHeaders },
  });
}

async function expectPreflightAllowed(riff: TestRiff, method: string, path: string, requestedHeaders: string) {
  const response = await preflight(riff, method, path, requestedHeaders);
  expect(response.status, `preflight ${method} ${path}`).toBeGreaterThanOrEqual(200);
  expect(response.status).toBeLessThan(300);
  expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  const methods = (response.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim());
  expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
  const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',').map((h) => h.trim());
  expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization']));
}

function expectExposed(headers: Headers) {
  expect(headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect((headers.get('access-control-expose-headers') ?? '').toLowerCase()).toContain('authorization');
}

let counter = 0;
const camelCaseSignUp = () => {
  const n = `${process.pid}${++counter}${Math.random().toString(36).slice(2, 6)}`;
  return { firstName: 'Ada', lastName: 'Lovelace', email: `ada${n}@example.com`, userName: `ada${n}`.slice(0, 32), password: 'piano1234', passwordConf: 'piano1234' };
};

const tomorrow = () => new Date(Date.now() + 24 * 3_600_000);
/** How a person types a date into the client's text box. */
const typed = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

/** Sign up and log in as the client does; returns the stored `Authorization` value. */
async function signUpAndLogIn(riff: TestRiff, body = camelCaseSignUp()): Promise<string> {
  expect((await preflight(riff, 'POST', '/v1/users', 'content-type')).status).toBeLessThan(300);
  const signUp = await call(riff, 'POST', '/v1/users', { json: body });
  expect(signUp.status).toBeGreaterThanOrEqual(200);
  expect(signUp.status).toBeLessThan(300);
  const login = await call(riff, 'POST', '/v1/sessions', { json: { email: body.email, password: body.password } });
  expect(login.status).toBeLessThan(300);
  expectExposed(login.headers);
  const authorization = login.headers.get('authorization');
  expect(authorization).toMatch(/^Bearer [A-Za-z0-9._~-]+$/);
  return authorization!;
}

describeEachDialect('the original Musician Meetup client with COMPAT=musician-meetup', (dialect) => {
  let riff: TestRiff;
  beforeAll(async () => {
    riff = await startRiff(dialect, { config: { corsOrigins: [ORIGIN], compat: 'musician-meetup' } });
  });
  afterAll(() => riff.close());
  afterEach(() => closeAllSockets());

  it('works through every step the client takes, reading every field it reads', async () => {
    // sign up + log in (with their preflights)
    await expectPreflightAllowed(riff, 'POST', '/v1/users', 'content-type');
    await expectPreflightAllowed(riff, 'POST', '/v1/sessions', 'content-type');
    const auth = await signUpAndLogIn(riff);
    const token = auth.slice('Bearer '.length);

    // create, with free datetime text
    await expectPreflightAllowed(riff, 'POST', '/v1/events', 'authorization,content-type');
    const when = tomorrow();
    const created = await call(riff, 'POST', '/v1/events', { auth, json: { title: 'Jazz jam', datetime: typed(when), location: 'The Cellar', description: 'Bring a horn' } });
    expect(created.status).toBeGreaterThanOrEqual(200);
    expect(created.status).toBeLessThan(300);
    expectExposed(created.headers);

    // browse
    await expectPreflightAllowed(riff, 'GET', '/v1/events', 'authorization');
    const browse = await call(riff, 'GET', '/v1/events', { auth });
    expect(browse.status).toBe(200);
    expectExposed(browse.headers);
    expect(Array.isArray(browse.body)).toBe(true);
    const listed = (browse.body as Json[]).find((item) => item.title === 'Jazz jam')!;
    expect(listed).toMatchObject({ title: 'Jazz jam', location: 'The Cellar', description: 'Bring a horn' });
    expect(listed.id).toMatch(URL_SAFE);
    expect(new Date(listed.datetime as string).toISOString().slice(0, 16)).toBe(when.toISOString().slice(0, 16));

    // somebody else's meetup, which this user then joins
    const organizer = await signUpAndLogIn(riff);
    const other = await call(riff, 'POST', '/v1/events', { auth: organizer, json: { title: 'Folk night', datetime: when.toISOString(), location: 'The Barn', description: '' } });
    expect(other.status).toBeLessThan(300);
    const otherId = (other.body as Json).id as string;

    // joined? (once per listed meetup)
    await expectPreflightAllowed(riff, 'GET', '/v1/events/join', 'authorization');
    const before = await call(riff, 'GET', '/v1/events/join', { auth });
    expect(before.status).toBe(200);
    expect((before.body as Json[]).some((item) => item.id === otherId)).toBe(false);
    expect((before.body as Json[]).some((item) => item.id === listed.id)).toBe(true);

    // join
    await expectPreflightAllowed(riff, 'POST', '/v1/events/join', 'authorization,content-type');
    const joined = await call(riff, 'POST', '/v1/events/join', { auth, json: { id: otherId } });
    expect(joined.status).toBeGreaterThanOrEqual(200);
    expect(joined.status).toBeLessThan(300);

    // my meetups
    const mine = await call(riff, 'GET', '/v1/events/join', { auth });
    const folk = (mine.body as Json[]).find((item) => item.id === otherId)!;
    expect(folk).toMatchObject({ title: 'Folk night', location: 'The Barn', description: '', datetime: expect.any(String), channel: expect.any(String) });
    const channel = folk.channel as string;
    expect(channel).toMatch(URL_SAFE);

    // live (opened before sending, so the message arrives through it)
    const socket = await connect(riff.url, { token, auth: 'query', ws: { origin: ORIGIN } });

    // send
    await expectPreflightAllowed(riff, 'POST', `/v1/channels/${channel}`, 'authorization,content-type');
    const sent = await call(riff, 'POST', `/v1/channels/${channel}`, { auth, json: { body: 'Count me in' } });
    expect(sent.status).toBeGreaterThanOrEqual(200);
    expect(sent.status).toBeLessThan(300);
    const frame = (await socket.next('message.created', (f) => f.channel_id === channel)) as unknown as { message: Json & { creator: Json } };
    expect(frame.message).toMatchObject({ channelID: channel, body: 'Count me in', id: expect.stringMatching(URL_SAFE), createdAt: expect.any(String), editedAt: null });
    expect(frame.message.creator).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });

    // open chat: every history item has a creator with names, announcements included
    await expectPreflightAllowed(riff, 'GET', `/v1/channels/${channel}`, 'authorization');
    const history = await call(riff, 'GET', `/v1/channels/${channel}`, { auth });
    expect(history.status).toBe(200);
    const items = history.body as Array<Json & { creator: Json }>;
    expect(items.length).toBeGreaterThan(1);
    expect(items.some((item) => item.kind === 'announcement')).toBe(true);
    for (const item of items) {
      expect(typeof item.creator.firstName).toBe('string');
      expect(typeof item.creator.lastName).toBe('string');
      expect(typeof item.body).toBe('string');
    }
    const own = items.find((item) => item.body === 'Count me in')!;
    expect(own.creator).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', userName: expect.stringMatching(/^ada/), photoURL: null });

    // log out: text/html and no body
    await expectPreflightAllowed(riff, 'DELETE', '/v1/sessions/mine', 'authorization,content-type');
    const logout = await call(riff, 'DELETE', '/v1/sessions/mine', { auth, headers: { 'content-type': 'text/html', 'content-length': '0' } });
    expect(logout.status).toBe(200);
    expect((await call(riff, 'GET', '/v1/events/join', { auth })).status).toBe(401);
  });

  it('a message.updated frame carries message too', async () => {
    const auth = await signUpAndLogIn(riff);
    const created = await call(riff, 'POST', '/v1/events', { auth, json: { title: 'Edit me', datetime: typed(tomorrow()), location: 'Here', description: '' } });
    const channel = (created.body as Json).channel as string;
    const socket = await connect(riff.url, { token: auth.slice(7), auth: 'query', ws: { origin: ORIGIN } });
    const sent = await call(riff, 'POST', `/v1/channels/${channel}`, { auth, json: { body: 'frist' } });
    const id = ((sent.body as Json).message as Json | undefined)?.id ?? (sent.body as Json).id;
    const edited = await call(riff, 'PATCH', `/v1/messages/${id as string}`, { auth, json: { body: 'first' } });
    expect(edited.status).toBe(200);
    const frame = (await socket.next('message.updated')) as unknown as { message: Json & { creator: Json } };
    expect(frame.message).toMatchObject({ id, channelID: channel, body: 'first', editedAt: expect.any(String) });
    expect(frame.message.creator.firstName).toBe('Ada');
  });

  it('a datetime that is neither ISO 8601 nor YYYY-MM-DD HH:MM is a 400 naming datetime', async () => {
    const auth = await signUpAndLogIn(riff);
    for (const datetime of ['tomorrow', '2026-02-30 10:00', '']) {
      const response = await call(riff, 'POST', '/v1/events', { auth, json: { title: 'Someday', datetime, location: 'Here', description: '' } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'validation_failed', details: [expect.objectContaining({ field: 'datetime' })] } });
    }
  });

  it('a disallowed origin gets no CORS headers and its socket upgrade is refused', async () => {
    const auth = await signUpAndLogIn(riff);
    const foreign = await preflight(riff, 'GET', '/v1/events', 'authorization', 'http://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await call(riff, 'GET', '/v1/events', { auth, headers: { origin: 'http://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('access-control-expose-headers')).toBeNull();
    const refusal = await refusedUpgrade(riff.url, { token: auth.slice(7), auth: 'query', ws: { origin: 'http://evil.example' } });
    expect(refusal.status).toBe(403);
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'forbidden' } });
    // A client that is no browser sends no Origin and may connect.
    const plain = await connect(riff.url, { token: auth.slice(7), auth: 'query' });
    await plain.close();
  });
});

describeEachDialect('the original Musician Meetup client without COMPAT', (dialect) => {
  let riff: TestRiff;
  beforeAll(async () => {
    riff = await startRiff(dialect, { config: { corsOrigins: [ORIGIN] } });
  });
  afterAll(() => riff.close());
  afterEach(() => closeAllSockets());

  it('the always-on steps work and answers keep the canonical shapes only', async () => {
    const body = camelCaseSignUp();
    const auth = await signUpAndLogIn(riff, body);
    const me = await call(riff, 'GET', '/v1/users/me', { auth });
    expect(me.body).toMatchObject({ username: body.userName, first_name: 'Ada', last_name: 'Lovelace' });

    const when = tomorrow();
    const created = await call(riff, 'POST', '/v1/events', { auth, json: { title: 'Plain', datetime: typed(when), location: 'Here', description: 'x' } });
    expect(created.status).toBe(201);
    const event = created.body as Json;
    expect(event).toMatchObject({ time_zone: 'UTC', genres: [], instruments_wanted: [] });
    expect(new Date(event.starts_at as string).toISOString()).toBe(`${when.toISOString().slice(0, 16)}:00.000Z`);
    expect(event).not.toHaveProperty('datetime');
    expect(event).not.toHaveProperty('channel');

    const joinedAgain = await call(riff, 'POST', '/v1/events/join', { auth, json: { id: event.id } });
    expect(joinedAgain.status).toBe(200);
    const mine = (await call(riff, 'GET', '/v1/events/join', { auth })).body as Json[];
    for (const item of mine) {
      expect(item).not.toHaveProperty('datetime');
      expect(item).not.toHaveProperty('channel');
    }

    const channel = event.channel_id as string;
    const socket = await connect(riff.url, { token: auth.slice(7), auth: 'query', ws: { origin: ORIGIN } });
    await call(riff, 'POST', `/v1/channels/${channel}`, { auth, json: { body: 'hello' } });
    const frame = await socket.next('message.created', (f) => f.channel_id === channel);
    expect(frame).not.toHaveProperty('message');
    expect(frame.data.creator).not.toHaveProperty('firstName');

    const history = (await call(riff, 'GET', `/v1/channels/${channel}`, { auth })).body as Json[];
    for (const item of history) {
      if (item.kind === 'announcement') expect(item.creator).toBeNull();
      else for (const name of ['firstName', 'lastName', 'userName', 'photoURL']) expect(item.creator).not.toHaveProperty(name);
    }

    const logout = await call(riff, 'DELETE', '/v1/sessions/mine', { auth, headers: { 'content-type': 'text/html', 'content-length': '0' } });
    expect(logout.status).toBe(200);
  });

  it('the documented API lists the input aliases', async () => {
    const document = (await call(riff, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Json } }> } }>> };
    const properties = (path: string) => document.paths[path]!.post!.requestBody!.content['application/json']!.schema.properties;
    expect(Object.keys(properties('/v1/users'))).toEqual(expect.arrayContaining(['userName', 'firstName', 'lastName', 'passwordConf']));
    expect(Object.keys(properties('/v1/events'))).toEqual(expect.arrayContaining(['datetime']));
    expect(Object.keys(properties('/v1/events/join'))).toEqual(expect.arrayContaining(['id']));
  });
});
