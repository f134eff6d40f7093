import fs from 'node:fs';
import { TZDate } from '@date-fns/tz';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAtBothWidths, haveChromium, launchBrowser, pageProblems, signUpInBrowser } from '../helpers/browser.js';
import { startRiff, type TestRiff } from '../helpers/riff.js';

/** The organizer lives in Berlin, plans a meetup in New York, and a joiner reads it in Tokyo. */
const ORGANIZER_ZONE = 'Europe/Berlin';
const MEETUP_ZONE = 'America/New_York';
const JOINER_ZONE = 'Asia/Tokyo';

const pad = (value: number) => String(value).padStart(2, '0');

/** A `datetime-local` value `days` from now at `hour`:30, and the UTC instant it means in New York (as the API writes instants). */
function meetupTime(days: number, hour: number): { wallClock: string; instant: string } {
  const day = new TZDate(Date.now() + days * 86_400_000, MEETUP_ZONE);
  const at = new TZDate(day.getFullYear(), day.getMonth(), day.getDate(), hour, 30, MEETUP_ZONE);
  return { wallClock: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(hour)}:30`, instant: new Date(at.getTime()).toISOString().replace('.000Z', 'Z') };
}

/** The clock time the page shows for `instant` in `timeZone` (the app formats dates as the en-US browser does). */
const clockIn = (instant: string, timeZone: string) => new Date(instant).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit', timeZone });

/** Makes the page's browser read and write dates as someone in `timeZone` with an en-US browser. */
async function liveIn(page: Page, timeZone: string): Promise<void> {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Emulation.setTimezoneOverride', { timezoneId: timeZone });
  await devtools.send('Emulation.setLocaleOverride', { locale: 'en-US' });
}

describe.skipIf(!haveChromium)('meetups in the web app', () => {
  let riff: TestRiff;
  let browser: Browser;
  let organizer: Page;
  let joiner: Page;
  let latecomer: Page;
  let meetupUrl: string;
  const title = `Sunday jazz jam ${Math.floor(Math.random() * 1e6)}`;
  const start = meetupTime(20, 19);
  const moved = meetupTime(21, 20);

  beforeAll(async () => {
    riff = await startRiff('sqlite');
    browser = await launchBrowser();
    organizer = (await signUpInBrowser(browser, riff.url, 'olga')).page;
    joiner = (await signUpInBrowser(browser, riff.url, 'jonas')).page;
    latecomer = (await signUpInBrowser(browser, riff.url, 'lena')).page;
    await liveIn(organizer, ORGANIZER_ZONE);
    await liveIn(joiner, JOINER_ZONE);
    await liveIn(latecomer, JOINER_ZONE);
  });
  afterAll(async () => {
    await browser?.close();
    await riff?.close();
  });

  const when = (page: Page) => page.getByRole('region', { name: 'When' });

  it('creates a meetup in another time zone and shows it in both zones', async () => {
    await organizer.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Meetups' }).click();
    await organizer.getByRole('link', { name: 'New meetup' }).click();
    const form = organizer.getByRole('form', { name: 'Create meetup' });
    // The zone picker starts at the viewer's own zone.
    expect(await form.getByLabel('Time zone').inputValue()).toBe(ORGANIZER_ZONE);
    await form.getByLabel('Title', { exact: true }).fill(title);
    await form.getByLabel('Description').fill('Standards in Bb, bring a chart or two.');
    await form.getByLabel('Starts').fill(start.wallClock);
    await form.getByLabel('Time zone').selectOption(MEETUP_ZONE);
    await form.getByLabel('Place', { exact: true }).fill('Smalls Jazz Club, 183 W 10th St');
    await form.getByLabel('City', { exact: true }).fill('New York');
    await form.getByLabel('Capacity (optional)').fill('2');
    await form.getByLabel('Genres (comma separated)').fill('jazz, bebop');
    await form.getByLabel('Instruments wanted (comma separated)').fill('double bass, drums');
    await form.getByText(`${clockIn(start.instant, ORGANIZER_ZONE)}`).waitFor();
    await checkAtBothWidths(organizer, 'meetups-create');

    await form.getByRole('button', { name: 'Create meetup' }).click();
    await organizer.getByRole('heading', { name: title }).waitFor({ timeout: 20_000 });
    meetupUrl = organizer.url();
    const shown = when(organizer);
    expect(await shown.locator('time').first().getAttribute('datetime')).toBe(start.instant);
    const text = await shown.innerText();
    expect(text).toContain(clockIn(start.instant, ORGANIZER_ZONE));
    expect(text).toContain(`${clockIn(start.instant, MEETUP_ZONE)}`);
    expect(text).toContain('America/New York');
    expect(clockIn(start.instant, MEETUP_ZONE)).toBe('07:30 PM');
    await organizer.getByText('You’re organizing this meetup').waitFor();
  }, 120_000);

  it('lets a second musician discover it and go, and puts a third on the waitlist when it is full', async () => {
    await joiner.goto(`${riff.url}/meetups`);
    await joiner.getByLabel('Search').fill(title);
    await joiner.getByLabel('City', { exact: true }).fill('New York');
    await joiner.getByRole('button', { name: 'Find meetups' }).click();
    const card = joiner.getByRole('list', { name: 'Meetups found' }).getByRole('listitem').filter({ hasText: title });
    await card.getByText('1 going · 2 places · 1 spot left').waitFor({ timeout: 20_000 });
    // The card's date is the viewer's, in Tokyo.
    expect(await card.locator('time').getAttribute('datetime')).toBe(start.instant);
    expect(await card.locator('time').innerText()).toContain(clockIn(start.instant, JOINER_ZONE));
    expect(await joiner.getByRole('list', { name: 'Meetups found' }).getByRole('listitem').count()).toBe(1);
    await checkAtBothWidths(joiner, 'meetups-discover');

    await card.getByRole('link', { name: title }).click();
    await joiner.getByRole('heading', { name: title }).waitFor();
    await joiner.getByRole('group', { name: 'RSVP' }).getByRole('button', { name: 'Going', exact: true }).click();
    await joiner.getByText('You’re going.').waitFor({ timeout: 20_000 });
    // The organizer's page hears of it live.
    await organizer.getByText('2 going · 2 places · full').waitFor({ timeout: 20_000 });

    await latecomer.goto(meetupUrl);
    await latecomer.getByRole('group', { name: 'RSVP' }).getByRole('button', { name: 'Going', exact: true }).click();
    await latecomer.getByText('The meetup is full — you’re number 1 on the waitlist.').waitFor({ timeout: 20_000 });
    await organizer.getByRole('list', { name: 'Waitlist' }).getByRole('link', { name: /lena/ }).waitFor({ timeout: 20_000 });

    await latecomer.getByRole('link', { name: 'Back to meetups' }).click();
    await latecomer.getByRole('link', { name: 'My meetups' }).click();
    await latecomer.getByRole('list', { name: 'My meetups' }).getByRole('listitem').filter({ hasText: title }).getByText('You’re on the waitlist').waitFor({ timeout: 20_000 });
  }, 120_000);

  it('moves the meetup on both pages when a reschedule poll is voted to closing', async () => {
    await organizer.getByRole('button', { name: 'New poll' }).click();
    const form = organizer.getByRole('form', { name: 'New poll' });
    await form.getByLabel('Another time').check();
    expect(await form.getByLabel(/^Time 1/).inputValue()).toBe(start.wallClock);
    await form.getByLabel(/^Time 2/).fill(moved.wallClock);
    await form.getByRole('button', { name: 'Open poll' }).click();

    const poll = (page: Page) => page.getByRole('article', { name: 'Poll: Which time works for everyone?' });
    await poll(joiner).waitFor({ timeout: 20_000 });
    await poll(organizer).getByRole('button', { name: /^Vote for/ }).nth(1).click();
    await poll(joiner).getByText('1 of 2 voted').waitFor({ timeout: 20_000 });
    await poll(joiner).getByRole('button', { name: /^Vote for/ }).nth(1).click();

    for (const [page, zone] of [
      [organizer, ORGANIZER_ZONE],
      [joiner, JOINER_ZONE],
    ] as const) {
      await poll(page).getByText(/^Closed · chosen:/).waitFor({ timeout: 20_000 });
      await when(page).locator(`time[datetime="${moved.instant}"]`).waitFor({ timeout: 20_000 });
      expect(await when(page).innerText()).toContain(clockIn(moved.instant, zone));
    }
    expect(await poll(joiner).getByRole('listitem').nth(1).innerText()).toContain('2 votes');
    await checkAtBothWidths(joiner, 'meetups-detail');
    expect(pageProblems(organizer)).toEqual([]);
    expect(pageProblems(joiner)).toEqual([]);
    expect(pageProblems(latecomer)).toEqual([]);
  }, 120_000);

  it('downloads the meetup as an .ics file with its title', async () => {
    const [download] = await Promise.all([organizer.waitForEvent('download'), organizer.getByRole('button', { name: 'Add to calendar' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^Sunday-jazz-jam-\d+\.ics$/);
    const ics = fs.readFileSync(await download.path(), 'utf8');
    expect(ics).toContain('BEGIN:VEVENT');
    expect(ics).toContain(`SUMMARY:${title}`);
    expect(pageProblems(organizer)).toEqual([]);
  }, 120_000);

  it('shows the organizer’s edit and cancellation live to the people going', async () => {
    await organizer.getByRole('button', { name: 'Edit meetup' }).click();
    const form = organizer.getByRole('form', { name: 'Save changes' });
    // The edit form shows the start on the meetup's own clocks.
    expect(await form.getByLabel('Starts').inputValue()).toBe(moved.wallClock);
    await form.getByLabel('Place', { exact: true }).fill('Village Vanguard, 178 7th Ave S');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await joiner.getByText('Village Vanguard, 178 7th Ave S, New York').waitFor({ timeout: 20_000 });
    expect(await when(joiner).locator('time').first().getAttribute('datetime')).toBe(moved.instant);

    await organizer.getByRole('button', { name: 'Cancel meetup' }).click();
    await organizer.getByRole('button', { name: 'Yes, cancel it' }).click();
    await joiner.getByText('This meetup was cancelled.').waitFor({ timeout: 20_000 });
    expect(await joiner.getByRole('group', { name: 'RSVP' }).count()).toBe(0);
    expect(pageProblems(organizer)).toEqual([]);
    expect(pageProblems(joiner)).toEqual([]);
  }, 120_000);
});
