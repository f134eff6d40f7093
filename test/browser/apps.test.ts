import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage, DESKTOP, haveChromium, launchBrowser, pageProblems, PHONE, signUpInBrowser } from '../helpers/browser.js';
import { startRiff, type TestRiff } from '../helpers/riff.js';

/** A screenshot to look at, and what every page owes: nothing wider than the screen (the page nor its <main>), axe clean. */
describe.skipIf(!haveChromium)('the Apps console in Chromium', () => {
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

  for (const [width, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    it(`creates an application, shows its token once, and tries a chat and a message (${width})`, async () => {
      const { page } = await signUpInBrowser(browser, riff.url, 'dev', viewport);
      await page.getByRole('link', { name: 'Apps' }).click();
      await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
      await page.getByLabel('Application name').fill('Gig bot');
      await page.getByRole('button', { name: 'Create', exact: true }).click();

      const issued = page.getByRole('region', { name: 'New application token' });
      await issued.getByText('it is shown only once').waitFor();
      const token = (await issued.getByLabel('Application token', { exact: true }).textContent()) ?? '';
      expect((await riff.client().application(token)).application_name).toBe('Gig bot');
      await issued.getByRole('button', { name: 'Copy application token' }).waitFor();
      const list = page.getByRole('table');
      await list.getByRole('row', { name: new RegExp(`Gig bot …${token.slice(-4)} 0`) }).waitFor();

      await page.getByLabel('Chat name').fill('support');
      await page.getByRole('button', { name: 'Create chat' }).click();
      await page.getByRole('button', { name: /#1 support/ }).waitFor();
      await page.getByLabel('Message', { exact: true }).fill('Is the gig on Friday?');
      await page.getByRole('button', { name: 'Post' }).click();
      const messages = page.getByRole('list', { name: 'Messages of chat 1' });
      await messages.getByRole('listitem').filter({ hasText: '#1' }).filter({ hasText: 'Is the gig on Friday?' }).waitFor();
      await page.getByRole('button', { name: /#1 support 1 message$/ }).waitFor();
      await page.getByText('Try it with curl').click();
      await page.getByText(`curl ${riff.url}/api/applications/${token}/chats/1/messages`).waitFor();
      await checkPage(page, `apps-console-${width}`, viewport);
      if (width === 'desktop') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await checkPage(page, 'apps-console-dark-desktop', viewport);
      }
      expect((await riff.client().appMessages(token, 1)).items.map((message) => [message.message_number, message.message_content])).toEqual([[1, 'Is the gig on Friday?']]);

      // Once hidden, or after a reload, the token is nowhere on the page: only its last characters are.
      await issued.getByRole('button', { name: /hide/ }).click();
      await page.reload();
      await list.getByRole('row', { name: new RegExp(`Gig bot …${token.slice(-4)} 1`) }).waitFor({ timeout: 20_000 });
      expect(await page.content()).not.toContain(token);

      // Pasting the token opens it again, with the chat made before.
      await page.getByLabel('Application token').fill(token);
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByRole('button', { name: /#1 support/ }).click();
      await messages.getByText('Is the gig on Friday?').waitFor();
      expect(pageProblems(page)).toEqual([]);
    });
  }

  it('says so when a pasted token is unknown', async () => {
    const { page } = await signUpInBrowser(browser, riff.url, 'typo');
    await page.getByRole('link', { name: 'Apps' }).click();
    await page.getByLabel('Application token').fill('not-a-token');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('heading', { name: 'Chats' }).count()).toBe(0);
  });
});
