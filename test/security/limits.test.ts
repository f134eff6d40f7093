/**
 * Limits of issue #13: per-user and per-IP rate limits (429, `Retry-After`, `RateLimit-*`),
 * shared by the nodes of a cluster; body and frame sizes; sockets per user; pagination caps.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RiffApiError } from '../../src/client/index.js';
import { ConfigError, defaultConfig, loadConfig, type RateLimits } from '../../src/config.js';
import { ManualClock } from '../../src/platform/clock.js';
import { CloseCode } from '../../src/platform/gateway/protocol.js';
import { failure, randomTag, refused } from '../helpers/failures.js';
import { busPrefix, deleteRedisKeys } from '../helpers/nodes.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/services.js';
import { closeAllSockets, connect } from '../helpers/socket.js';

const HOUR = 3_600_000;
const rule = (max: number, windowMs = HOUR) => ({ max, windowMs });

/** Tight limits, each on its own counter, so one test's traffic does not use another's. */
const tight: RateLimits = {
  ...defaultConfig.rateLimits,
  messagesPerUser: rule(3),
  messagesPerIp: rule(5),
  searchesPerUser: rule(2),
  queueJoinsPerUser: rule(2),
  reviewsPerUser: rule(1),
  applicationsPerIp: rule(2),
};

function rateHeaders(error: RiffApiError) {
  return {
    retryAfter: Number(error.headers.get('retry-after')),
    limit: error.headers.get('ratelimit-limit'),
    remaining: error.headers.get('ratelimit-remaining'),
    reset: Number(error.headers.get('ratelimit-reset')),
  };
}

describeEachDialect('rate limits', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock, config: { rateLimits: tight } });
  });
  afterAll(() => server.close());
  afterEach(async () => {
    await closeAllSockets();
    // Every window starts afresh for the next test.
    clock.advance(HOUR);
  });

  it('message sends per user: RateLimit-* on each answer, then 429 with Retry-After; REST and socket share one count', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    const remaining: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { headers } = await me.request('POST', '/v1/channels/general', { body: `hello ${i}` });
      expect(headers.get('ratelimit-limit')).toBe('3');
      remaining.push(headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['2', '1']);
    const socket = await connect(server.url, { token: me.token! });
    socket.send({ type: 'send', channel_id: 'general', body: 'third, by socket', nonce: 'n-3' });
    await socket.next('ack', (frame) => frame.nonce === 'n-3');
    const limited = await refused(me.post('general', { body: 'fourth' }), 429, 'rate_limited');
    expect(rateHeaders(limited)).toMatchObject({ limit: '3', remaining: '0' });
    expect(rateHeaders(limited).retryAfter).toBeGreaterThan(0);
    expect(rateHeaders(limited).reset).toBeGreaterThan(0);
    socket.send({ type: 'send', channel_id: 'general', body: 'fifth, by socket', nonce: 'n-5' });
    expect(await socket.next('error', (frame) => frame.nonce === 'n-5')).toMatchObject({ code: 'rate_limited' });
    clock.advance(HOUR);
    await me.post('general', { body: 'after the window' });
  });

  it('message sends per IP: a second user from the same address is stopped by the address count', async () => {
    const first = server.client();
    const second = server.client();
    await first.signUp(newMusician());
    await second.signUp(newMusician());
    for (let i = 0; i < 3; i++) await first.post('general', { body: `first ${i}` });
    for (let i = 0; i < 2; i++) await second.post('general', { body: `second ${i}` });
    const limited = await refused(second.post('general', { body: 'one too many from here' }), 429, 'rate_limited');
    expect(rateHeaders(limited).limit).toBe('5');
  });

  it('search per user: 429 past the limit, both search routes counted together', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    await me.search(randomTag());
    await me.searchChannel('general', randomTag());
    await refused(me.search(randomTag()), 429, 'rate_limited');
  });

  it('Talk-now queue per user: 429 past the limit', async () => {
    const guest = server.client();
    await guest.guest();
    await guest.enqueue('vent');
    await guest.enqueue('vent');
    await refused(guest.enqueue('vent'), 429, 'rate_limited');
  });

  it('review creation per user: 429 past the limit', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    const first = await me.addAlbum({ title: `First ${randomTag()}`, artist: 'Limits' });
    const second = await me.addAlbum({ title: `Second ${randomTag()}`, artist: 'Limits' });
    await me.review({ album_id: first.id, rating: 4 });
    await refused(me.review({ album_id: second.id, rating: 3 }), 429, 'rate_limited');
  });

  it('application creation per IP: 429 past the limit, with or without a session', async () => {
    await server.client().createApplication({ application_name: 'one' });
    const me = server.client();
    await me.signUp(newMusician());
    await me.createApplication({ application_name: 'two' });
    await refused(server.client().createApplication({ application_name: 'three' }), 429, 'rate_limited');
  });
});

describe('rate limits off', () => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite', { config: { rateLimits: { ...tight, enabled: false } } });
  });
  afterAll(() => server.close());

  it('RATE_LIMITS=off lifts every limit: no 429 and no RateLimit headers', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    for (let i = 0; i < 8; i++) {
      const { headers } = await me.request('POST', '/v1/channels/general', { body: `unlimited ${i}` });
      expect(headers.get('ratelimit-limit')).toBeNull();
    }
  });
});

describe('RATE_LIMITS setting', () => {
  it('takes on, off, or rules like messagesPerUser=50/10s', () => {
    expect(loadConfig({ RATE_LIMITS: 'off' }).rateLimits.enabled).toBe(false);
    const custom = loadConfig({ RATE_LIMITS: 'messagesPerUser=50/10s,searchesPerIp=500/1m' }).rateLimits;
    expect(custom).toMatchObject({ enabled: true, messagesPerUser: { max: 50, windowMs: 10_000 }, searchesPerIp: { max: 500, windowMs: 60_000 } });
    expect(custom.reviewsPerUser).toEqual(defaultConfig.rateLimits.reviewsPerUser);
  });

  it.each(['sometimes', 'noSuchRule=1/1s', 'messagesPerUser=10', 'messagesPerUser=10/0s'])('refuses %s with a one-line message', (value) => {
    expect(() => loadConfig({ RATE_LIMITS: value })).toThrow(ConfigError);
  });
});

const redisUp = await redisAvailable();

describeEachDialect('rate limits across nodes', (dialect) => {
  const prefix = busPrefix();
  let first: TestRiff;
  let second: TestRiff;
  beforeAll(async () => {
    if (!redisUp) return;
    const shared = { busUrl: TEST_REDIS_URL, busPrefix: prefix, rateLimits: tight };
    first = await startRiff(dialect, { config: shared });
    // The second node uses the first one's database: one cluster on one PostgreSQL (or SQLite file) and one Redis.
    second = await startRiff(dialect, { config: { ...shared, dataDir: first.config.dataDir, databaseUrl: first.config.databaseUrl } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
  });

  it.skipIf(!redisUp)('two nodes on one Redis count one user’s sends together', async () => {
    const signedUp = await first.client().signUp(newMusician());
    const onFirst = first.client(signedUp.token);
    const onSecond = second.client(signedUp.token);
    await onFirst.post('general', { body: 'one' });
    await onSecond.post('general', { body: 'two' });
    await onFirst.post('general', { body: 'three' });
    const limited = await refused(onSecond.post('general', { body: 'four' }), 429, 'rate_limited');
    expect(rateHeaders(limited).limit).toBe('3');
  });
});

describeEachDialect('size and count limits', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, {
      config: { gateway: { ...defaultConfig.gateway, maxFrameBytes: 4096, maxSocketsPerUser: 2 }, privateChannelMemberCap: 3 },
    });
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  it('a private channel or group DM holds at most its cap (409 channel_full); public channels have none', async () => {
    const people = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const client = server.client();
        return { client, id: (await client.signUp(newMusician())).id };
      }),
    );
    const [owner, a, b, c, d] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0], (typeof people)[0], (typeof people)[0]];
    await refused(owner.client.createChannel({ name: 'too many', private: true, members: [a.id, b.id, c.id] }), 409, 'channel_full');
    const band = await owner.client.createChannel({ name: 'trio', private: true, members: [a.id] });
    // Two adds at once for the last place: exactly one gets it.
    const results = await Promise.allSettled([owner.client.addMember(band.id, b.id), owner.client.addMember(band.id, c.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await owner.client.members(band.id)).length).toBe(3);
    await refused(owner.client.addMember(band.id, d.id), 409, 'channel_full');
    await refused(owner.client.openDm({ user_ids: [a.id, b.id, c.id] }), 409, 'channel_full');
    const open = await owner.client.createChannel({ name: 'everyone' });
    for (const person of [a, b, c, d]) await person.client.addMember(open.id, person.id);
    expect((await owner.client.members(open.id)).length).toBe(5);
  });

  it('a body over 1 MiB is a 413 payload_too_large envelope', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    const error = await failure(me.request('POST', '/v1/channels/general', { body: 'x'.repeat(1_048_577) }));
    expect({ status: error.status, code: error.code }).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('a socket frame over the frame limit closes the socket with 1009 (message too big)', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    const socket = await connect(server.url, { token: me.token! });
    socket.send({ type: 'send', channel_id: 'general', body: 'x'.repeat(5000), nonce: 'big' });
    expect((await socket.closed).code).toBe(1009);
  });

  it('a user’s socket past the per-user maximum is closed with 4431 and a reason; closing one makes room', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    const sockets = [await connect(server.url, { token: me.token! }), await connect(server.url, { token: me.token! })];
    const extra = await connect(server.url, { token: me.token!, untilOpen: true });
    const closed = await extra.closed;
    expect(closed.code).toBe(CloseCode.tooManySockets);
    expect(closed.reason).toMatch(/at most 2 per user/);
    // Someone else is not affected.
    const other = server.client();
    await other.signUp(newMusician());
    await connect(server.url, { token: other.token! });
    await sockets[0]!.close();
    await connect(server.url, { token: me.token! });
  });

  it('pagination: limit above 100 is a 400 naming limit on every list, and every limit in /openapi.json says maximum 100', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    for (const path of ['/v1/users', '/v1/channels/general', '/v1/channels/general/search?q=abc', '/v1/search?q=abc', '/v1/events', '/v1/albums', '/v1/forums/rooms']) {
      const url = `${path}${path.includes('?') ? '&' : '?'}limit=101`;
      const error = await refused(me.request('GET', url), 400, 'validation_failed');
      expect(JSON.stringify(error.body.details), path).toContain('limit');
      await me.request('GET', url.replace('limit=101', 'limit=100'));
    }
    const spec = (await me.request<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: { maximum?: number } }> }>> }>('GET', '/openapi.json')).data;
    const limits = Object.values(spec.paths).flatMap((operations) => Object.values(operations).flatMap((op) => (op.parameters ?? []).filter((p) => p.name === 'limit')));
    expect(limits.length).toBeGreaterThan(5);
    for (const parameter of limits) expect(parameter.schema.maximum).toBe(100);
  });
});
