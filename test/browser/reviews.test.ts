/**
 * Reviews in Chromium: finding an album, a half-star review moving the histogram and the average,
 * another musician's review showing after a reload, editing one's review, and an album's and a
 * genre's forum room shared live between two musicians.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlbumView, RiffClient } from '../../src/client/index.js';
import { randomTag } from '../helpers/failures.js';
import { checkAtBothWidths, haveChromium, launchBrowser, pageProblems, screenshot, signUpInBrowser } from '../helpers/browser.js';
import { newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

const WAIT = { timeout: 20_000 };

/** The histogram's row for a rating reads "4.5 stars 1": the rating and how many gave it. */
const bucket = (page: Page, stars: string, count: number) => page.getByRole('row', { name: `${stars} ${count}`, exact: true }).waitFor(WAIT);
const average = (page: Page, label: string) => page.getByRole('img', { name: label, exact: true }).first().waitFor(WAIT);

/** Searches the albums from the Reviews section for `query`. */
async function search(page: Page, query: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Reviews' }).click();
  await page.getByRole('search', { name: 'Find albums' }).getByLabel('Title or artist').fill(query);
  await page.getByRole('button', { name: 'Search' }).click();
}

async function findAlbum(page: Page, title: string): Promise<void> {
  await search(page, title);
  await page.getByRole('list', { name: 'Albums' }).getByRole('link', { name: title }).waitFor(WAIT);
}

describe.skipIf(!haveChromium)('Reviews in Chromium', () => {
  let riff: TestRiff;
  let browser: Browser;
  let critic: RiffClient;
  const tag = randomTag();
  const albums: Record<'kindOfBlue' | 'loveSupreme' | 'blueTrain', AlbumView> = {} as never;

  beforeAll(async () => {
    riff = await startRiff('sqlite');
    browser = await launchBrowser();
    // Any registered musician may add albums; this one also reviews them over REST.
    critic = riff.client();
    critic.token = (await critic.signUp(newMusician())).token;
    albums.kindOfBlue = await critic.addAlbum({ title: `Kind of Blue ${tag}`, artist: 'Miles Davis', year: 1959, genres: ['jazz', 'modal-jazz'] });
    albums.loveSupreme = await critic.addAlbum({ title: `A Love Supreme ${tag}`, artist: 'John Coltrane', year: 1965, genres: ['jazz'] });
    albums.blueTrain = await critic.addAlbum({ title: `Blue Train ${tag}`, artist: 'John Coltrane', year: 1957, genres: ['jazz', 'hard-bop'] });
    await critic.review({ album_id: albums.kindOfBlue.id, rating: 3, review_text: 'Pleasant, a little sleepy.' });
    await critic.review({ album_id: albums.loveSupreme.id, rating: 5 });
  });
  afterAll(async () => {
    await browser?.close();
    await riff?.close();
  });

  it('a 4.5-star review grows the 4.5 bucket and moves the average; another musician’s review shows after a reload; the review is edited', async () => {
    const { page: ann } = await signUpInBrowser(browser, riff.url, 'ann');
    // Newest first, matching the artist in any case.
    await search(ann, 'coltrane');
    const found = ann.getByRole('list', { name: 'Albums' });
    await found.getByRole('link', { name: `Kind of Blue ${tag}` }).waitFor({ state: 'detached', ...WAIT });
    expect(await found.getByRole('link').allTextContents()).toEqual([`Blue Train ${tag}`, `A Love Supreme ${tag}`]);
    await findAlbum(ann, `Kind of Blue ${tag}`);
    await checkAtBothWidths(ann, 'reviews-search');

    await ann.getByRole('link', { name: `Kind of Blue ${tag}` }).click();
    await ann.getByRole('heading', { level: 1, name: `Kind of Blue ${tag}` }).waitFor(WAIT);
    await bucket(ann, '4.5 stars', 0);
    await bucket(ann, '3 stars', 1);
    await average(ann, 'Average 3.0 out of 5 stars from 1 review');

    // By keyboard: from 4 stars, the right arrow moves to 4.5.
    const form = ann.getByRole('form', { name: 'Write a review' });
    await form.getByRole('radio', { name: '4 stars', exact: true }).check();
    await ann.keyboard.press('ArrowRight');
    expect(await form.getByRole('radio', { name: '4.5 stars' }).isChecked()).toBe(true);
    await form.getByLabel('Review (optional)').fill('So What still sounds like tomorrow.');
    await screenshot(ann, 'reviews-write-desktop');
    await form.getByRole('button', { name: 'Publish review' }).click();

    await bucket(ann, '4.5 stars', 1);
    await average(ann, 'Average 3.8 out of 5 stars from 2 reviews');
    await ann.getByRole('heading', { name: 'Your review' }).waitFor(WAIT);
    await ann.getByRole('list', { name: 'Reviews' }).getByText('So What still sounds like tomorrow.').waitFor(WAIT);
    await checkAtBothWidths(ann, 'reviews-album');

    const bob = riff.client();
    bob.token = (await bob.signUp(newMusician())).token;
    await bob.review({ album_id: albums.kindOfBlue.id, rating: 5, review_text: 'The one record everyone owns, for good reason.' });
    await ann.reload();
    await bucket(ann, '5 stars', 1);
    await average(ann, 'Average 4.2 out of 5 stars from 3 reviews');
    await ann.getByRole('list', { name: 'Reviews' }).getByText('The one record everyone owns, for good reason.').waitFor(WAIT);

    // Highest rated first puts Bob's 5 stars on top.
    await ann.getByLabel('Sort reviews').selectOption('rating');
    await ann.getByRole('list', { name: 'Reviews' }).getByRole('listitem').first().getByText('The one record everyone owns').waitFor(WAIT);

    await ann.getByRole('button', { name: 'Edit review' }).click();
    const edit = ann.getByRole('form', { name: 'Edit your review' });
    expect(await edit.getByRole('radio', { name: '4.5 stars' }).isChecked()).toBe(true);
    await edit.getByRole('radio', { name: '2 stars', exact: true }).check();
    await edit.getByRole('button', { name: 'Save review' }).click();
    await bucket(ann, '4.5 stars', 0);
    await bucket(ann, '2 stars', 1);
    await average(ann, 'Average 3.3 out of 5 stars from 3 reviews');
    await ann.getByRole('list', { name: 'Reviews' }).getByText('(edited)').waitFor(WAIT);

    await ann.getByRole('button', { name: 'Delete' }).click();
    await ann.getByRole('button', { name: 'Delete review' }).click();
    await ann.getByRole('form', { name: 'Write a review' }).waitFor(WAIT);
    await bucket(ann, '2 stars', 0);
    await average(ann, 'Average 4.0 out of 5 stars from 2 reviews');

    expect(pageProblems(ann)).toEqual([]);
  });

  it('an album’s forum room and a genre’s room carry one musician’s message live to another', async () => {
    const { page: cleo } = await signUpInBrowser(browser, riff.url, 'cleo');
    const { page: dan } = await signUpInBrowser(browser, riff.url, 'dan');
    for (const page of [cleo, dan]) {
      await findAlbum(page, `Blue Train ${tag}`);
      await page.getByRole('link', { name: `Blue Train ${tag}` }).click();
      await page.getByRole('heading', { name: 'Forum' }).waitFor(WAIT);
    }
    await cleo.getByRole('button', { name: 'Open the forum room' }).click();
    await cleo.getByLabel(`Message Forum: Blue Train ${tag}`).fill('Lee Morgan at nineteen!');
    await cleo.getByRole('button', { name: 'Send' }).click();
    // Dan's page was open before the room was: a reload finds it, then it is live.
    await dan.reload();
    await dan.getByRole('list', { name: 'Messages' }).getByText('Lee Morgan at nineteen!').waitFor(WAIT);
    await cleo.getByLabel(`Message Forum: Blue Train ${tag}`).fill('And Curtis Fuller on trombone');
    await cleo.getByRole('button', { name: 'Send' }).click();
    await dan.getByRole('list', { name: 'Messages' }).getByText('And Curtis Fuller on trombone').waitFor(WAIT);
    await dan.getByRole('region', { name: 'Forum', exact: true }).scrollIntoViewIfNeeded();
    await screenshot(dan, 'reviews-forum-desktop');

    await dan.getByRole('link', { name: 'hard-bop room' }).click();
    await dan.getByRole('heading', { level: 1, name: 'Genre: hard-bop' }).waitFor(WAIT);
    await cleo.getByRole('link', { name: '← All albums' }).click();
    await cleo.getByRole('link', { name: 'Genre: hard-bop' }).waitFor(WAIT);
    await cleo.getByRole('link', { name: 'Genre: hard-bop' }).click();
    await cleo.getByLabel('Message Genre: hard-bop').fill('Best hard bop drummer: Art Blakey, discuss');
    await cleo.getByRole('button', { name: 'Send' }).click();
    await dan.getByRole('list', { name: 'Messages' }).getByText('Best hard bop drummer: Art Blakey, discuss').waitFor(WAIT);

    expect(pageProblems(cleo)).toEqual([]);
    expect(pageProblems(dan)).toEqual([]);
  });
});
