import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/platform/http/metrics.js';
import { createHttpServer } from '../../src/platform/http/server.js';
import { webApp } from '../../src/platform/http/web.js';
import { accessibilityViolations, haveChromium, launchBrowser, pageProblems, pageWidth, PHONE, screenshot, signUpInBrowser } from '../helpers/browser.js';
import { startRiff, type TestRiff } from '../helpers/riff.js';

describe('the web app', () => {
  let riff: TestRiff;
  beforeAll(async () => {
    riff = await startRiff('sqlite');
  });
  afterAll(() => riff?.close());

  it('is served at / to a browser', async () => {
    const response = await fetch(`${riff.url}/`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<div id="app">');
  });

  it('answers a deep link that accepts HTML with the app, so the page can route it', async () => {
    const response = await fetch(`${riff.url}/channels/general`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<div id="app">');
  });

  it('keeps the JSON 404 for an unknown path asked for as JSON', async () => {
    const response = await fetch(`${riff.url}/nope`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it('keeps the JSON 404 for an unknown API path even when HTML is accepted', async () => {
    const response = await fetch(`${riff.url}/v1/nope`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it('answers / with a JSON 404 saying how to build the app when it is not built', async () => {
    const http = await createHttpServer({ logLevel: 'silent', metrics: createMetrics(), version: 'test', corsOrigins: [] });
    await webApp(http, '/nonexistent/riff-web/');
    const response = await http.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    await http.close();
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toContain('npm run build');
  });

  describe.skipIf(!haveChromium)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());

    const signUp = async (name: string) => (await signUpInBrowser(browser, riff.url, name)).page;

    it('shows a message one musician sends to another live in General', async () => {
      const alice = await signUp('alice');
      const bob = await signUp('bob');
      const text = `Anyone up for a jam on Friday? ${Date.now()}`;
      await alice.getByLabel('Message #General').fill(text);
      await alice.getByRole('button', { name: 'Send' }).click();
      await bob.getByRole('list', { name: 'Messages' }).getByText(text).waitFor({ timeout: 20_000 });
      await alice.locator('.message:not(.pending)').getByText(text).waitFor({ timeout: 20_000 });
      await screenshot(bob, 'channels-desktop');
      // The ack and the live frame are one message: it shows once.
      expect(await alice.getByText(text).count()).toBe(1);
      expect(await bob.getByText(text).count()).toBe(1);
    });

    it('counts unread messages in a channel that is not open', async () => {
      const dave = await signUp('dave');
      const erin = await signUp('erin');
      await dave.getByRole('button', { name: '+ New channel' }).click();
      await dave.getByRole('form', { name: 'New channel' }).getByLabel('Name').fill('Gear talk');
      await dave.getByRole('button', { name: 'Create' }).click();
      await dave.getByRole('heading', { name: /Gear talk/ }).waitFor({ timeout: 20_000 });
      await erin.getByLabel('Message #General').fill('Selling a Rhodes Mk I');
      await erin.getByRole('button', { name: 'Send' }).click();
      await dave.getByRole('link', { name: /General/ }).getByLabel('1 unread').waitFor({ timeout: 20_000 });
      await dave.getByRole('link', { name: /General/ }).click();
      await dave.getByText('Selling a Rhodes Mk I').waitFor({ timeout: 20_000 });
      await dave.getByRole('link', { name: /General/ }).getByLabel('1 unread').waitFor({ state: 'detached', timeout: 20_000 });
    });

    it('creates a channel and opens it', async () => {
      const carol = await signUp('carol');
      await carol.getByRole('button', { name: '+ New channel' }).click();
      const form = carol.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Name').fill('Jazz standards');
      await form.getByLabel('Description').fill('Real Book night');
      await form.getByRole('button', { name: 'Create' }).click();
      await carol.getByRole('heading', { name: /Jazz standards/ }).waitFor({ timeout: 20_000 });
      await carol.getByLabel('Message #Jazz standards').fill('Autumn Leaves in G minor?');
      await carol.getByRole('button', { name: 'Send' }).click();
      await carol.locator('.message:not(.pending)').getByText('Autumn Leaves in G minor?').waitFor({ timeout: 20_000 });
    });

    it('fits a phone and passes axe on the channel view', async () => {
      const { page } = await signUpInBrowser(browser, riff.url, 'fran', PHONE);
      await page.getByLabel('Message #General').fill('Hello from my phone');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('.message:not(.pending)').getByText('Hello from my phone').waitFor({ timeout: 20_000 });
      await screenshot(page, 'channels-phone');
      expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
      expect(await accessibilityViolations(page)).toEqual([]);
      expect(pageProblems(page)).toEqual([]);
    });
  });
});
