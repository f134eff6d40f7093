/**
 * Talk now in Chromium: two musicians in two browser contexts are paired (one vents, one
 * listens), talk by alias both ways, and when one leaves the other sees the conversation end.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAtBothWidths, haveChromium, launchBrowser, pageProblems, signUpInBrowser } from '../helpers/browser.js';
import { startRiff, type TestRiff } from '../helpers/riff.js';

const WAIT = { timeout: 20_000 };

const openTalkNow = async (page: Page) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Talk now' }).click();
  await page.getByRole('heading', { name: 'How do you want to talk?' }).waitFor(WAIT);
};

const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });
const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });

describe.skipIf(!haveChromium)('Talk now in Chromium', () => {
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

  it('pairs a venter with a listener, who talk by alias both ways until one leaves and the other sees the end', async () => {
    const { page: vera, username: veraName } = await signUpInBrowser(browser, riff.url, 'vera');
    const { page: leo, username: leoName } = await signUpInBrowser(browser, riff.url, 'leo');

    await openTalkNow(vera);
    await checkAtBothWidths(vera, 'talk-choose');
    await vera.getByRole('button', { name: 'Vent', exact: true }).click();
    await vera.getByRole('heading', { name: /Looking for someone to listen to you/ }).waitFor(WAIT);
    await vera.getByText('Place in the queue').waitFor(WAIT);
    expect(await vera.getByRole('definition').nth(1).textContent()).toBe('1');
    // The waiting time ticks on its own, from 0:00.
    await vera.getByRole('definition').getByText(/^0:(0[1-9]|[1-5]\d)$/).waitFor(WAIT);
    await checkAtBothWidths(vera, 'talk-waiting');

    await openTalkNow(leo);
    await leo.getByRole('button', { name: 'Listen', exact: true }).click();
    await leo.getByRole('heading', { name: /^Talking with / }).waitFor(WAIT);
    // Vera was waiting: the `queue.matched` frame opens her conversation.
    await vera.getByRole('heading', { name: /^Talking with / }).waitFor(WAIT);

    await composer(vera).fill('Our drummer quit the night before the gig');
    await vera.getByRole('button', { name: 'Send' }).click();
    await messages(leo).getByText('Our drummer quit the night before the gig').waitFor(WAIT);
    await composer(leo).fill('That is rough. How did the gig go?');
    await leo.getByRole('button', { name: 'Send' }).click();
    await messages(vera).getByText('That is rough. How did the gig go?').waitFor(WAIT);
    await vera.locator('.message:not(.pending)').getByText('Our drummer quit the night before the gig').waitFor(WAIT);
    await checkAtBothWidths(leo, 'talk-conversation');

    // Aliases only: neither page names the other musician.
    expect(await leo.getByText(veraName).count()).toBe(0);
    expect(await vera.getByText(leoName).count()).toBe(0);

    await vera.getByRole('button', { name: 'Leave', exact: true }).click();
    await vera.getByRole('button', { name: 'Leave the conversation' }).click();
    await vera.getByText('You left the conversation.').waitFor(WAIT);
    await leo.getByRole('heading', { name: 'The conversation has ended' }).waitFor(WAIT);
    await leo.getByRole('button', { name: 'Talk again' }).click();
    // Leo left the old room too: asking again queues him instead of answering that room.
    await leo.getByRole('button', { name: 'Listen', exact: true }).click();
    await leo.getByRole('heading', { name: /Looking for someone to listen to/ }).waitFor(WAIT);
    // Out of the queue again: after fallbackMs a waiting listener may be paired with the next test's talkers.
    await leo.getByRole('button', { name: 'Cancel' }).click();
    await leo.getByText('You left the queue.').waitFor(WAIT);

    expect(pageProblems(vera)).toEqual([]);
    expect(pageProblems(leo)).toEqual([]);
  });

  it('cancels waiting, and reports and blocks a partner, who is then not paired again', async () => {
    const { page: tess } = await signUpInBrowser(browser, riff.url, 'tess');
    const { page: tom } = await signUpInBrowser(browser, riff.url, 'tom');

    await openTalkNow(tess);
    await tess.getByRole('button', { name: 'Talk', exact: true }).click();
    await tess.getByRole('heading', { name: /Looking for someone to talk with/ }).waitFor(WAIT);
    await tess.getByRole('button', { name: 'Cancel' }).click();
    await tess.getByText('You left the queue.').waitFor(WAIT);

    await tess.getByRole('button', { name: 'Talk', exact: true }).click();
    await tess.getByRole('heading', { name: /Looking for someone/ }).waitFor(WAIT);
    await openTalkNow(tom);
    await tom.getByRole('button', { name: 'Talk', exact: true }).click();
    await tom.getByRole('heading', { name: /^Talking with / }).waitFor(WAIT);
    await tess.getByRole('heading', { name: /^Talking with / }).waitFor(WAIT);

    await tess.getByRole('button', { name: 'Report' }).click();
    await tess.getByRole('form', { name: 'Report the conversation' }).getByLabel('What happened?').fill('Spamming links to a shady gear shop');
    await tess.getByRole('button', { name: 'Send report' }).click();
    await tess.getByText('a moderator will read your report').waitFor(WAIT);

    await tess.getByRole('button', { name: 'Block', exact: true }).click();
    await tess.getByRole('button', { name: /^Block / }).click();
    await tess.getByText(/You blocked .*: you will not be paired again/).waitFor(WAIT);
    await tom.getByRole('heading', { name: 'The conversation has ended' }).waitFor(WAIT);
    await tom.getByRole('button', { name: 'Talk again' }).click();

    // Both ask to talk again: blocked, they wait instead of being paired.
    await tom.getByRole('button', { name: 'Talk', exact: true }).click();
    await tom.getByRole('heading', { name: /Looking for someone/ }).waitFor(WAIT);
    await tess.getByRole('button', { name: 'Talk', exact: true }).click();
    await tess.getByRole('heading', { name: /Looking for someone/ }).waitFor(WAIT);
    await tess.getByText('Place in the queue').waitFor(WAIT);
    expect(await tom.getByRole('heading', { name: /^Talking with / }).count()).toBe(0);

    expect(pageProblems(tess)).toEqual([]);
    expect(pageProblems(tom)).toEqual([]);
    // Two sign-ups and some twenty steps: alone 5 s, but past 30 s beside the whole suite in CI.
  }, 60_000);
});
