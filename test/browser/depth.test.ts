import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { checkAtBothWidths, haveChromium, launchBrowser, pageProblems, signUpInBrowser } from '../helpers/browser.js';
import { randomTag } from '../helpers/failures.js';
import { CuttableLink } from '../helpers/nodes.js';
import { newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

const WAIT = { timeout: 20_000 };

describe.skipIf(!haveChromium)('direct messages, replies, mentions, notifications and pins in Chromium', () => {
  let riff: TestRiff;
  let browser: Browser;
  beforeAll(async () => {
    riff = await startRiff('sqlite', { config: { rateLimits: { ...defaultConfig.rateLimits, enabled: false } } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await riff?.close();
  });

  const signUp = (name: string) => signUpInBrowser(browser, riff.url, name);
  const clientOf = async (page: Page) => {
    const { origins } = await page.context().storageState();
    return riff.client(origins.flatMap((origin) => origin.localStorage).find((item) => item.name === 'riff.token')?.value);
  };
  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  const bell = (page: Page, unread: number) => page.getByRole('link', { name: unread ? `Notifications, ${unread} unread` : 'Notifications', exact: true });
  const send = async (page: Page, label: string, text: string) => {
    await page.getByLabel(`Message ${label}`, { exact: true }).fill(text);
    await page.getByLabel(`Message ${label}`, { exact: true }).press('Enter');
    await page.locator('.message:not(.pending)').getByText(text, { exact: true }).first().waitFor(WAIT);
  };
  const openChannel = async (page: Page, name: string) => {
    await page.getByRole('link', { name: 'Channels', exact: true }).click();
    await page.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 2 }).waitFor(WAIT);
  };
  const openDm = async (page: Page, name: string) => {
    await page.getByRole('link', { name: 'Channels', exact: true }).click();
    await page.getByRole('navigation', { name: 'Direct messages' }).getByRole('link', { name: new RegExp(name) }).click();
    await page.getByRole('heading', { name, level: 2 }).waitFor(WAIT);
  };

  it('carries a DM, a reply and its thread, mentions, notification levels and pins between two people live', async () => {
    const { page: ana, username: anaName } = await signUp('ana');
    const { page: ben, username: benName } = await signUp('ben');
    const benId = (await (await clientOf(ben)).me()).id;
    const tag = randomTag();

    // Ana messages Ben from his profile: the DM is named after him for her, after her for him.
    await ana.goto(`${riff.url}/musicians/${benId}`);
    await ana.getByRole('button', { name: 'Message', exact: true }).click();
    await ana.getByRole('heading', { name: benName, level: 2 }).waitFor(WAIT);
    // A DM's people are fixed: its members show, and nobody is offered to add more.
    const members = ana.getByRole('complementary', { name: 'Members' });
    await members.getByRole('link', { name: benName }).waitFor(WAIT);
    expect(await members.getByRole('button', { name: 'Add people' }).count()).toBe(0);
    await send(ana, benName, `Jam on Sunday? ${tag}`);
    await ben.getByRole('navigation', { name: 'Direct messages' }).getByRole('link', { name: new RegExp(anaName) }).waitFor(WAIT);
    await bell(ben, 1).waitFor(WAIT);

    // Opening the DM reads what it notified.
    await openDm(ben, anaName);
    await messages(ben).getByText(`Jam on Sunday? ${tag}`).waitFor(WAIT);
    await bell(ben, 0).waitFor(WAIT);

    // Ben answers with a reply: both see the quote above it.
    await ben.locator('.message', { hasText: `Jam on Sunday? ${tag}` }).getByRole('button', { name: 'Reply' }).click();
    await ben.getByRole('group', { name: 'Replying to' }).getByText(`Jam on Sunday? ${tag}`).waitFor(WAIT);
    await send(ben, anaName, `Count me in ${tag}`);
    for (const page of [ana, ben]) {
      await messages(page).locator('.message', { hasText: `Count me in ${tag}` }).locator('.quote').getByText(`Jam on Sunday? ${tag}`).waitFor(WAIT);
    }
    expect(await ben.getByRole('group', { name: 'Replying to' }).count()).toBe(0);

    // Ana's "1 reply" opens the thread, where she answers too, while Ben is in General.
    await openChannel(ben, 'General');
    await ana.getByRole('button', { name: '1 reply' }).click();
    const thread = ana.getByRole('complementary', { name: 'Thread' });
    await thread.getByRole('list', { name: 'Replies' }).getByText(`Count me in ${tag}`).waitFor(WAIT);
    await thread.getByLabel('Message the thread').fill(`Great, 4 pm ${tag}`);
    await thread.getByLabel('Message the thread').press('Enter');
    await thread.getByRole('list', { name: 'Replies' }).getByText(`Great, 4 pm ${tag}`).waitFor(WAIT);
    await ana.getByRole('button', { name: '2 replies' }).waitFor(WAIT);
    await checkAtBothWidths(ana, 'depth-dm');

    // The thread reply notified Ben: the notifications page lists it unread, and opening it reads it and goes to the DM.
    await bell(ben, 1).waitFor(WAIT);
    await bell(ben, 1).click();
    await ben.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor(WAIT);
    const notices = ben.getByRole('list', { name: 'Notifications' });
    await notices.getByRole('button', { name: new RegExp(`Unread: ${anaName} sent you a message.*Great, 4 pm ${tag}`) }).waitFor(WAIT);
    await checkAtBothWidths(ben, 'depth-notifications');
    await notices.getByRole('button', { name: new RegExp(`Great, 4 pm ${tag}`) }).click();
    await ben.getByRole('heading', { name: anaName, level: 2 }).waitFor(WAIT);
    await messages(ben).getByText(`Great, 4 pm ${tag}`).waitFor(WAIT);
    await bell(ben, 0).waitFor(WAIT);

    // A mention in General notifies Ben (who is in the DM) and stands out for him when he looks.
    await openChannel(ana, 'General');
    await send(ana, '#General', `@${benName} bring the bass ${tag}`);
    await bell(ben, 1).waitFor(WAIT);
    await openChannel(ben, 'General');
    const mention = messages(ben).locator('.message.for-me', { hasText: `bring the bass ${tag}` });
    await mention.locator('.mention.me').getByText(`@${benName}`).waitFor(WAIT);
    await bell(ben, 0).waitFor(WAIT);

    // With General set to nothing, a further mention notifies nobody: a DM after it is Ben's one unread notification.
    const level = ben.getByLabel('Notifications for this channel');
    await level.selectOption('none');
    const benClient = await clientOf(ben);
    const general = (await benClient.channels()).find((channel) => channel.name === 'General')!;
    await expect.poll(async () => (await benClient.notificationSettings(general.id)).level, WAIT).toBe('none');
    await bell(ben, 0).click();
    await ben.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor(WAIT);
    await send(ana, '#General', `@${benName} and the amp ${tag}`);
    await openDm(ana, benName);
    await send(ana, benName, `See you there ${tag}`);
    await bell(ben, 1).waitFor(WAIT);
    await notices.getByRole('button', { name: new RegExp(`See you there ${tag}`) }).waitFor(WAIT);
    const unread = (await benClient.notifications({ unread: true })).items;
    expect(unread.map((notice) => [notice.type, notice.data.snippet])).toEqual([['dm', `See you there ${tag}`]]);

    // A pin shows in the other reader's pins panel live.
    await openChannel(ben, 'General');
    await ben.getByRole('button', { name: /Pins/ }).click();
    const pins = ben.getByRole('complementary', { name: 'Pinned messages' });
    await pins.getByText('Nothing pinned yet', { exact: false }).waitFor(WAIT);
    await openChannel(ana, 'General');
    await messages(ana).locator('.message', { hasText: `bring the bass ${tag}` }).getByRole('button', { name: 'Pin', exact: true }).click();
    await pins.getByText(`@${benName} bring the bass ${tag}`).waitFor(WAIT);
    await messages(ben).locator('.message', { hasText: `bring the bass ${tag}` }).getByText('📌 Pinned').waitFor(WAIT);

    // Ben's reply notified Ana while she was in the DM, so she read it there and then.
    await bell(ana, 0).waitFor(WAIT);
    expect(pageProblems(ana)).toEqual([]);
    expect(pageProblems(ben)).toEqual([]);
  });

  it('hides what a blocked musician says, live, from the one who blocked them', async () => {
    const { page: cleo } = await signUp('cleo');
    const pest = riff.client();
    await pest.signUp(newMusician());
    const pestId = (await pest.me()).id;
    const general = (await pest.channels()).find((channel) => channel.name === 'General')!;
    const tag = randomTag();

    await cleo.goto(`${riff.url}/musicians/${pestId}`);
    await cleo.getByRole('button', { name: 'Block' }).click();
    await cleo.getByRole('button', { name: 'Unblock' }).waitFor(WAIT);
    expect(await cleo.getByRole('button', { name: 'Message', exact: true }).count()).toBe(0);
    await openChannel(cleo, 'General');

    // The socket still brings the blocked message, in seq order before the next one: by the time
    // the next one shows, the blocked one would have.
    await pest.post(general.id, { body: `Buy my course ${tag}` });
    const other = riff.client();
    await other.signUp(newMusician());
    await other.post(general.id, { body: `Anyone for a jam? ${tag}` });
    await messages(cleo).getByText(`Anyone for a jam? ${tag}`).waitFor(WAIT);
    expect(await messages(cleo).getByText(`Buy my course ${tag}`).count()).toBe(0);
    expect(pageProblems(cleo)).toEqual([]);
  });

  it('knows my own messages in a Talk-now conversation, where I am an alias', async () => {
    const { page: vera } = await signUp('vera');
    const { page: leo } = await signUp('leo');
    for (const [page, mode] of [
      [vera, 'Vent'],
      [leo, 'Listen'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Talk now' }).click();
      await page.getByRole('button', { name: mode, exact: true }).click();
    }
    await vera.getByRole('heading', { name: /^Talking with / }).waitFor(WAIT);
    const tag = randomTag();
    await vera.getByRole('textbox', { name: /^Message / }).fill(`The gig was a mess ${tag}`);
    await vera.getByRole('textbox', { name: /^Message / }).press('Enter');
    await messages(leo).getByText(`The gig was a mess ${tag}`).waitFor(WAIT);
    await messages(vera).locator('.message.mine:not(.pending)', { hasText: `The gig was a mess ${tag}` }).waitFor(WAIT);
    expect(await messages(leo).locator('.message.mine', { hasText: `The gig was a mess ${tag}` }).count()).toBe(0);
    // Mine carry Edit and Delete; the partner's do not.
    expect(await messages(vera).locator('.message', { hasText: `The gig was a mess ${tag}` }).getByRole('button', { name: 'Edit' }).count()).toBe(1);
    expect(pageProblems(vera)).toEqual([]);
    expect(pageProblems(leo)).toEqual([]);
  });

  it('still follows a public channel it is not in after the connection drops and comes back', async () => {
    const link = await CuttableLink.to({ port: Number(new URL(riff.url).port) });
    try {
      const { page: dana } = await signUpInBrowser(browser, `http://127.0.0.1:${link.port}`, 'dana');
      const owner = riff.client();
      await owner.signUp(newMusician());
      const channel = await owner.createChannel({ name: `Open mic ${randomTag()}` });
      await dana.goto(`http://127.0.0.1:${link.port}/channels/${channel.id}`);
      await dana.getByRole('button', { name: `Join #${channel.name}` }).waitFor(WAIT);
      await dana.getByRole('status', { name: 'Connection: live' }).waitFor(WAIT);

      link.cut();
      await dana.getByRole('status', { name: 'Connection: offline' }).waitFor(WAIT);
      link.restore();
      await dana.getByRole('status', { name: 'Connection: live' }).waitFor({ timeout: 40_000 });
      const tag = randomTag();
      await owner.post(channel.id, { body: `Sign-up sheet is up ${tag}` });
      await messages(dana).getByText(`Sign-up sheet is up ${tag}`).waitFor(WAIT);
      expect(pageProblems(dana)).toEqual([]);
    } finally {
      await link.close();
    }
  });
});
