/**
 * The Apps API (chat as a service, compatible with chat_system), black box over real HTTP, a
 * real WebSocket and a real webhook receiver on 127.0.0.1: one `it` per rule of API.md §Apps API
 * and issue #9, on every dialect.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RiffApiError, type IssuedApplicationView, type RiffClient } from '../../src/client/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect, DEFAULT_WAIT_MS, type TestSocket } from '../helpers/socket.js';
import { failure, refused } from '../helpers/failures.js';

const URL_SAFE = /^[A-Za-z0-9._~-]+$/;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until `accept` holds (bounded), returning the accepted value. */
async function eventually<T>(what: string, probe: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs = DEFAULT_WAIT_MS * 3): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that records every delivery and answers what `status` says for the nth one. */
async function webhookReceiver(status: (nth: number) => number = () => 204) {
  const deliveries: Delivery[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = status(deliveries.length);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/riff?source=test`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const signatureOf = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)]);
  return [];
}

describeEachDialect('apps', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  let anonymous: RiffClient;
  beforeAll(async () => {
    // The webhook receivers of these tests listen on loopback, which Riff refuses by default.
    server = await startRiff(dialect, { clock, config: { allowPrivateWebhooks: true } });
    anonymous = server.client();
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  let apps = 0;
  const newApplication = (input: { webhook_url?: string | null } = {}, client = anonymous) => client.createApplication({ application_name: `App ${++apps}`, ...input });

  async function musician(): Promise<RiffClient> {
    const client = server.client();
    await client.signUp(newMusician());
    return client;
  }

  /** Sends a request exactly as given (bodies that are not JSON, GETs with bodies). */
  async function raw(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const response = await fetch(`${server.url}${path}`, { method, headers: body === undefined ? {} : headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** A GET with a JSON body, as chat_system clients search (fetch refuses GET bodies, so this speaks HTTP itself). */
  function getWithBody(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: unknown; link: string | undefined }> {
    const url = new URL(path, server.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'GET', headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, link: response.headers.link as string | undefined });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** A socket authenticated with an application token, once the server said it is ready. */
  async function applicationSocket(token: string): Promise<TestSocket> {
    const socket = await connect(server.url, { untilOpen: true });
    socket.send({ type: 'auth', application_token: token });
    await socket.next('app.ready');
    return socket;
  }

  async function runDueJobs(): Promise<void> {
    await server.riff.jobs.runDue();
    await server.riff.jobs.runDue();
  }

  describe('applications', () => {
    it('creating an application needs no account: 201 with a random URL-safe token, the name, chats_count 0 and no internal id', async () => {
      const { status, data } = await anonymous.request<IssuedApplicationView>('POST', '/api/applications', { application_name: 'Support desk' });
      expect(status).toBe(201);
      expect(data).toEqual({
        type: 'application',
        application_token: expect.stringMatching(URL_SAFE),
        application_token_hint: data.application_token.slice(-4),
        application_name: 'Support desk',
        chats_count: 0,
        webhook_url: null,
        webhook_secret: expect.stringMatching(URL_SAFE),
        created_at: expect.stringMatching(/Z$/),
        updated_at: expect.stringMatching(/Z$/),
      });
      expect(data.application_token.length).toBeGreaterThanOrEqual(40);
      expect(data.webhook_secret).not.toBe(data.application_token);
      const again = await newApplication();
      expect(again.application_token).not.toBe(data.application_token);
    });

    it('GET /api/applications lists only the caller’s own applications, oldest first, with hints and never tokens', async () => {
      const ann = await musician();
      const bob = await musician();
      const mine = [await newApplication({}, ann), await newApplication({}, ann)];
      await newApplication({}, bob);
      await newApplication();
      const listed = await ann.applications();
      expect(listed.items.map((a) => a.application_name)).toEqual(mine.map((a) => a.application_name));
      expect(listed.items.map((a) => a.application_token_hint)).toEqual(mine.map((a) => a.application_token_hint));
      const text = JSON.stringify(listed.items);
      for (const app of mine) expect(text).not.toContain(app.application_token);
      expect(listed.items.every((a) => a.application_token === undefined)).toBe(true);
    });

    it('GET /api/applications pages with a Link header', async () => {
      const ann = await musician();
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await newApplication({}, ann));
      const first = await ann.applications({ limit: 2 });
      expect(first.items.map((a) => a.application_name)).toEqual(made.slice(0, 2).map((a) => a.application_name));
      expect(first.next).toBeDefined();
      const second = await ann.page<{ application_name: string }>(first.next!);
      expect(second.items.map((a) => a.application_name)).toEqual([made[2]!.application_name]);
      expect(second.next).toBeUndefined();
    });

    it('GET /api/applications without a session is 401', async () => {
      await refused(anonymous.applications(), 401, 'unauthorized');
    });

    it('creating with a session that is not valid is 401, not an application nobody owns', async () => {
      await refused(server.client('not-a-session').createApplication({ application_name: 'Mine?' }), 401);
    });

    it('GET, PATCH and PUT /api/applications/{token} read and rename the application', async () => {
      const app = await newApplication();
      const token = app.application_token;
      const read = await anonymous.application(token);
      expect(read).toEqual({ ...app, webhook_secret: undefined });
      expect(read).not.toHaveProperty('webhook_secret');
      expect((await anonymous.updateApplication(token, { application_name: 'Renamed' })).application_name).toBe('Renamed');
      expect((await anonymous.replaceApplication(token, { application_name: 'Replaced' })).application_name).toBe('Replaced');
      expect((await anonymous.application(token)).application_name).toBe('Replaced');
    });

    it('an unknown token is 404, and no error ever repeats a token', async () => {
      const app = await newApplication();
      const unknown = `${app.application_token.slice(0, -2)}xx`;
      for (const call of [() => anonymous.application(unknown), () => anonymous.createChat(unknown, 'x'), () => anonymous.appChats(unknown), () => anonymous.rotateApplication(unknown)]) {
        const error = await refused(call(), 404, 'not_found');
        expect(JSON.stringify(error.body)).not.toContain(unknown);
      }
      const wrongMethod = await raw('DELETE', `/api/applications/${app.application_token}`);
      expect(wrongMethod.status).toBe(405);
      expect(JSON.stringify(wrongMethod.json)).not.toContain(app.application_token);
      const noRoute = await raw('GET', `/api/applications/${app.application_token}/nothing-here`);
      expect(noRoute.status).toBe(404);
      expect(JSON.stringify(noRoute.json)).not.toContain(app.application_token);
    });

    it('rotating the token: the new token and a new webhook secret work at once, the old token stops at once', async () => {
      const app = await newApplication();
      await anonymous.createChat(app.application_token, 'kept');
      const rotated = await anonymous.rotateApplication(app.application_token);
      expect(rotated.application_token).toMatch(URL_SAFE);
      expect(rotated.application_token).not.toBe(app.application_token);
      expect(rotated.webhook_secret).not.toBe(app.webhook_secret);
      expect(rotated).toMatchObject({ application_name: app.application_name, chats_count: 1 });
      await refused(anonymous.application(app.application_token), 404);
      await refused(anonymous.postAppMessage(app.application_token, 1, 'old token'), 404);
      await refused(anonymous.rotateApplication(app.application_token), 404);
      expect((await anonymous.appChat(rotated.application_token, 1)).chat_name).toBe('kept');
    });
  });

  describe('numbering', () => {
    it('chats are numbered 1..N per application, each application from 1, with the number in the creating answer', async () => {
      const [a, b] = [await newApplication(), await newApplication()];
      const { status, data } = await anonymous.request('POST', `/api/applications/${a.application_token}/chats`, { chat_name: 'first' });
      expect(status).toBe(201);
      expect(data).toEqual({
        type: 'chat',
        application_token: a.application_token,
        chat_number: 1,
        chat_name: 'first',
        messages_count: 0,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await anonymous.createChat(a.application_token, 'second')).chat_number).toBe(2);
      expect((await anonymous.createChat(b.application_token, 'other app')).chat_number).toBe(1);
      expect((await anonymous.createChat(a.application_token, 'third')).chat_number).toBe(3);
    });

    it('messages are numbered 1..N per chat, each chat from 1, with the number in the creating answer', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'one');
      await anonymous.createChat(token, 'two');
      const { status, data } = await anonymous.request('POST', `/api/applications/${token}/chats/1/messages`, { message_content: 'hello world!' });
      expect(status).toBe(201);
      expect(data).toEqual({
        type: 'message',
        application_token: token,
        chat_number: 1,
        message_number: 1,
        message_content: 'hello world!',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await anonymous.postAppMessage(token, 1, 'again')).message_number).toBe(2);
      expect((await anonymous.postAppMessage(token, 2, 'elsewhere')).message_number).toBe(1);
      expect((await anonymous.postAppMessage(token, 1, 'third')).message_number).toBe(3);
    });

    it('POST …/chats/{number} (the chat_system path) posts a message like …/messages does', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      await anonymous.postAppMessage(token, 1, 'via /messages');
      const { status, data } = await anonymous.request('POST', `/api/applications/${token}/chats/1`, { message_content: 'via the chat' });
      expect(status).toBe(201);
      expect(data).toMatchObject({ type: 'message', chat_number: 1, message_number: 2, message_content: 'via the chat' });
    });

    it('50 parallel chat creates get exactly the numbers 1..50, and chats_count is 50', async () => {
      const { application_token: token } = await newApplication();
      const chats = await Promise.all(range(1, 50).map((i) => anonymous.createChat(token, `chat ${i}`)));
      expect(chats.map((c) => c.chat_number).sort((x, y) => x - y)).toEqual(range(1, 50));
      expect((await anonymous.application(token)).chats_count).toBe(50);
      const listed = await anonymous.appChats(token, { limit: 100 });
      expect(listed.items.map((c) => c.chat_number)).toEqual(range(1, 50));
    });

    it('200 parallel message creates into one chat get exactly the numbers 1..200, and messages_count is 200', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'busy');
      const messages = await Promise.all(range(1, 200).map((i) => anonymous.postAppMessage(token, 1, `message ${i}`)));
      expect(messages.map((m) => m.message_number).sort((x, y) => x - y)).toEqual(range(1, 200));
      // Each answer's number is the one stored with its content.
      const stored = new Map<number, string>();
      for (let page = await anonymous.appMessages(token, 1, { limit: 100 }); ; page = await anonymous.page(page.next!)) {
        for (const m of page.items) stored.set(m.message_number, m.message_content);
        if (!page.next) break;
      }
      expect([...stored.keys()]).toEqual(range(1, 200));
      for (const m of messages) expect(stored.get(m.message_number)).toBe(m.message_content);
      expect((await anonymous.appChat(token, 1)).messages_count).toBe(200);
    });

    it('chats_count and messages_count are exact after every create', async () => {
      const { application_token: token } = await newApplication();
      for (let chat = 1; chat <= 3; chat++) {
        await anonymous.createChat(token, `chat ${chat}`);
        expect((await anonymous.application(token)).chats_count).toBe(chat);
        for (let n = 1; n <= chat; n++) {
          await anonymous.postAppMessage(token, chat, `m${n}`);
          expect((await anonymous.appChat(token, chat)).messages_count).toBe(n);
        }
      }
      expect((await anonymous.appChats(token)).items.map((c) => c.messages_count)).toEqual([1, 2, 3]);
      // Edits and renames change no count.
      await anonymous.editAppMessage(token, 3, 1, 'edited');
      await anonymous.renameChat(token, 3, 'renamed');
      expect((await anonymous.appChat(token, 3)).messages_count).toBe(3);
      expect((await anonymous.application(token)).chats_count).toBe(3);
    });
  });

  describe('reading and editing', () => {
    it('chats: list by number with Link paging, get one, rename with PATCH and PUT', async () => {
      const { application_token: token } = await newApplication();
      for (const name of ['a', 'b', 'c']) await anonymous.createChat(token, name);
      const first = await anonymous.appChats(token, { limit: 2 });
      expect(first.items.map((c) => c.chat_number)).toEqual([1, 2]);
      expect(first.next).toBeDefined();
      const rest = await anonymous.page<{ chat_number: number }>(first.next!);
      expect(rest.items.map((c) => c.chat_number)).toEqual([3]);
      expect(rest.next).toBeUndefined();
      expect((await anonymous.appChat(token, 2)).chat_name).toBe('b');
      expect((await anonymous.renameChat(token, 2, 'patched')).chat_name).toBe('patched');
      expect((await anonymous.renameChat(token, 2, 'put', 'PUT')).chat_name).toBe('put');
      expect((await anonymous.appChat(token, 2)).chat_name).toBe('put');
    });

    it('messages: list by number with Link paging, get one, edit with PATCH and PUT', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      for (const text of ['one', 'two', 'three']) await anonymous.postAppMessage(token, 1, text);
      const first = await anonymous.appMessages(token, 1, { limit: 2 });
      expect(first.items.map((m) => m.message_content)).toEqual(['one', 'two']);
      const rest = await anonymous.page<{ message_number: number }>(first.next!);
      expect(rest.items.map((m) => m.message_number)).toEqual([3]);
      expect(rest.next).toBeUndefined();
      expect((await anonymous.appMessages(token, 1, { after: 1 })).items.map((m) => m.message_number)).toEqual([2, 3]);
      expect(await anonymous.appMessage(token, 1, 2)).toMatchObject({ type: 'message', chat_number: 1, message_number: 2, message_content: 'two' });
      clock.advance(1000);
      const patched = await anonymous.editAppMessage(token, 1, 2, '  two, edited  ');
      expect(patched).toMatchObject({ message_number: 2, message_content: 'two, edited' });
      expect(patched.updated_at).not.toBe(patched.created_at);
      expect((await anonymous.editAppMessage(token, 1, 2, 'two, put', 'PUT')).message_content).toBe('two, put');
      expect((await anonymous.appMessage(token, 1, 2)).message_content).toBe('two, put');
    });

    it('an unknown chat or message number is 404; a non-numeric one is 400', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      await anonymous.postAppMessage(token, 1, 'hi');
      await refused(anonymous.appChat(token, 2), 404, 'not_found');
      await refused(anonymous.postAppMessage(token, 2, 'nowhere'), 404, 'not_found');
      await refused(anonymous.appMessage(token, 1, 2), 404, 'not_found');
      await refused(anonymous.editAppMessage(token, 1, 2, 'x'), 404, 'not_found');
      for (const path of [`/api/applications/${token}/chats/abc`, `/api/applications/${token}/chats/1/messages/x1`, `/api/applications/${token}/chats/1.5/messages`]) {
        const answer = await raw('GET', path);
        expect(answer.status).toBe(400);
        expect(answer.json).toEqual({ error: { code: 'validation_failed', message: expect.any(String), details: [expect.objectContaining({ field: expect.stringMatching(/number/) })] } });
      }
    });

    it('responses never carry an internal id', async () => {
      const { application_token: token } = await newApplication();
      const answers: unknown[] = [await anonymous.createChat(token, 'c'), await anonymous.postAppMessage(token, 1, 'hello')];
      answers.push(await anonymous.application(token), (await anonymous.appChats(token)).items, (await anonymous.appMessages(token, 1)).items);
      answers.push((await anonymous.searchAppChat(token, 1, 'hell')).items);
      for (const answer of answers) expect(keysOf(answer).filter((key) => key === 'id' || key.endsWith('_id'))).toEqual([]);
    });
  });

  describe('search', () => {
    async function chatWith(token: string, contents: string[]): Promise<number> {
      const chat = await anonymous.createChat(token, 'searchable');
      for (const content of contents) await anonymous.postAppMessage(token, chat.chat_number, content);
      return chat.chat_number;
    }

    it('GET …/search?q= finds partial, case-insensitive matches in that chat only, as [{number, content}] by number', async () => {
      const { application_token: token } = await newApplication();
      const one = await chatWith(token, ['Hello world!', 'nothing here', 'SAY HELLO AGAIN', 'shellfish']);
      await chatWith(token, ['hello from another chat']);
      const other = await newApplication();
      await chatWith(other.application_token, ['hello from another application']);
      const { items } = await anonymous.searchAppChat(token, one, 'hello');
      expect(items).toEqual([
        { number: 1, content: 'Hello world!' },
        { number: 3, content: 'SAY HELLO AGAIN' },
      ]);
      expect((await anonymous.searchAppChat(token, one, 'ELLfi')).items).toEqual([{ number: 4, content: 'shellfish' }]);
    });

    it('queries shorter than three characters match too', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['ok then', 'fine', 'OK!']);
      expect((await anonymous.searchAppChat(token, chat, 'ok')).items.map((h) => h.number)).toEqual([1, 3]);
    });

    it('search matches edited contents, not the old ones', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['original words']);
      await anonymous.editAppMessage(token, chat, 1, 'replacement text');
      expect((await anonymous.searchAppChat(token, chat, 'original')).items).toEqual([]);
      expect((await anonymous.searchAppChat(token, chat, 'placement')).items).toEqual([{ number: 1, content: 'replacement text' }]);
    });

    it('a JSON body {search_query} on the GET works too, and q wins when both are sent', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['apples and pears', 'just pears', 'apples only']);
      const path = `/api/applications/${token}/chats/${chat}/search`;
      const byBody = await getWithBody(path, JSON.stringify({ search_query: 'APPLES' }));
      expect(byBody).toMatchObject({ status: 200, json: [{ number: 1, content: 'apples and pears' }, { number: 3, content: 'apples only' }] });
      const both = await getWithBody(`${path}?q=pears`, JSON.stringify({ search_query: 'apples' }));
      expect(both).toMatchObject({ status: 200, json: [{ number: 1, content: 'apples and pears' }, { number: 2, content: 'just pears' }] });
    });

    it('search pages by number with a Link header, also for the body form', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['match 1', 'no', 'match 2', 'match 3']);
      const first = await anonymous.searchAppChat(token, chat, 'match', { limit: 2 });
      expect(first.items.map((h) => h.number)).toEqual([1, 3]);
      const rest = await anonymous.page<{ number: number }>(first.next!);
      expect(rest.items.map((h) => h.number)).toEqual([4]);
      expect(rest.next).toBeUndefined();
      const byBody = await getWithBody(`/api/applications/${token}/chats/${chat}/search?limit=2`, JSON.stringify({ search_query: 'match' }));
      expect(byBody.link).toBeDefined();
      const next = byBody.link!.match(/<([^>]+)>/)![1]!;
      expect((await anonymous.page<{ number: number }>(next)).items.map((h) => h.number)).toEqual([4]);
    });

    it('an empty query is 400 (no q and no body, a blank q, a blank search_query)', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['x']);
      const path = `/api/applications/${token}/chats/${chat}/search`;
      expect((await raw('GET', path)).status).toBe(400);
      await refused(anonymous.searchAppChat(token, chat, '   '), 400, 'validation_failed');
      const blank = await getWithBody(path, JSON.stringify({ search_query: ' ' }));
      expect(blank).toMatchObject({ status: 400, json: { error: { code: 'validation_failed', details: [{ field: 'search_query' }] } } });
      const notText = await getWithBody(path, JSON.stringify({ search_query: 42 }));
      expect(notText).toMatchObject({ status: 400, json: { error: { code: 'validation_failed' } } });
    });

    it('a search body that is malformed JSON is 400, one that is not JSON is 415, one over 1 MiB is 413', async () => {
      const { application_token: token } = await newApplication();
      const chat = await chatWith(token, ['x']);
      const path = `/api/applications/${token}/chats/${chat}/search`;
      expect(await getWithBody(path, '{"search_query": ')).toMatchObject({ status: 400, json: { error: { code: 'invalid_json' } } });
      expect(await getWithBody(path, 'search_query=x', 'text/plain')).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type' } } });
      const huge = JSON.stringify({ search_query: 'x', padding: 'p'.repeat(1_100_000) });
      expect(await getWithBody(path, huge)).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large' } } });
    });
  });

  describe('live events: /v1/ws with an application token', () => {
    it('a socket authenticated with the application token receives numbered app.message.created and app.message.updated frames for the chats it subscribed to', async () => {
      const app = await newApplication();
      const token = app.application_token;
      await anonymous.createChat(token, 'followed');
      await anonymous.createChat(token, 'not followed');
      await anonymous.postAppMessage(token, 1, 'before');
      const socket = await applicationSocket(token);
      expect(socket.received('app.ready')).toEqual([{ type: 'app.ready', data: { application_name: app.application_name, chats_count: 2 } }]);
      socket.send({ type: 'subscribe', chat_number: 1 });
      expect(await socket.next('app.subscribed')).toEqual({ type: 'app.subscribed', data: { chat_number: 1, messages_count: 1 } });

      await anonymous.postAppMessage(token, 2, 'elsewhere');
      await anonymous.postAppMessage(token, 1, 'live one');
      await anonymous.postAppMessage(token, 1, 'live two');
      await anonymous.editAppMessage(token, 1, 2, 'live one, edited');
      expect(await socket.next('app.message.updated')).toEqual({ type: 'app.message.updated', data: { chat_number: 1, message_number: 2, message_content: 'live one, edited' } });
      const created = socket.received('app.message.created');
      expect(created.map((f) => f.data).sort((x, y) => x.message_number - y.message_number)).toEqual([
        { chat_number: 1, message_number: 2, message_content: 'live one' },
        { chat_number: 1, message_number: 3, message_content: 'live two' },
      ]);
      expect(created.every((f) => Object.keys(f).sort().join() === 'data,type')).toBe(true);
    });

    it('several sockets of one application each get every message of the chats they follow', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      const sockets = [await applicationSocket(token), await applicationSocket(token)];
      for (const socket of sockets) {
        socket.send({ type: 'subscribe', chat_number: 1 });
        await socket.next('app.subscribed');
      }
      await Promise.all(range(1, 10).map((i) => anonymous.postAppMessage(token, 1, `m${i}`)));
      for (const socket of sockets) {
        await eventually('frames', () => socket.received('app.message.created').length, (n) => n >= 10);
        expect(socket.received('app.message.created').map((f) => f.data.message_number).sort((x, y) => x - y)).toEqual(range(1, 10));
      }
    });

    it('unsubscribing stops a chat’s frames', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      const socket = await applicationSocket(token);
      socket.send({ type: 'subscribe', chat_number: 1 });
      await socket.next('app.subscribed');
      await anonymous.postAppMessage(token, 1, 'heard');
      await socket.next('app.message.created');
      socket.send({ type: 'unsubscribe', chat_number: 1 });
      await socket.roundTrip();
      await anonymous.postAppMessage(token, 1, 'not heard');
      await sleep(200);
      await socket.roundTrip();
      expect(socket.received('app.message.created').map((f) => f.data.message_content)).toEqual(['heard']);
    });

    it('subscribing to a chat the application does not have is an error frame naming no token', async () => {
      const { application_token: token } = await newApplication();
      const socket = await applicationSocket(token);
      socket.send({ type: 'subscribe', chat_number: 7 });
      const error = await socket.next('error');
      expect(error).toEqual({ type: 'error', code: 'not_found', message: expect.any(String) });
      expect(error.message).not.toContain(token);
      await socket.roundTrip();
    });

    it('an application token that is not valid closes the socket with 4401', async () => {
      const socket = await connect(server.url, { untilOpen: true });
      socket.send({ type: 'auth', application_token: 'not-an-application' });
      expect((await socket.waitClosed()).code).toBe(4401);
    });

    it('rotating the token closes the sockets authenticated with the old one (4403)', async () => {
      const { application_token: token } = await newApplication();
      const socket = await applicationSocket(token);
      const rotated = await anonymous.rotateApplication(token);
      expect((await socket.waitClosed()).code).toBe(4403);
      const renewed = await applicationSocket(rotated.application_token);
      await renewed.roundTrip();
    });

    it('an application socket follows only its chats, and a user socket no chats', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      const app = await applicationSocket(token);
      app.send({ type: 'subscribe', channel_id: 'general' });
      expect(await app.next('error')).toMatchObject({ code: 'forbidden' });
      app.send({ type: 'send', channel_id: 'general', body: 'hi', nonce: 'n1' });
      expect(await app.next('error')).toMatchObject({ code: 'forbidden' });
      const user = server.client();
      const { token: session } = await user.signUp(newMusician());
      const userSocket = await connect(server.url, { token: session });
      userSocket.send({ type: 'subscribe', chat_number: 1 });
      expect(await userSocket.next('error')).toMatchObject({ code: 'forbidden' });
      await anonymous.postAppMessage(token, 1, 'not for users');
      await sleep(200);
      await userSocket.roundTrip();
      expect(userSocket.received('app.message.created')).toEqual([]);
    });
  });

  describe('webhooks', () => {
    it('a new or edited message is POSTed to webhook_url, signed X-Riff-Signature: sha256=<HMAC-SHA256 of the body with the secret>', async () => {
      const receiver = await webhookReceiver();
      try {
        const app = await newApplication({ webhook_url: receiver.url });
        expect(app.webhook_url).toBe(receiver.url);
        const token = app.application_token;
        await anonymous.createChat(token, 'hooked');
        await anonymous.postAppMessage(token, 1, 'hello hook');
        await anonymous.editAppMessage(token, 1, 1, 'hello again');
        await runDueJobs();
        await eventually('deliveries', () => receiver.deliveries.length, (n) => n >= 2);
        const events = receiver.deliveries.map((d) => JSON.parse(d.body) as { id: string; type: string; data: unknown });
        expect(events.map((e) => ({ type: e.type, data: e.data })).sort((x, y) => x.type.localeCompare(y.type))).toEqual([
          { type: 'app.message.created', data: { chat_number: 1, message_number: 1, message_content: 'hello hook' } },
          { type: 'app.message.updated', data: { chat_number: 1, message_number: 1, message_content: 'hello again' } },
        ]);
        for (const delivery of receiver.deliveries) {
          expect(delivery.headers['content-type']).toMatch(/^application\/json/);
          expect(delivery.headers['x-riff-signature']).toBe(signatureOf(app.webhook_secret, delivery.body));
          expect(delivery.headers['x-riff-signature']).not.toBe(signatureOf('another secret', delivery.body));
          expect(delivery.body).not.toContain(token);
        }
      } finally {
        await receiver.close();
      }
    });

    it('a receiver that fails is retried with backoff until it answers 2xx, with the same signed body', async () => {
      const receiver = await webhookReceiver((nth) => (nth === 1 ? 500 : 200));
      try {
        const app = await newApplication({ webhook_url: receiver.url });
        await anonymous.createChat(app.application_token, 'c');
        await anonymous.postAppMessage(app.application_token, 1, 'try, try again');
        await runDueJobs();
        await eventually('first delivery', () => receiver.deliveries.length, (n) => n >= 1);
        await runDueJobs();
        expect(receiver.deliveries).toHaveLength(1);
        clock.advance(60_000);
        await runDueJobs();
        await eventually('the retry', () => receiver.deliveries.length, (n) => n >= 2);
        const [failed, retried] = receiver.deliveries as [Delivery, Delivery];
        expect(retried.body).toBe(failed.body);
        expect(retried.headers['x-riff-signature']).toBe(signatureOf(app.webhook_secret, retried.body));
        clock.advance(600_000);
        await runDueJobs();
        await sleep(100);
        expect(receiver.deliveries).toHaveLength(2);
      } finally {
        await receiver.close();
      }
    });

    it('posting answers at once while the receiver is down; the webhook is set and cleared with PATCH', async () => {
      const down = await webhookReceiver();
      await down.close();
      const app = await newApplication();
      const token = app.application_token;
      expect((await anonymous.updateApplication(token, { webhook_url: down.url })).webhook_url).toBe(down.url);
      await anonymous.createChat(token, 'c');
      const started = Date.now();
      expect((await anonymous.postAppMessage(token, 1, 'nobody listens')).message_number).toBe(1);
      expect(Date.now() - started).toBeLessThan(DEFAULT_WAIT_MS);
      await runDueJobs();
      expect((await anonymous.updateApplication(token, { webhook_url: null })).webhook_url).toBeNull();
    });

    it('rotation issues a new secret, and later deliveries are signed with it', async () => {
      const receiver = await webhookReceiver();
      try {
        const app = await newApplication({ webhook_url: receiver.url });
        const rotated = await anonymous.rotateApplication(app.application_token);
        await anonymous.createChat(rotated.application_token, 'c');
        await anonymous.postAppMessage(rotated.application_token, 1, 'signed anew');
        await runDueJobs();
        const [delivery] = await eventually('delivery', () => receiver.deliveries, (d) => d.length >= 1);
        expect(delivery!.headers['x-riff-signature']).toBe(signatureOf(rotated.webhook_secret, delivery!.body));
      } finally {
        await receiver.close();
      }
    });
  });

  describe('webhook targets, with private targets refused (the default)', () => {
    const guardedClock = new ManualClock();
    let guarded: TestRiff;
    beforeAll(async () => {
      guarded = await startRiff(dialect, { clock: guardedClock });
    });
    afterAll(() => guarded.close());

    it.each([
      'http://127.0.0.1:8080/hook',
      'http://10.1.2.3/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://0.0.0.0/hook',
      'http://[::1]/hook',
      'http://[fc00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
    ])('a webhook_url at a loopback, private, link-local or metadata address (%s) is refused with 400 webhook_target_refused', async (url) => {
      const created = await fetch(`${guarded.url}/api/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ application_name: 'probe', webhook_url: url }) });
      expect(created.status).toBe(400);
      expect(((await created.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'webhook_target_refused', message: expect.stringContaining('webhook_url') });
      const { application_token: token } = await guarded.client().createApplication({ application_name: 'probe' });
      await refused(guarded.client().updateApplication(token, { webhook_url: url }), 400, 'webhook_target_refused');
    });

    it('a webhook_url that is not http(s) is refused with 400', async () => {
      await refused(guarded.client().createApplication({ application_name: 'probe', webhook_url: 'file:///etc/passwd' }), 400);
    });

    it('a webhook_url at a public address is accepted', async () => {
      const app = await guarded.client().createApplication({ application_name: 'public', webhook_url: 'https://203.0.113.10/hook' });
      expect(app.webhook_url).toBe('https://203.0.113.10/hook');
    });

    it('a host name that resolves to a loopback address is accepted but never delivered to', async () => {
      const receiver = await webhookReceiver();
      try {
        const localName = receiver.url.replace('127.0.0.1', 'localhost');
        const client = guarded.client();
        const app = await client.createApplication({ application_name: 'rebinding', webhook_url: localName });
        await client.createChat(app.application_token, 'c');
        await client.postAppMessage(app.application_token, 1, 'for the internal network');
        await guarded.riff.jobs.runDue();
        // Past the retry's backoff: the second attempt is refused too.
        guardedClock.advance(3_600_000);
        await guarded.riff.jobs.runDue();
        expect(receiver.deliveries).toEqual([]);
      } finally {
        await receiver.close();
      }
    });
  });

  describe('bad input gets the error envelope, never a 500', () => {
    const long = 'x'.repeat(101);
    it.each([
      ['a blank application_name', 'POST', '/api/applications', { application_name: '   ' }],
      ['an over-long application_name', 'POST', '/api/applications', { application_name: long }],
      ['a missing application_name', 'POST', '/api/applications', {}],
      ['a number as application_name', 'POST', '/api/applications', { application_name: 123 }],
      ['a webhook_url that is not http(s)', 'POST', '/api/applications', { application_name: 'a', webhook_url: 'ftp://example.com/hook' }],
      ['a webhook_url that is not a URL', 'POST', '/api/applications', { application_name: 'a', webhook_url: 'hook' }],
      ['a blank chat_name', 'POST', '/chats', { chat_name: ' ' }],
      ['an over-long chat_name', 'POST', '/chats', { chat_name: long }],
      ['blank message_content', 'POST', '/chats/1/messages', { message_content: ' \n ' }],
      ['over-long message_content', 'POST', '/chats/1/messages', { message_content: 'y'.repeat(4001) }],
      ['message_content that is not text', 'POST', '/chats/1', { message_content: ['hi'] }],
      ['a NUL in message_content', 'POST', '/chats/1/messages', { message_content: 'a\u0000b' }],
      ['an edit to blank content', 'PATCH', '/chats/1/messages/1', { message_content: '' }],
      ['a rename with nothing to change', 'PATCH', '', {}],
      ['a blank rename', 'PUT', '', { application_name: '' }],
    ])('%s is 400', async (_name, method, path, body) => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      await anonymous.postAppMessage(token, 1, 'm');
      const url = path.startsWith('/api') ? path : `/api/applications/${token}${path}`;
      const answer = await raw(method, url, JSON.stringify(body));
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
    });

    it('content of exactly 4,000 characters (code points) is accepted, and is stored trimmed', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      const content = '🎸'.repeat(4000);
      expect((await anonymous.postAppMessage(token, 1, `  ${content}  `)).message_content).toBe(content);
    });

    it('malformed JSON is 400, a body over 1 MiB is 413 and a body that is not JSON is 415', async () => {
      const { application_token: token } = await newApplication();
      await anonymous.createChat(token, 'c');
      const messages = `/api/applications/${token}/chats/1/messages`;
      const malformed = await raw('POST', messages, '{"message_content": "hi"');
      expect(malformed).toMatchObject({ status: 400, json: { error: { code: 'invalid_json' } } });
      const huge = await raw('POST', messages, JSON.stringify({ message_content: 'x'.repeat(1_100_000) }));
      expect(huge).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large' } } });
      const text = await raw('POST', messages, 'message_content=hi', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(text).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type' } } });
      const created = await raw('POST', '/api/applications', '{"application_name": ');
      expect(created).toMatchObject({ status: 400, json: { error: { code: 'invalid_json' } } });
    });
  });
});
