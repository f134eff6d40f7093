/**
 * The web app renders user text as text (issue #13): markup in messages, channel names and
 * descriptions — typed by others or by oneself — shows literally and never runs. Usernames cannot
 * carry markup at all: sign-up refuses them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchBrowser } from '../helpers/browser.js';
import { newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '<script>window.__xss=1</script>';
/** Where the web app keeps its session token (web/src/main.tsx). */
const TOKEN_KEY = 'riff.token';
const WEB_SOURCES = path.resolve(import.meta.dirname, '../../web/src');

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));

describe('the web app renders user text as text, never as markup', () => {
  it('web/src never hands text to the HTML parser (no dangerouslySetInnerHTML, innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
    const sources = filesUnder(WEB_SOURCES).filter((file) => /\.(ts|tsx|js|jsx)$/.test(file));
    expect(sources.length).toBeGreaterThan(0);
    const offending = sources.flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(line) ? [`${path.relative(WEB_SOURCES, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });

  describe.skipIf(!haveChromium)('in Chromium', () => {
    let riff: TestRiff;
    let browser: Browser;
    beforeAll(async () => {
      riff = await startRiff('sqlite');
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await riff?.close();
    });

    async function api<T>(method: string, route: string, token: string | undefined, body?: unknown): Promise<T> {
      const response = await fetch(riff.url + route, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = (await response.json()) as T;
      if (!response.ok) throw new Error(`${method} ${route} answered ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    }

    /** A page signed in as the holder of `token` (as if they had logged in before), with General open and live. */
    async function pageOf(token: string): Promise<{ page: Page; problems: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      // Runs in the page, whose globals the test's TypeScript (no DOM library) does not know.
      await context.addInitScript(([key, value]) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(key!, value!), [TOKEN_KEY, token]);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(riff.url);
      await page.getByRole('heading', { name: /General/ }).waitFor({ timeout: 20_000 });
      await page.getByRole('status', { name: 'Connection: live' }).waitFor({ timeout: 20_000 });
      return { page, problems };
    }

    /** Nothing ran, and no element came out of the text. */
    async function expectInert(page: Page): Promise<void> {
      expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.locator('#app img, #app script').count()).toBe(0);
    }

    it('a username with markup is refused at sign-up, so it never reaches a page', async () => {
      const response = await fetch(`${riff.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newMusician({ username: IMG })) });
      expect(response.status).toBe(400);
    });

    it('markup in messages, a channel name and a description from someone else shows literally and never runs', async () => {
      const mallory = await api<{ id: string; token: string }>('POST', '/v1/users', undefined, newMusician());
      const alice = await api<{ id: string; token: string }>('POST', '/v1/users', undefined, newMusician());
      const { page, problems } = await pageOf(alice.token);
      const channel = await api<{ id: string }>('POST', '/v1/channels', mallory.token, { name: `${IMG} jam`, description: SCRIPT, private: true, members: [alice.id] });
      const general = (await api<{ id: string; name: string }[]>('GET', '/v1/channels', mallory.token)).find((c) => c.name === 'General')!;
      for (const body of [IMG, SCRIPT]) {
        await api('POST', `/v1/channels/${general.id}`, mallory.token, { body });
        await api('POST', `/v1/channels/${channel.id}`, mallory.token, { body: `${body} again` });
      }

      const history = page.getByRole('list', { name: 'Messages' });
      await history.getByText(IMG, { exact: true }).waitFor({ timeout: 20_000 });
      await history.getByText(SCRIPT, { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByRole('link', { name: `${IMG} jam` }).click();
      await page.getByRole('heading', { name: `${IMG} jam`, exact: true }).waitFor({ timeout: 20_000 });
      await page.locator('.channel-head .description').getByText(SCRIPT, { exact: true }).waitFor({ timeout: 20_000 });
      await history.getByText(`${IMG} again`, { exact: true }).waitFor({ timeout: 20_000 });
      await history.getByText(`${SCRIPT} again`, { exact: true }).waitFor({ timeout: 20_000 });
      await expectInert(page);
      expect(problems).toEqual([]);
    });

    it('markup one types oneself, in a message and a new channel name, shows literally and never runs', async () => {
      const dee = await api<{ id: string; token: string }>('POST', '/v1/users', undefined, newMusician());
      const { page, problems } = await pageOf(dee.token);
      const typed = `${SCRIPT} typed by me`;
      await page.getByLabel('Message #General').fill(typed);
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('.message:not(.pending)').getByText(typed, { exact: true }).waitFor({ timeout: 20_000 });

      await page.getByRole('button', { name: '+ New channel' }).click();
      const form = page.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Name').fill(IMG);
      await form.getByLabel('Description').fill(SCRIPT);
      await form.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('heading', { name: IMG, exact: true }).waitFor({ timeout: 20_000 });
      await page.getByLabel(`Message #${IMG}`).fill(IMG);
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('.message:not(.pending)').getByText(IMG, { exact: true }).waitFor({ timeout: 20_000 });
      await expectInert(page);
      expect(problems).toEqual([]);
    });
  });
});
