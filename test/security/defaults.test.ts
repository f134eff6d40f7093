/**
 * Safe defaults of issue #13: security headers on every answer, HSTS only behind TLS, CORS off
 * unless configured, no cookies, sessions that end, and secrets that never reach the logs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { failure } from '../helpers/failures.js';
import { killAllChildren, startNode, waitUntil, type RiffNode } from '../helpers/nodes.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { createTestDatabase } from '../helpers/services.js';
import { closeAllSockets, connect } from '../helpers/socket.js';

const DAY = 86_400_000;

describeEachDialect('safe defaults', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock });
  });
  afterAll(() => server.close());

  it('every answer carries the security headers: API, errors, unknown routes and the web app', async () => {
    const signedUp = await server.client().signUp(newMusician());
    const answers = await Promise.all([
      fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${signedUp.token}` } }),
      fetch(`${server.url}/v1/users/me`),
      fetch(`${server.url}/v1/no-such-route`),
      fetch(`${server.url}/`, { headers: { accept: 'text/html' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 200]);
    for (const answer of answers) {
      const csp = answer.headers.get('content-security-policy') ?? '';
      for (const directive of ["default-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self' data: https:", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
        expect(csp, answer.url).toContain(directive);
      }
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      // Plain HTTP from an untrusted peer: no HSTS.
      expect(answer.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('X-Forwarded-Proto: https from a proxy that is not trusted does not turn HSTS on', async () => {
    const answer = await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(answer.headers.get('strict-transport-security')).toBeNull();
  });

  it('CORS is off unless configured: no Access-Control headers for any origin, preflight included', async () => {
    const simple = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://elsewhere.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/v1/users`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('no cookies are set: sign-up, login and logout answer without Set-Cookie', async () => {
    const body = newMusician();
    const json = { 'content-type': 'application/json' };
    const signUp = await fetch(`${server.url}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const logIn = await fetch(`${server.url}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ email: body.email, password: body.password }) });
    const { token } = (await logIn.json()) as { token: string };
    const logOut = await fetch(`${server.url}/v1/sessions/mine`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    for (const answer of [signUp, logIn, logOut]) expect(answer.headers.get('set-cookie')).toBeNull();
  });

  it('a session used every day still ends 90 days after it was opened: 401 session_expired', async () => {
    const me = server.client();
    await me.signUp(newMusician());
    for (let day = 20; day <= 80; day += 20) {
      clock.advance(20 * DAY);
      await me.me();
    }
    clock.advance(10 * DAY);
    const expired = await failure(me.me());
    expect({ status: expired.status, code: expired.code }).toEqual({ status: 401, code: 'session_expired' });
  });
});

describe('behind a trusted proxy', () => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite', { config: { trustProxy: ['loopback'] } });
  });
  afterAll(() => server.close());

  it('HSTS is sent when the trusted proxy says the request came over TLS, and only then', async () => {
    const overTls = await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(overTls.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    const plain = await fetch(`${server.url}/healthz`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });
});

describeEachDialect('secrets in logs', (dialect) => {
  let node: RiffNode;
  let dropDatabase = async () => {};
  beforeAll(async () => {
    const env: Record<string, string> = { LOG_LEVEL: 'trace' };
    if (dialect === 'postgres') {
      const database = await createTestDatabase();
      env.DATABASE_URL = database.url;
      dropDatabase = database.drop;
    }
    node = await startNode(`logs ${dialect}`, env);
  });
  afterAll(async () => {
    await killAllChildren();
    await dropDatabase();
  });
  afterEach(() => closeAllSockets());

  it('no token or password used with a node shows in its logs, even at trace level', async () => {
    const { RiffClient } = await import('../../src/client/index.js');
    const body = newMusician({ password: 'first secret phrase', password_conf: 'first secret phrase' });
    const client = new RiffClient(node.url);
    const signedUp = await client.signUp(body);
    const loggedIn = await new RiffClient(node.url).logIn({ username: body.username, password: body.password });
    await new RiffClient(node.url).logIn({ username: body.username, password: 'a wrong guess' }).catch(() => {});
    const changed = await client.changePassword({ current_password: body.password, password: 'second secret phrase', password_conf: 'second secret phrase' });
    const socket = await connect(node.url, { token: changed.token, auth: 'query' });
    socket.send({ type: 'send', channel_id: 'general', body: 'hello from the socket', nonce: 'log-1' });
    await socket.next('ack');
    const application = await client.createApplication({ application_name: 'log check' });
    const chat = await client.createChat(application.application_token, 'room');
    await client.postAppMessage(application.application_token, chat.chat_number, 'hello app');
    // A request logged after all of the above: once it shows, the output has caught up.
    const marker = `/v1/log-marker-${Date.now()}`;
    await fetch(`${node.url}${marker}`);
    await waitUntil(() => node.child.output.includes(marker), 10_000, 'the marker request in the log');

    const output = node.child.output;
    const secrets = [signedUp.token, loggedIn.token, changed.token, application.application_token, application.webhook_secret, 'first secret phrase', 'second secret phrase', 'a wrong guess'];
    for (const secret of secrets) expect(output.includes(secret), `a secret of ${secret.length} characters is in the log`).toBe(false);
  });
});
