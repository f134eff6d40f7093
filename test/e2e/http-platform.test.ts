import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedInView, UserView } from '../../src/client/index.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

const MIB = 1_048_576;
const JSON_TYPE = { 'content-type': 'application/json' };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * A request with exactly these headers (fetch adds or forbids some, e.g. Transfer-Encoding),
 * on its own connection. `chunks` are written one by one; with no Content-Length that is a
 * chunked body, and an empty `chunks` is an empty chunked body.
 */
function rawRequest(
  base: string,
  { method, path, headers = {}, chunks = [] }: { method: string; path: string; headers?: Record<string, string>; chunks?: Array<string | Buffer> },
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, agent: false, timeout: 15_000 },
      (response) => {
        const body: Buffer[] = [];
        response.on('data', (chunk: Buffer) => body.push(chunk));
        response.on('end', () => {
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: response.statusCode ?? 0, headers: answerHeaders, text: Buffer.concat(body).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

interface ErrorEnvelope {
  code: string;
  message: string;
  details: Array<Record<string, unknown>>;
}

/** Asserts the answer is exactly Riff's error envelope with this status and code, as JSON. */
function expectError(answer: Answer, status: number, code: string): ErrorEnvelope {
  expect({ status: answer.status, body: answer.text }).toMatchObject({ status });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
  const body = JSON.parse(answer.text) as { error: ErrorEnvelope };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(Array.isArray(body.error.details)).toBe(true);
  return body.error;
}

const fields = (error: ErrorEnvelope) => error.details.map((d) => d.field);

async function signUp(server: TestRiff, overrides: Record<string, unknown> = {}): Promise<SignedInView> {
  const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(newMusician(overrides)) });
  expect(answer.status).toBe(201);
  return JSON.parse(answer.text) as SignedInView;
}

async function me(server: TestRiff, token: string): Promise<Answer> {
  return call(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
}

/** A JSON sign-up body of exactly `bytes` bytes: a valid sign-up padded with a field the route ignores. */
function signUpBodyOfSize(bytes: number): string {
  const base = JSON.stringify({ ...newMusician(), padding: '' });
  const body = `${base.slice(0, -2)}${'a'.repeat(bytes - Buffer.byteLength(base))}"}`;
  expect(Buffer.byteLength(body)).toBe(bytes);
  JSON.parse(body);
  return body;
}

describe('HTTP platform [sqlite]', () => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite');
  });
  afterAll(() => server.close());

  describe('the error envelope', () => {
    it('malformed JSON is a 400 invalid_json', async () => {
      const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: '{"email": "a@example.com",' });
      expect(expectError(answer, 400, 'invalid_json').details).toEqual([]);
    });

    it('wrong types and missing fields are a 400 validation_failed whose details name each field', async () => {
      const answer = await call(`${server.url}/v1/users`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ username: ['not', 'a', 'string'], password: 12345678, first_name: 'Ann' }),
      });
      const error = expectError(answer, 400, 'validation_failed');
      expect(fields(error)).toEqual(expect.arrayContaining(['email', 'username', 'password', 'password_conf']));
      expect(fields(error)).not.toContain('first_name');
      for (const detail of error.details) expect(typeof detail.message).toBe('string');
    });

    it('every error, whatever its cause, is exactly {error: {code, message, details: []}} as JSON', async () => {
      const { token } = await signUp(server);
      const cases: Array<[Promise<Answer>, number, string]> = [
        [call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: '{' }), 400, 'invalid_json'],
        [call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: '{}' }), 400, 'validation_failed'],
        [call(`${server.url}/v1/users?limit=many`, { headers: { authorization: `Bearer ${token}` } }), 400, 'validation_failed'],
        [call(`${server.url}/v1/users/me`, { method: 'PATCH', headers: { ...JSON_TYPE, authorization: `Bearer ${token}` }, body: '{"bio": "\\u0000"}' }), 400, 'invalid_text'],
        [call(`${server.url}/v1/users/me`), 401, 'unauthorized'],
        [call(`${server.url}/v1/users/00000000000000000000000000`, { headers: { authorization: `Bearer ${token}` } }), 404, 'not_found'],
        [call(`${server.url}/v1/no-such-thing`), 404, 'route_not_found'],
        [call(`${server.url}/v1/users`, { method: 'PUT' }), 405, 'method_not_allowed'],
        [call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: 'x'.repeat(MIB + 1) }), 413, 'payload_too_large'],
        [call(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415, 'unsupported_media_type'],
      ];
      for (const [answer, status, code] of cases) expectError(await answer, status, code);
    });
  });

  describe('body size', () => {
    it('a body of 1,048,577 bytes is a 413 payload_too_large', async () => {
      const body = signUpBodyOfSize(MIB + 1);
      const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body });
      expectError(answer, 413, 'payload_too_large');
    });

    it('a body over 1 MiB sent chunked, without a Content-Length, is a 413 too', async () => {
      const chunk = 'a'.repeat(64 * 1024);
      const chunks = ['{"padding": "', ...Array.from({ length: 16 }, () => chunk), '"}'];
      const answer = await rawRequest(server.url, { method: 'POST', path: '/v1/users', headers: JSON_TYPE, chunks });
      expectError(answer, 413, 'payload_too_large');
    });

    it('a body of exactly 1,048,576 bytes of valid JSON is read, not refused as too large', async () => {
      const body = signUpBodyOfSize(MIB);
      const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body });
      expect(answer.status).not.toBe(413);
      // The route judges the content: a valid sign-up with an ignored extra field.
      expect([201, 400]).toContain(answer.status);
      if (answer.status === 400) expectError(answer, 400, 'validation_failed');
    });
  });

  describe('empty bodies are no body, whatever their Content-Type', () => {
    it('DELETE /v1/sessions/mine with Content-Type: text/html and Content-Length: 0 logs out: 200', async () => {
      const { token } = await signUp(server);
      const answer = await rawRequest(server.url, {
        method: 'DELETE',
        path: '/v1/sessions/mine',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/html', 'content-length': '0' },
      });
      expect({ status: answer.status, body: answer.text }).toEqual({ status: 200, body: expect.any(String) });
      expect(JSON.parse(answer.text)).toMatchObject({ ok: true });
      expect((await me(server, token)).status).toBe(401);
    });

    it('POST /v1/auth/anonymous with Content-Type: application/json and Content-Length: 0: 201', async () => {
      const answer = await rawRequest(server.url, {
        method: 'POST',
        path: '/v1/auth/anonymous',
        headers: { 'content-type': 'application/json', 'content-length': '0' },
      });
      expect(answer.status).toBe(201);
      const guest = JSON.parse(answer.text) as { token: string };
      expect((await me(server, guest.token)).status).toBe(200);
    });

    it('POST /v1/auth/anonymous with Content-Type: text/html and Content-Length: 0: 201', async () => {
      const answer = await rawRequest(server.url, {
        method: 'POST',
        path: '/v1/auth/anonymous',
        headers: { 'content-type': 'text/html', 'content-length': '0' },
      });
      expect(answer.status).toBe(201);
    });

    it('POST /v1/auth/anonymous with no Content-Type and no body: 201', async () => {
      const answer = await rawRequest(server.url, { method: 'POST', path: '/v1/auth/anonymous', headers: { 'content-length': '0' } });
      expect(answer.status).toBe(201);
    });

    it.each([
      ['text/html', { 'content-type': 'text/html' }],
      ['application/json', { 'content-type': 'application/json' }],
      ['no Content-Type', {}],
    ])('an empty chunked body (no Content-Length) with %s is no body either: 201', async (_name, headers: Record<string, string>) => {
      const answer = await rawRequest(server.url, {
        method: 'POST',
        path: '/v1/auth/anonymous',
        headers: { ...headers, 'transfer-encoding': 'chunked' },
      });
      expect({ status: answer.status, body: answer.text }).toMatchObject({ status: 201 });
    });
  });

  describe('bodies are JSON', () => {
    it.each([
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'email=a%40example.com&username=ann'],
    ])('a non-empty %s body is a 415 unsupported_media_type', async (type, body) => {
      const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': type }, body });
      expectError(answer, 415, 'unsupported_media_type');
    });

    it('a non-empty chunked body with no Content-Type is a 415, not handed to the route', async () => {
      const answer = await rawRequest(server.url, { method: 'POST', path: '/v1/users', headers: { 'transfer-encoding': 'chunked' }, chunks: ['{"a":1}'] });
      expectError(answer, 415, 'unsupported_media_type');
    });
  });

  describe('routing', () => {
    it('an unknown route is a 404 route_not_found', async () => {
      expectError(await call(`${server.url}/v1/no-such-route`), 404, 'route_not_found');
      expectError(await call(`${server.url}/v1/users/me/nothing/here`, { method: 'POST', headers: JSON_TYPE, body: '{}' }), 404, 'route_not_found');
    });

    it('a wrong method on a known path is a 405 method_not_allowed with an Allow header', async () => {
      const answer = await call(`${server.url}/v1/users`, { method: 'PUT', headers: JSON_TYPE, body: '{}' });
      expectError(answer, 405, 'method_not_allowed');
      const allow = (answer.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      expect(allow).toEqual(expect.arrayContaining(['GET', 'POST']));
      expect(allow).not.toContain('PUT');
      const onMe = await call(`${server.url}/v1/users/me`, { method: 'PUT', headers: JSON_TYPE, body: '{}' });
      expectError(onMe, 405, 'method_not_allowed');
      expect((onMe.headers.get('allow') ?? '').split(',').map((m) => m.trim())).toEqual(expect.arrayContaining(['GET', 'PATCH', 'DELETE']));
    });
  });

  describe('hostile input', () => {
    it('a body nested 1,000 levels deep is a 400 (not a 500) and the server keeps serving', async () => {
      for (const body of ['['.repeat(1000) + ']'.repeat(1000), '{"email":'.repeat(1000) + '1' + '}'.repeat(1000)]) {
        const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body });
        expect({ status: answer.status, body: answer.text }).toMatchObject({ status: 400 });
        const { code } = (JSON.parse(answer.text) as { error: ErrorEnvelope }).error;
        expect(['validation_failed', 'invalid_json']).toContain(code);
        expectError(answer, 400, code);
      }
      const health = await call(`${server.url}/healthz`);
      expect(health.status).toBe(200);
    });
  });

  describe('no type coercion in bodies; query strings are text', () => {
    it('{"username": 123} in a body is a 400 naming username, not the name "123"', async () => {
      const answer = await call(`${server.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(newMusician({ username: 123 })) });
      expect(fields(expectError(answer, 400, 'validation_failed'))).toEqual(['username']);
    });

    it('a boolean or number for a text field of the profile is a 400', async () => {
      const { token } = await signUp(server);
      for (const patch of [{ bio: true }, { city: 5 }, { instruments: [1] }]) {
        const answer = await call(`${server.url}/v1/users/me`, {
          method: 'PATCH',
          headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
          body: JSON.stringify(patch),
        });
        expectError(answer, 400, 'validation_failed');
      }
    });

    it('GET /v1/users?limit=2 reads the number from the query string', async () => {
      const { token } = await signUp(server);
      await signUp(server);
      await signUp(server);
      const answer = await call(`${server.url}/v1/users?limit=2`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text) as UserView[]).toHaveLength(2);
      expect(answer.headers.get('link')).toMatch(/limit=2/);
    });
  });

  describe('request ids', () => {
    it('echoes a sane x-request-id the client sent', async () => {
      const answer = await call(`${server.url}/healthz`, { headers: { 'x-request-id': 'client-req.42_~abc' } });
      expect(answer.headers.get('x-request-id')).toBe('client-req.42_~abc');
    });

    it('generates a fresh id when there is none or it is not sane', async () => {
      const ids: string[] = [];
      for (const sent of [undefined, 'has spaces in it', 'x'.repeat(65), '<script>']) {
        const answer = await call(`${server.url}/healthz`, { headers: sent === undefined ? {} : { 'x-request-id': sent } });
        const id = answer.headers.get('x-request-id');
        expect(id).toMatch(/^[A-Za-z0-9._~-]{8,64}$/);
        expect(id).not.toBe(sent);
        ids.push(id!);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  describe('operations', () => {
    it('GET /metrics is Prometheus text with request counts by route, latency buckets and open sockets', async () => {
      await signUp(server);
      const answer = await call(`${server.url}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = answer.text.split('\n');
      expect(lines).toContain('# TYPE riff_http_requests_total counter');
      const signUps = lines.find((l) => /^riff_http_requests_total\{/.test(l) && l.includes('route="/v1/users"') && l.includes('method="POST"') && l.includes('status="201"'));
      expect(signUps, answer.text).toBeDefined();
      expect(Number(signUps!.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
      expect(lines.some((l) => l.startsWith('riff_http_request_duration_seconds_bucket{') && l.includes('route="/v1/users"'))).toBe(true);
      expect(lines.some((l) => /^riff_open_sockets \d+$/.test(l))).toBe(true);
    });

    it("GET /metrics also tells the process's CPU, memory and event-loop delay", async () => {
      const lines = (await call(`${server.url}/metrics`)).text.split('\n');
      const value = (name: string) => Number(lines.find((l) => l.startsWith(`${name} `))?.split(' ').at(-1));
      expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(value('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
      expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(lines).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
      // Once each, though every app of this process registers its own metrics.
      expect(lines.filter((l) => l === '# TYPE process_cpu_seconds_total counter')).toHaveLength(1);
    });

    it('unknown paths do not become metric labels', async () => {
      const marker = `nowhere-${Math.random().toString(36).slice(2)}`;
      expect((await call(`${server.url}/v1/${marker}`)).status).toBe(404);
      const metrics = await call(`${server.url}/metrics`);
      expect(metrics.text).not.toContain(marker);
    });

    it('GET /openapi.json is an OpenAPI 3 document of every accounts route with its request body schema', async () => {
      const answer = await call(`${server.url}/openapi.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
      type Operation = {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> };
      };
      const doc = JSON.parse(answer.text) as { openapi: string; paths: Record<string, Record<string, Operation>> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/v1/users', '/v1/sessions', '/v1/sessions/mine', '/v1/auth/anonymous', '/v1/users/{id}', '/v1/users/me']),
      );
      const bodySchema = (path: string, method: string) => doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema;
      expect(bodySchema('/v1/users', 'post')?.required).toEqual(expect.arrayContaining(['email', 'username', 'password', 'password_conf']));
      expect(bodySchema('/v1/sessions', 'post')?.required).toEqual(['password']);
      expect(Object.keys(bodySchema('/v1/users/me', 'patch')?.properties ?? {})).toEqual(
        expect.arrayContaining(['first_name', 'bio', 'city', 'instruments', 'genres', 'skill_level', 'looking_for']),
      );
      expect(doc.paths['/v1/users/{id}']?.get?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]));
      expect(doc.paths['/v1/users']?.get?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'q', 'instrument', 'genre', 'city']));
      expect(doc.paths['/v1/sessions/mine']?.delete).toBeDefined();
    });
  });

  it('keeps serving after all of the above: a sign-up and /v1/users/me work', async () => {
    const user = await signUp(server);
    const answer = await me(server, user.token);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ id: user.id, username: user.username });
  });
});

describeEachDialect('HTTP platform, down to storage', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect);
  });
  afterAll(() => server.close());

  it(`GET /healthz answers 200 {status: "ok", database: "${dialect}"}`, async () => {
    const answer = await call(`${server.url}/healthz`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(JSON.parse(answer.text)).toEqual({ status: 'ok', database: dialect, bus: 'in-process', bus_up: true });
  });

  describe('text no database stores alike is refused before it reaches one', () => {
    let token: string;
    const bio = 'Guitar 🎸 and “fado”';
    beforeAll(async () => {
      ({ token } = await signUp(server));
      const answer = await call(`${server.url}/v1/users/me`, {
        method: 'PATCH',
        headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
        body: JSON.stringify({ bio }),
      });
      expect(answer.status).toBe(200);
    });

    const patchRaw = (body: string) =>
      call(`${server.url}/v1/users/me`, { method: 'PATCH', headers: { ...JSON_TYPE, authorization: `Bearer ${token}` }, body });

    it('a NUL character in a JSON string field is a 400 invalid_text naming the field, and nothing changes', async () => {
      const error = expectError(await patchRaw(JSON.stringify({ bio: 'before\u0000after' })), 400, 'invalid_text');
      expect(fields(error)).toEqual(['bio']);
      expect((JSON.parse((await me(server, token)).text) as UserView).bio).toBe(bio);
    });

    it('an unpaired surrogate sent as the JSON escape "\\ud800" is a 400 invalid_text, and nothing changes', async () => {
      const error = expectError(await patchRaw('{"bio": "lone \\ud800 surrogate"}'), 400, 'invalid_text');
      expect(fields(error)).toEqual(['bio']);
      expectError(await patchRaw('{"city": "\\udfff"}'), 400, 'invalid_text');
      expectError(await patchRaw('{"instruments": ["ok", "\\ud83c"]}'), 400, 'invalid_text');
      expect((JSON.parse((await me(server, token)).text) as UserView).bio).toBe(bio);
    });

    it('a NUL in a sign-up is a 400 invalid_text and creates no user', async () => {
      const body = newMusician();
      const answer = await call(`${server.url}/v1/users`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ ...body, first_name: 'Ann\u0000' }),
      });
      expectError(answer, 400, 'invalid_text');
      const login = await call(`${server.url}/v1/sessions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ email: body.email, password: body.password }) });
      expect(login.status).toBe(401);
    });

    it('a NUL in a query string is a 400 invalid_text', async () => {
      const answer = await call(`${server.url}/v1/users?q=a%00b`, { headers: { authorization: `Bearer ${token}` } });
      expectError(answer, 400, 'invalid_text');
    });

    it('paired surrogates (an emoji as a JSON escape) are text like any other, stored and returned exactly', async () => {
      const answer = await patchRaw('{"bio": "\\ud83c\\udfb8 e\\u0301"}');
      expect(answer.status).toBe(200);
      expect((JSON.parse((await me(server, token)).text) as UserView).bio).toBe('🎸 e\u0301');
    });
  });

  describe('a thrown bug', () => {
    let broken: TestRiff;
    let token: string;
    beforeAll(async () => {
      broken = await startRiff(dialect);
      ({ token } = await signUp(broken));
      // Pull the database out from under the running node: every query now throws.
      await broken.riff.storage.close();
    });
    afterAll(async () => {
      // Its storage is closed already; closing it again may throw, which is not what this tests.
      await broken.close().catch(() => {});
    });

    const leaks = /\bat\s|\.[cm]?[jt]s\b|node_modules|stack|select|insert|from\s|sqlite|postgres|pool|driver|destroy|kysely|Error:/i;

    it('answers 500 internal_error with no stack trace or SQL, on an authenticated route and on sign-up', async () => {
      for (const answer of [
        await me(broken, token),
        await call(`${broken.url}/v1/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(newMusician()) }),
      ]) {
        const error = expectError(answer, 500, 'internal_error');
        expect(error.details).toEqual([]);
        expect(answer.text).not.toMatch(leaks);
      }
    });

    it('GET /healthz then answers 503', async () => {
      const answer = await call(`${broken.url}/healthz`);
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.text)).toMatchObject({ database: dialect });
      expect(answer.text).not.toMatch(/\bat\s|\.[cm]?[jt]s\b|select/i);
    });

    it('the other node, on its own healthy database, is untouched', async () => {
      expect((await call(`${server.url}/healthz`)).status).toBe(200);
    });
  });

  it('keeps serving after all of the above: a sign-up and /v1/users/me work', async () => {
    const user = await signUp(server);
    const answer = await me(server, user.token);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ id: user.id, username: user.username, email: user.email });
  });
});
