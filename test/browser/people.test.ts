import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage, DESKTOP, haveChromium, launchBrowser, openPage, pageProblems, PHONE, signUpInBrowser } from '../helpers/browser.js';
import { newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

/** A screenshot to look at, and what every page owes: nothing wider than the screen (the page nor its <main>), axe clean. */
describe.skipIf(!haveChromium)('accounts and the musician directory in Chromium', () => {
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
    it(`shows the password rules and the server's complaint beside the field it is about (${width})`, async () => {
      const page = await openPage(browser, viewport);
      await page.goto(riff.url);
      await page.getByRole('form', { name: 'Sign up' }).waitFor();
      await expect(page.getByText('At least 8 characters').isVisible()).resolves.toBe(true);
      await checkPage(page, `accounts-signup-${width}`, viewport);
      expect(pageProblems(page)).toEqual([]);

      await page.getByLabel('Email').fill(`short${Date.now()}@example.com`);
      await page.getByLabel('Username').fill(`short${Date.now() % 1e6}`);
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByLabel('Repeat password').fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      const password = page.getByLabel('Password', { exact: true });
      await page.locator('#password-problem').waitFor();
      expect(await password.getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#password-problem').textContent()).toBe('Must not have fewer than 8 characters');
      await page.getByRole('alert').getByText('Please fix the marked fields').waitFor();
      await checkPage(page, `accounts-signup-refused-${width}`, viewport);
    });

    it(`refuses a wrong password on the log in form (${width})`, async () => {
      const musician = newMusician();
      await riff.client().signUp(musician);
      const page = await openPage(browser, viewport);
      await page.goto(riff.url);
      await page.getByRole('button', { name: 'I already have an account' }).click();
      await page.getByRole('form', { name: 'Log in' }).waitFor();
      await checkPage(page, `accounts-login-${width}`, viewport);
      expect(pageProblems(page)).toEqual([]);

      await page.getByLabel('Username or email').fill(musician.username);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText('Wrong login or password').waitFor();
      await page.getByLabel('Password').fill(musician.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: /General/ }).waitFor({ timeout: 20_000 });
    });
  }

  it('saves a profile whose instruments and city are still there after a reload', async () => {
    const { page, username } = await signUpInBrowser(browser, riff.url, 'ines');
    await page.getByRole('link', { name: `@${username}` }).click();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await page.getByLabel('First name').fill('Inês');
    await page.getByLabel('Last name').fill('Moura');
    await page.getByLabel('City').fill('Porto');
    const instrument = page.getByLabel('Add instrument');
    await instrument.fill('bass');
    await instrument.press('Enter');
    await instrument.pressSequentially('drums,');
    await instrument.pressSequentially('synth');
    await instrument.press('Enter');
    await page.getByRole('button', { name: 'Remove drums' }).click();
    await page.getByLabel('Add genre').fill('funk');
    await page.getByLabel('Add genre').press('Enter');
    await page.getByLabel('Skill level').selectOption('advanced');
    await page.getByLabel('Looking for').fill('A drummer for a funk trio');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').getByText('Profile saved').waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor({ timeout: 20_000 });
    const instruments = page.getByRole('list', { name: 'Instruments' }).getByRole('listitem');
    await instruments.first().waitFor();
    expect(await instruments.allTextContents()).toEqual(['bass×', 'synth×']);
    expect(await page.getByLabel('City').inputValue()).toBe('Porto');
    expect(await page.getByLabel('First name').inputValue()).toBe('Inês');
    expect(await page.getByLabel('Skill level').inputValue()).toBe('advanced');
    expect(await page.getByRole('list', { name: 'Genres' }).getByRole('listitem').allTextContents()).toEqual(['funk×']);
    const saved = await riff.client((await page.evaluate("localStorage.getItem('riff.token')")) as string).me();
    expect(saved).toMatchObject({ city: 'Porto', instruments: ['bass', 'synth'], genres: ['funk'], skill_level: 'advanced' });
    await checkPage(page, 'people-profile-desktop', DESKTOP);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkPage(page, 'people-profile-dark-desktop', DESKTOP);
    expect(pageProblems(page)).toEqual([]);
  });

  it('lays the profile form out on a phone', async () => {
    const { page, username } = await signUpInBrowser(browser, riff.url, 'joao', PHONE);
    await page.getByRole('link', { name: `@${username}` }).click();
    await page.getByLabel('Add instrument').fill('trumpet');
    await page.getByLabel('Add instrument').press('Enter');
    await checkPage(page, 'people-profile-phone', PHONE);
    expect(pageProblems(page)).toEqual([]);
  });

  for (const [width, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    it(`finds a musician by instrument and city and opens their profile (${width})`, async () => {
      const city = `Braga ${width} ${Date.now() % 1e5}`;
      const player = riff.client();
      const body = newMusician();
      await player.signUp(body);
      await player.updateProfile({ first_name: 'Rita', last_name: 'Lopes', city, instruments: ['bass', 'synth'], genres: ['jazz'], skill_level: 'professional', bio: 'Session bassist.' });
      const drummer = riff.client();
      await drummer.signUp(newMusician());
      await drummer.updateProfile({ first_name: 'Duarte', city, instruments: ['drums'] });
      const album = await player.addAlbum({ title: `Head Hunters ${width} ${Date.now()}`, artist: 'Herbie Hancock', genres: ['jazz'] });
      await player.review({ album_id: album.id, rating: 4.5, review_text: 'That clavinet.' });

      const { page } = await signUpInBrowser(browser, riff.url, 'searcher', viewport);
      await page.getByRole('link', { name: 'Musicians' }).click();
      await page.getByRole('heading', { name: 'Musicians', level: 1 }).waitFor();
      await page.getByLabel('Instrument').fill('synth');
      await page.getByLabel('City').fill(city);
      const found = page.getByRole('list', { name: 'Musicians found' });
      await found.getByRole('article', { name: 'Rita Lopes' }).waitFor();
      // The debounced search settles on both filters: the drummer in the same city is not listed.
      await expect.poll(() => found.getByRole('article').count()).toBe(1);
      await checkPage(page, `people-directory-${width}`, viewport);

      await found.getByRole('link', { name: 'Rita Lopes' }).click();
      await page.getByRole('heading', { name: 'Rita Lopes', level: 1 }).waitFor();
      await page.getByText(`@${body.username}`).waitFor();
      await page.getByText('Session bassist.').waitFor();
      await page.getByRole('region', { name: 'Album reviews' }).getByRole('link', { name: new RegExp(album.title) }).waitFor();
      await page.getByRole('img', { name: '4.5 stars' }).waitFor();
      await checkPage(page, `people-musician-${width}`, viewport);

      // Back in the directory, the filters and what they found are as they were.
      await page.goBack();
      await found.getByRole('article', { name: 'Rita Lopes' }).waitFor();
      expect(await page.getByLabel('Instrument').inputValue()).toBe('synth');
      expect(await page.getByLabel('City').inputValue()).toBe(city);
      expect(pageProblems(page)).toEqual([]);
    });
  }
});
