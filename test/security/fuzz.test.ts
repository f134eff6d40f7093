/**
 * Input fuzzing of issue #13: every POST/PUT/PATCH route of `/openapi.json` and every WebSocket
 * client frame type get wrong types, missing and extra fields, huge strings, deep JSON, numbers
 * at the limits, invalid UTF-8 and injection strings, and every route gets the same in its path
 * parameters and query string. The answer is always a 2xx or a 4xx error envelope (an `error`
 * frame on the socket), never a 5xx, a hang or a dropped connection. And any text that is
 * accepted comes back exactly as sent (message bodies trimmed, as API.md says) from every read.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { describeEachDialect, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect } from '../helpers/socket.js';
import { bodyFor, buildWorld, call, pathIn, type World } from './world.js';

const RUNS_PER_ROUTE = 20;
const RUNS_PER_FRAME_TYPE = 40;
const RUNS_PER_URL = 12;
const RUNS_PER_TEXT_FIELD = 25;
const REQUEST_TIMEOUT_MS = 10_000;

const injections = [
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\u0000',
  '%00',
  '${7*7}',
  '__proto__',
];

/**
 * Path and query text, sent as is (already percent-encoded where it is meant to be): traversal
 * with and without encoding, invalid UTF-8 (`%C3%28`, `%FF`), a NUL, broken escapes, numbers at
 * and past the limits, injection, and huge values.
 */
const urlValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..', '../..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2f', '....//', '%C3%28', '%FF', '%FE%FF', '%ED%A0%80', '%00', 'a%00b', '%', '%zz', '%E2%82',
    '-1', '0', '1.5', '1e308', '-1e308', '9007199254740993', '99999999999999999999999', 'NaN', 'Infinity', 'true', 'null', '[]', '{}',
    encodeURIComponent("'; DROP TABLE users; --"), encodeURIComponent("' OR '1'='1"), encodeURIComponent('<script>alert(1)</script>'), encodeURIComponent('__proto__'),
  ),
  fc.string({ unit: 'binary', maxLength: 30 }).map(encodeURIComponent).filter((text) => text !== ''),
  // Node refuses a request head over 16 KB (431) before Riff sees it: that is tried once, below.
  fc.integer({ min: 1, max: 3 }).map((kb) => 'x'.repeat(kb * 1000)),
);

/** Speaks HTTP itself: fetch would resolve `..` and re-encode the path before sending it. */
function sendRawUrl(url: string, method: string, pathAndQuery: string, token: string, body: unknown): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: hostname,
        port,
        method,
        path: pathAndQuery,
        headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * Text a user may send: any code point, graphemes with emoji, right-to-left text and bidi
 * controls, combining marks, markup and SQL, padded with whitespace. Refused by design, and so
 * left out: NUL, unpaired surrogates, and text with nothing but whitespace.
 */
const userText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.constantFrom(
        '🎸', '👩🏽‍🎤', '🇵🇹', '1️⃣', 'שלום', 'مرحبا', '\u202eevil\u202c', '\u200f', 'e\u0301', 'a\u0308\u0323', 'ﬁ', 'Å', 'Å',
        '<script>window.__xss=1</script>', '<img src=x onerror=window.__xss=1>', '&amp;', "'; DROP TABLE users; --", "' OR '1'='1", '%', '_', '\\', '"',
        ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\ufeff',
      ),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((text) => !text.includes('\u0000') && text.isWellFormed() && /\S/u.test(text) && [...text].length <= 80);

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** A JSON value of a kind the schema does not expect, strings up to `maxKb` KB. */
const nastyUpTo = (maxKb: number): fc.Arbitrary<unknown> => fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(...injections),
  fc.constantFrom(1e308, -1e308, -0, 2 ** 53, -(2 ** 53), 2 ** 31, -1, 0, 0.5),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
  fc.integer({ min: 1, max: maxKb }).map((kb) => 'x'.repeat(kb * 1000)),
  fc.constant(JSON.parse(deepJson(200))),
);
const nasty = nastyUpTo(100);
/** Four of these fit in one WebSocket frame. */
const nastyFrameValue = nastyUpTo(15);

/** A body as raw bytes: mutations of the route's valid body, nasty values, deep JSON text and invalid UTF-8. */
function bodies(valid: Record<string, unknown> | undefined): fc.Arbitrary<Buffer> {
  const fields = Object.keys(valid ?? {});
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const mutated: fc.Arbitrary<unknown>[] = [nasty, fc.dictionary(fc.string({ maxLength: 12 }), nasty, { maxKeys: 5 })];
  if (fields.length) {
    const field = fc.constantFrom(...fields);
    mutated.push(
      fc.tuple(field, nasty).map(([name, value]) => ({ ...valid, [name]: value })),
      field.map((name) => Object.fromEntries(Object.entries(valid!).filter(([key]) => key !== name))),
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), nasty).map(([name, value]) => ({ ...valid, [name]: value })),
    );
  }
  return fc.oneof(
    fc.oneof(...mutated).map(json),
    fc.integer({ min: 1, max: 20_000 }).map((depth) => Buffer.from(deepJson(depth))),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28, 0xff, ...bytes]), Buffer.from('"}')])),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
  );
}

async function send(url: string, method: string, path: string, token: string, body: Buffer) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** A 2xx, or a 4xx carrying the error envelope. */
function wellFormed(status: number, text: string): boolean {
  if (status >= 200 && status < 300) return true;
  if (status < 400 || status >= 500) return false;
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof error?.code === 'string' && typeof error.message === 'string';
  } catch {
    return false;
  }
}

describeEachDialect('fuzzing', (dialect) => {
  let server: TestRiff;
  let world: World;
  let urlWorld: World;
  let textWorld: World;
  let routes: { method: string; template: string }[] = [];
  beforeAll(async () => {
    // Limits are not under test here: a 429 would stand in for the handler's own answer.
    server = await startRiff(dialect, {
      config: {
        rateLimits: { ...defaultConfig.rateLimits, messagesPerUser: { max: 1_000_000, windowMs: 10_000 }, reportsPerUser: { max: 1_000_000, windowMs: 10_000 } },
        gateway: { ...defaultConfig.gateway, frameRate: { max: 1_000_000, windowMs: 10_000 } },
      },
    });
    // One world per test, all built before any fuzzing: fuzzed bodies rotate the application
    // token, and leave fuzzed users in the Talk-now queue where a later world's guests would meet them.
    world = await buildWorld(server);
    urlWorld = await buildWorld(server);
    textWorld = await buildWorld(server);
    const spec = (await call(server.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(spec.paths)
      .flatMap(([template, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), template })))
      .filter(({ method }) => ['POST', 'PUT', 'PATCH'].includes(method))
      // Rotating the application token would leave the Apps routes after it with a dead token.
      .sort((a, b) => Number(a.template.endsWith('/rotate')) - Number(b.template.endsWith('/rotate')));
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  it('every POST/PUT/PATCH route answers malformed bodies with a 2xx or a 4xx envelope, never a 5xx or a hang', async () => {
    const wrong: string[] = [];
    let cases = 0;
    let accepted = 0;
    for (const { method, template } of routes) {
      const path = pathIn(world, template);
      const valid = bodyFor(world, method, template) as Record<string, unknown> | undefined;
      await fc.assert(
        fc.asyncProperty(bodies(valid), async (body) => {
          cases++;
          let outcome: { status: number; text: string };
          try {
            outcome = await send(server.url, method, path, world.tokens.owner, body);
          } catch (error) {
            wrong.push(`${method} ${template}: ${(error as Error).message} for ${body.subarray(0, 120).toString('utf8')}`);
            return;
          }
          if (outcome.status < 300) accepted++;
          if (!wellFormed(outcome.status, outcome.text)) wrong.push(`${method} ${template}: ${outcome.status} ${outcome.text.slice(0, 200)} for ${body.subarray(0, 120).toString('utf8')}`);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }
    expect(wrong, `${wrong.length} of ${cases} fuzz cases answered wrongly`).toEqual([]);
    // Mutations of valid bodies must get past the guards sometimes, or nothing was fuzzed but them.
    expect(accepted).toBeGreaterThan(0);
    console.info(`fuzzing [${dialect}]: ${cases} HTTP cases over ${routes.length} routes, ${accepted} accepted`);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  }, 120_000);

  it('every route answers fuzzed path parameters and query strings with a 2xx or a 4xx envelope, never a 5xx or a hang', async () => {
    const spec = (await call(server.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    const everyRoute = Object.entries(spec.paths).flatMap(([template, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        queryNames: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      })),
    );
    const world = urlWorld;
    const wrong: string[] = [];
    let cases = 0;
    const attempt = async (method: string, template: string, pathAndQuery: string) => {
      cases++;
      try {
        const outcome = await sendRawUrl(server.url, method, pathAndQuery, world.tokens.owner, bodyFor(world, method, template));
        if (!wellFormed(outcome.status, outcome.text)) wrong.push(`${method} ${pathAndQuery.slice(0, 160)}: ${outcome.status} ${outcome.text.slice(0, 200)}`);
      } catch (error) {
        wrong.push(`${method} ${pathAndQuery.slice(0, 160)}: ${(error as Error).message}`);
      }
    };
    // Besides the random draws, every parameter gets each of these, which found real bugs once.
    const alwaysTried = ['1e308', 'Infinity', '-1', '%FF', '%C3%28', '%00', '..%2F..', 'x'.repeat(200)];
    let alwaysCases = 0;
    for (const { method, template, queryNames } of everyRoute) {
      for (const name of template.match(/\{[^}]+\}/g) ?? []) {
        for (const value of alwaysTried) await attempt(method, template, pathIn(world, template.replace(name, '\u0001')).replace('\u0001', value));
        alwaysCases += alwaysTried.length;
      }
      if (method !== 'GET') continue;
      for (const name of queryNames) {
        for (const value of alwaysTried) await attempt(method, template, `${pathIn(world, template)}?${name}=${value}`);
        alwaysCases += alwaysTried.length;
      }
    }
    for (const { method, template, queryNames } of everyRoute) {
      const names = template.match(/\{[^}]+\}/g) ?? [];
      // Every parameter but the fuzzed one is the fixture's, so the route's own checks are what is reached.
      if (names.length > 0) {
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...names), urlValue, async (name, value) => {
            await attempt(method, template, pathIn(world, template.replace(name, '\u0001')).replace('\u0001', value));
          }),
          { numRuns: RUNS_PER_URL },
        );
      }
      // Query strings on reads only: a valid path with a stray query would really delete or end things.
      if (method === 'GET') {
        const name = fc.oneof(fc.constantFrom(...queryNames, 'q', 'limit', 'after', 'before'), urlValue);
        await fc.assert(
          // Four 3 KB names and values could pass Node's 16 KB head limit, which is tried once, below.
          fc.asyncProperty(fc.array(fc.tuple(name, urlValue), { minLength: 1, maxLength: 4 }).filter((pairs) => pairs.reduce((sum, [key, value]) => sum + key.length + value.length, 0) <= 12_000), async (pairs) => {
            await attempt(method, template, `${pathIn(world, template)}?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`);
          }),
          { numRuns: RUNS_PER_URL },
        );
      }
    }
    // Past Node's 16 KB limit on a request head: Node's parser refuses it (431) before Riff sees it,
    // and may reset the connection while the rest is still being sent; the node itself is unharmed.
    const huge = await sendRawUrl(server.url, 'GET', `/v1/users?q=${'x'.repeat(20_000)}`, world.tokens.owner, undefined).then(
      ({ status }) => status,
      () => 'connection reset',
    );
    expect([431, 'connection reset']).toContain(huge);
    expect(wrong, `${wrong.length} of ${cases} fuzz cases answered wrongly`).toEqual([]);
    const fuzzedParts = everyRoute.reduce((sum, { method, template }) => sum + Number(template.includes('{')) + Number(method === 'GET'), 0);
    expect(cases).toBe(alwaysCases + fuzzedParts * RUNS_PER_URL);
    console.info(`fuzzing [${dialect}]: ${cases} path and query cases over ${everyRoute.length} routes`);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  }, 180_000);

  it('any text that is accepted comes back exactly as sent (message bodies trimmed) from every read', async () => {
    const { ids, tokens } = textWorld;
    const u = server.url;
    const ok = async (method: string, path: string, token: string | undefined, body?: unknown): Promise<any> => {
      const response = await call(u, method, path, token, body);
      if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
      return response.body;
    };
    let tag = 0;
    /** A word no other text holds, to find one message by search. */
    const nextTag = () => `zq${(++tag).toString(36)}x${Math.random().toString(36).slice(2, 6)}`;
    const app = `/api/applications/${ids.appToken}/chats/${ids.chat}`;

    /** Each kind of text: after writing `text`, every read as [what it returned, what it must return]. */
    const kinds: { name: string; roundTrip: (text: string) => Promise<[string, string][]> }[] = [
      {
        name: 'a message body (posted, edited, searched)',
        async roundTrip(text) {
          const channel = ids.privateChannel;
          const inHistory = async (id: string) => ((await ok('GET', `/v1/channels/${channel}?limit=100`, tokens.member)) as { id: string; body: string }[]).find((m) => m.id === id)?.body ?? '<missing>';
          const posted = await ok('POST', `/v1/channels/${channel}`, tokens.owner, { body: text });
          const reads: [string, string][] = [posted.body, await inHistory(posted.id)].map((body) => [body, text.trim()]);
          // Search needs a word to look for: the edit appends one.
          const word = nextTag();
          const edit = `${text}\n${word}`;
          const edited = await ok('PATCH', `/v1/messages/${posted.id}`, tokens.owner, { body: edit });
          const found = async (path: string) => ((await ok('GET', path, tokens.member)) as { id: string; body: string }[]).find((m) => m.id === posted.id)?.body ?? '<missing>';
          const afterEdit = [edited.body, await inHistory(posted.id), await found(`/v1/channels/${channel}/search?q=${word}`), await found(`/v1/search?q=${word}`)];
          return [...reads, ...afterEdit.map((body): [string, string] => [body, edit.trim()])];
        },
      },
      {
        name: 'a profile field (first_name, last_name, bio, city, looking_for)',
        async roundTrip(text) {
          const patch = { first_name: text, last_name: text, bio: text, city: text, looking_for: text };
          const answered = await ok('PATCH', '/v1/users/me', tokens.owner, patch);
          const mine = await ok('GET', '/v1/users/me', tokens.owner);
          const seen = await ok('GET', `/v1/users/${ids.ownerId}`, tokens.member);
          return [answered, mine, seen].flatMap((user) => Object.keys(patch).map((key): [string, string] => [user[key], text]));
        },
      },
      {
        name: 'a channel name and description',
        async roundTrip(text) {
          const answered = await ok('PATCH', `/v1/channels/${ids.publicChannel}`, tokens.owner, { name: text, description: text });
          const listed = ((await ok('GET', '/v1/channels', tokens.owner)) as { id: string; name: string; description: string }[]).find((c) => c.id === ids.publicChannel);
          return [answered.name, answered.description, listed?.name ?? '<missing>', listed?.description ?? '<missing>'].map((value): [string, string] => [value, text]);
        },
      },
      {
        name: 'a meetup title and description',
        async roundTrip(text) {
          const answered = await ok('PATCH', `/v1/events/${ids.meetup}`, tokens.owner, { title: text, description: text });
          const read = await ok('GET', `/v1/events/${ids.meetup}`, tokens.member);
          return [answered.title, answered.description, read.title, read.description].map((value): [string, string] => [value, text]);
        },
      },
      {
        name: 'a review body',
        async roundTrip(text) {
          const answered = await ok('PUT', `/v1/reviews/${ids.review}`, tokens.owner, { review_text: text });
          const find = async (path: string) => ((await ok('GET', path, tokens.member)) as { id: string; review_text: string }[]).find((r) => r.id === ids.review)?.review_text ?? '<missing>';
          return [answered.review_text, await find(`/v1/reviews/album/${ids.album}`), await find(`/v1/users/${ids.ownerId}/reviews`)].map((value): [string, string] => [value, text]);
        },
      },
      {
        name: 'an app message (posted, edited, searched)',
        async roundTrip(text) {
          const posted = await ok('POST', `${app}/messages`, undefined, { message_content: text });
          const path = `${app}/messages/${posted.message_number as number}`;
          const reads: [string, string][] = [posted.message_content, (await ok('GET', path, undefined)).message_content].map((content) => [content, text.trim()]);
          const word = nextTag();
          const edit = `${text} ${word}`;
          const edited = await ok('PATCH', path, undefined, { message_content: edit });
          const hits = (await ok('GET', `${app}/search?q=${word}`, undefined)) as { number: number; content: string }[];
          const afterEdit = [edited.message_content, (await ok('GET', path, undefined)).message_content, hits.find((h) => h.number === posted.message_number)?.content ?? '<missing>'];
          return [...reads, ...afterEdit.map((content): [string, string] => [content, edit.trim()])];
        },
      },
    ];

    const wrong: string[] = [];
    let cases = 0;
    for (const kind of kinds) {
      await fc.assert(
        fc.asyncProperty(userText, async (text) => {
          cases++;
          const differing = (await kind.roundTrip(text)).filter(([got, expected]) => got !== expected);
          if (differing.length) wrong.push(`${kind.name}: sent ${JSON.stringify(text)}, got [got, expected] ${JSON.stringify(differing.slice(0, 3))}`);
        }),
        { numRuns: RUNS_PER_TEXT_FIELD },
      );
    }
    expect(wrong, `${wrong.length} of ${cases} texts did not come back as sent`).toEqual([]);
    console.info(`fuzzing [${dialect}]: ${cases} text round trips over ${kinds.length} kinds of text`);
  }, 180_000);

  it('every WebSocket frame type with a wrong shape is answered, and the connection stays open', async () => {
    const socket = await connect(server.url, { token: world.tokens.owner });
    const types = ['auth', 'subscribe', 'unsubscribe', 'send', 'typing', 'read', 'ping', 'no.such.type'];
    let cases = 0;
    for (const type of types) {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom('channel_id', 'chat_number', 'after_seq', 'body', 'nonce', 'seq', 'token', 'resume', 'data', 'x'), nastyFrameValue, { maxKeys: 4 }), async (fields) => {
          const frame = JSON.stringify({ ...fields, type });
          // Oversized frames are the one refusal that closes the socket; tried once below.
          fc.pre(Buffer.byteLength(frame) <= server.config.gateway.maxFrameBytes);
          cases++;
          socket.sendRaw(frame);
          // A ping after each frame proves the connection still answers, in order.
          await socket.roundTrip(REQUEST_TIMEOUT_MS);
        }),
        { numRuns: RUNS_PER_FRAME_TYPE },
      );
    }
    for (const raw of ['not json', '[]', '42', 'null', deepJson(5000), Buffer.from([0xc3, 0x28, 0xff]).toString('latin1')]) {
      socket.sendRaw(raw);
      await socket.roundTrip(REQUEST_TIMEOUT_MS);
    }
    expect(cases).toBe(types.length * RUNS_PER_FRAME_TYPE);
    expect(socket.frames.filter((f) => f.type === 'error').length).toBeGreaterThan(0);

    const oversized = await connect(server.url, { token: world.tokens.owner });
    oversized.sendRaw(JSON.stringify({ type: 'send', channel_id: world.ids.privateChannel, body: 'x'.repeat(server.config.gateway.maxFrameBytes), nonce: 'big' }));
    expect((await oversized.waitClosed(REQUEST_TIMEOUT_MS)).code).toBe(1009);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  }, 120_000);
});
