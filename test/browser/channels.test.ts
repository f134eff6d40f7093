import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView, HistoryItemView } from '../../src/client/index.js';
import { defaultConfig } from '../../src/config.js';
import { accessibilityViolations, DESKTOP, haveChromium, launchBrowser, pageProblems, pageWidth, PHONE, screenshot, signUpInBrowser } from '../helpers/browser.js';
import { randomTag } from '../helpers/failures.js';
import { CuttableLink } from '../helpers/nodes.js';
import { newMusician, startRiff, type TestRiff } from '../helpers/riff.js';

const WAIT = { timeout: 20_000 };

describe.skipIf(!haveChromium)('the channels in Chromium', () => {
  let riff: TestRiff;
  let browser: Browser;
  beforeAll(async () => {
    // The history tests post more messages in a row than one person may in ten seconds.
    riff = await startRiff('sqlite', { config: { rateLimits: { ...defaultConfig.rateLimits, enabled: false } } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await riff?.close();
  });

  const signUp = (name: string, viewport = DESKTOP, url = riff.url) => signUpInBrowser(browser, url, name, viewport);
  /** The REST client of the musician signed in on `page`. */
  const clientOf = async (page: Page) => {
    const { origins } = await page.context().storageState();
    return riff.client(origins.flatMap((origin) => origin.localStorage).find((item) => item.name === 'riff.token')?.value);
  };
  /** A musician who only speaks REST, and a public channel of theirs. */
  const restChannel = async (name: string) => {
    const owner = riff.client();
    await owner.signUp(newMusician());
    const channel = await owner.createChannel({ name });
    return { owner, channel };
  };
  const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
  const send = async (page: Page, channel: string, text: string) => {
    await page.getByLabel(`Message ${channel}`).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.message:not(.pending)').getByText(text, { exact: true }).waitFor(WAIT);
  };
  const joinAndOpen = async (page: Page, channel: ChannelView) => {
    const client = await clientOf(page);
    await client.addMember(channel.id, (await client.me()).id);
    await page.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name: channel.name }).click();
    await page.getByRole('heading', { name: channel.name }).waitFor(WAIT);
  };

  it('shows an edit and a deletion to the other reader live', async () => {
    const { page: ana } = await signUp('ana');
    const { page: ben } = await signUp('ben');
    const tag = randomTag();
    await send(ana, '#General', `Rehearsal at 7 ${tag}`);
    await send(ana, '#General', `Bring the capo ${tag}`);
    await messages(ben).getByText(`Bring the capo ${tag}`).waitFor(WAIT);

    // While it is edited its text is in a box, so the row is found by its seq.
    const first = ana.locator(`.message[data-seq="${await ana.locator('.message', { hasText: `Rehearsal at 7 ${tag}` }).getAttribute('data-seq')}"]`);
    await first.getByRole('button', { name: 'Edit' }).click();
    const box = first.getByLabel('Edit message');
    await box.fill(`Rehearsal at 8 ${tag}`);
    await box.press('Enter');
    await messages(ben).getByText(`Rehearsal at 8 ${tag}`).waitFor(WAIT);
    expect(await ben.locator('.message', { hasText: `Rehearsal at 8 ${tag}` }).getByText('(edited)').count()).toBe(1);

    // Escape leaves the message as it was.
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByLabel('Edit message').fill('never saved');
    await first.getByLabel('Edit message').press('Escape');
    await first.getByText(`Rehearsal at 8 ${tag}`).waitFor(WAIT);
    expect(await first.getByLabel('Edit message').count()).toBe(0);

    const second = ana.locator('.message', { hasText: `Bring the capo ${tag}` });
    await second.getByRole('button', { name: 'Delete' }).click();
    await second.getByRole('group', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete' }).click();
    await messages(ben).getByText(`Bring the capo ${tag}`).waitFor({ state: 'detached', ...WAIT });
    await messages(ana).getByText(`Bring the capo ${tag}`).waitFor({ state: 'detached', ...WAIT });
    // Other people's messages cannot be edited or deleted.
    expect(await ben.locator('.message', { hasText: `Rehearsal at 8 ${tag}` }).getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(pageProblems(ana)).toEqual([]);
    expect(pageProblems(ben)).toEqual([]);
  });

  it('reacts with an emoji from the picker, seen by the other', async () => {
    const { page: cleo } = await signUp('cleo');
    const { page: dan } = await signUp('dan');
    const text = `Just bought a Jazzmaster ${randomTag()}`;
    await send(cleo, '#General', text);
    const atDan = dan.locator('.message', { hasText: text });
    await atDan.waitFor(WAIT);
    await atDan.getByRole('button', { name: 'Add reaction' }).click();
    await atDan.getByRole('group', { name: 'Pick a reaction' }).getByRole('button', { name: 'React with guitar' }).click();
    await atDan.getByRole('button', { name: '🎸 1' }).waitFor(WAIT);
    await cleo.locator('.message', { hasText: text }).getByRole('button', { name: '🎸 1' }).waitFor(WAIT);
  });

  it('says who is typing to the other reader', async () => {
    const { page: eva, username } = await signUp('eva');
    const { page: finn } = await signUp('finn');
    await eva.getByLabel('Message #General').pressSequentially('Who has a spare ');
    await finn.getByText(`${username} is typing…`).waitFor(WAIT);
    // The writer is not told about themselves.
    expect(await eva.getByText(`${username} is typing…`).count()).toBe(0);
  });

  it('puts a "New messages" divider before what arrived while the channel was not open', async () => {
    const { owner, channel } = await restChannel(`Divider ${randomTag()}`);
    const { page: gia } = await signUp('gia');
    await joinAndOpen(gia, channel);
    await owner.post(channel.id, { body: 'Seen already' });
    await messages(gia).getByText('Seen already').waitFor(WAIT);
    await gia.getByRole('link', { name: /General/ }).click();
    await gia.getByRole('heading', { name: 'General' }).waitFor(WAIT);
    await owner.post(channel.id, { body: 'Arrived while away' });
    await gia.getByRole('link', { name: channel.name }).getByLabel('1 unread').waitFor(WAIT);
    await gia.getByRole('link', { name: channel.name }).click();
    await messages(gia).getByText('Arrived while away').waitFor(WAIT);
    const order = await messages(gia).locator(':scope > li').allInnerTexts();
    const divider = order.findIndex((text) => text.includes('New messages'));
    expect(divider).toBeGreaterThan(order.findIndex((text) => text.includes('Seen already')));
    expect(divider).toBe(order.findIndex((text) => text.includes('Arrived while away')) - 1);
  });

  it('finds a message across my channels and opens its channel', async () => {
    const { page: hal, username } = await signUp('hal');
    const word = randomTag();
    const name = `Setlists ${randomTag()}`;
    await hal.getByRole('button', { name: '+ New channel' }).click();
    await hal.getByRole('form', { name: 'New channel' }).getByLabel('Name').fill(name);
    await hal.getByRole('button', { name: 'Create' }).click();
    await hal.getByRole('heading', { name }).waitFor(WAIT);
    await send(hal, `#${name}`, `Closing with ${word} in D`);
    await hal.getByRole('link', { name: /General/ }).click();
    await hal.getByRole('heading', { name: 'General' }).waitFor(WAIT);

    await hal.getByRole('searchbox', { name: 'Search messages' }).fill(word);
    await hal.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
    const results = hal.getByRole('region', { name: 'Search results' });
    const hit = results.getByRole('button', { name: new RegExp(word) });
    await hit.waitFor(WAIT);
    expect(await hit.innerText()).toContain(`#${name}`);
    expect(await hit.innerText()).toContain(username);
    await screenshot(hal, 'channels-search-desktop');
    expect(await accessibilityViolations(hal)).toEqual([]);
    await hit.click();
    await hal.getByRole('heading', { name }).waitFor(WAIT);
    await messages(hal).getByText(`Closing with ${word} in D`).waitFor(WAIT);

    // In this channel only: General's messages are not searched.
    await hal.getByLabel('Where to search').selectOption('channel');
    await hal.getByRole('searchbox', { name: 'Search messages' }).fill(word);
    await hal.getByRole('button', { name: 'Search', exact: true }).click();
    await results.getByRole('heading', { name: new RegExp(`in #${name}`) }).waitFor(WAIT);
    await results.getByRole('button', { name: new RegExp(word) }).waitFor(WAIT);
    expect(pageProblems(hal)).toEqual([]);
  });

  it('opens a public channel found by search to read it before joining', async () => {
    const word = randomTag();
    const { owner, channel } = await restChannel(`Fiddle tunes ${randomTag()}`);
    await owner.post(channel.id, { body: `Who knows ${word} reel?` });
    const { page: ivy } = await signUp('ivy');
    await ivy.getByRole('searchbox', { name: 'Search messages' }).fill(word);
    await ivy.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
    const hit = ivy.getByRole('region', { name: 'Search results' }).getByRole('button', { name: new RegExp(word) });
    await hit.getByText(`#${channel.name}`).waitFor(WAIT);
    await hit.click();
    await ivy.getByRole('heading', { name: channel.name }).waitFor(WAIT);
    await messages(ivy).getByText(`Who knows ${word} reel?`).waitFor(WAIT);
    await ivy.getByRole('button', { name: `Join #${channel.name}` }).click();
    await ivy.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name: channel.name }).waitFor(WAIT);
    await ivy.getByRole('button', { name: `Join #${channel.name}` }).waitFor({ state: 'detached', ...WAIT });
    expect(pageProblems(ivy)).toEqual([]);
  });

  it('adds a musician to a private channel, who sees it appear', async () => {
    const { page: ida } = await signUp('ida');
    const { page: jon, username: jonName } = await signUp('jon');
    const name = `Band only ${randomTag()}`;
    await ida.getByRole('button', { name: '+ New channel' }).click();
    const form = ida.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Private').check();
    await ida.getByRole('button', { name: 'Create' }).click();
    await ida.getByRole('heading', { name }).waitFor(WAIT);

    const members = ida.getByRole('complementary', { name: 'Members' });
    await members.getByRole('button', { name: 'Add people' }).click();
    await members.getByLabel('Find a musician').fill(jonName);
    await members.getByRole('button', { name: `Add ${jonName}` }).click();
    await members.getByRole('link', { name: jonName }).waitFor(WAIT);

    await jon.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name }).waitFor(WAIT);
    await jon.getByRole('link', { name }).click();
    await jon.getByRole('heading', { name }).waitFor(WAIT);
    // Both are online here: each sees the other's presence dot lit.
    await jon.getByRole('complementary', { name: 'Members' }).getByText(', online').first().waitFor(WAIT);
    expect(await jon.getByRole('complementary', { name: 'Members' }).locator('.presence.online').count()).toBe(2);
  });

  it('shows a member going offline in the members list', async () => {
    const { page: kai } = await signUp('kai');
    const { page: lou, username: louName } = await signUp('lou');
    const name = `Duo ${randomTag()}`;
    const kaiClient = await clientOf(kai);
    const channel = await kaiClient.createChannel({ name });
    await kaiClient.addMember(channel.id, (await (await clientOf(lou)).me()).id);
    await kai.getByRole('link', { name }).click();
    const lousRow = kai.getByRole('complementary', { name: 'Members' }).getByRole('listitem').filter({ hasText: louName });
    await lousRow.getByText(', online').waitFor(WAIT);
    await lou.context().close();
    await lousRow.getByText(', offline').waitFor(WAIT);
  });

  it('discovers and joins a public channel, and leaves it', async () => {
    const { channel } = await restChannel(`Bluegrass ${randomTag()}`);
    const { page: max } = await signUp('max');
    await max.getByRole('button', { name: 'Browse channels' }).click();
    const browse = max.getByRole('region', { name: 'Browse channels' });
    await browse.getByLabel('Find a public channel').fill(channel.name);
    await browse.getByRole('button', { name: `Join #${channel.name}` }).click();
    await max.getByRole('heading', { name: channel.name }).waitFor(WAIT);
    await max.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name: channel.name }).waitFor(WAIT);

    await max.getByRole('complementary', { name: 'Members' }).getByRole('button', { name: 'Leave channel' }).click();
    await max.getByRole('heading', { name: 'General' }).waitFor(WAIT);
    await max.getByRole('navigation', { name: 'My channels' }).getByRole('link', { name: channel.name }).waitFor({ state: 'detached', ...WAIT });
    expect(pageProblems(max)).toEqual([]);
  });

  it('loads older history when the reader scrolls to the top, keeping their place', async () => {
    const { owner, channel } = await restChannel(`Archive ${randomTag()}`);
    for (let n = 1; n <= 160; n += 1) await owner.post(channel.id, { body: `Take ${n}` });
    const { page: noa } = await signUp('noa');
    await joinAndOpen(noa, channel);
    await messages(noa).getByText('Take 160', { exact: true }).waitFor(WAIT);
    expect(await messages(noa).getByText('Take 1', { exact: true }).count()).toBe(0);

    // Scrolling to the top is all it takes; the page before comes in above what was on screen.
    const before = await noa.locator('.history').evaluate((list) => {
      list.scrollTop = 0;
      const first = list.querySelector('.message')!;
      return { seq: first.getAttribute('data-seq'), top: first.getBoundingClientRect().top };
    });
    await messages(noa).getByText('Take 1', { exact: true }).waitFor({ state: 'attached', ...WAIT });
    await messages(noa).getByText(`This is the start of #${channel.name}.`).waitFor({ state: 'attached', ...WAIT });
    const after = await noa.locator(`.message[data-seq="${before.seq}"]`).evaluate((first) => first.getBoundingClientRect().top);
    expect(Math.abs(after - before.top)).toBeLessThan(4);
    const bodies = await messages(noa).locator('.message .body').allInnerTexts();
    expect(bodies).toEqual(Array.from({ length: 160 }, (_, index) => `Take ${index + 1}`));
  });

  it('keeps the history exact through a dropped connection, and delivers a send made while offline once', async () => {
    const link = await CuttableLink.to({ port: Number(new URL(riff.url).port) });
    try {
      const { owner, channel } = await restChannel(`Soundcheck ${randomTag()}`);
      const { page: ola } = await signUp('ola', DESKTOP, `http://127.0.0.1:${link.port}`);
      await joinAndOpen(ola, channel);
      await owner.post(channel.id, { body: 'Before the drop' });
      await messages(ola).getByText('Before the drop').waitFor(WAIT);

      link.cut();
      // The socket really closed: the page says it is offline.
      await ola.getByRole('status', { name: 'Connection: offline' }).waitFor(WAIT);
      await ola.getByText('Offline — reconnecting…').waitFor(WAIT);
      for (let n = 1; n <= 5; n += 1) await owner.post(channel.id, { body: `During the drop ${n}` });
      await ola.getByLabel(`Message #${channel.name}`).fill('Typed while offline');
      await ola.getByRole('button', { name: 'Send' }).click();
      const failed = ola.locator('.message.failed', { hasText: 'Typed while offline' });
      await failed.getByRole('button', { name: 'Retry' }).waitFor(WAIT);
      await screenshot(ola, 'channels-offline-desktop');

      link.restore();
      await ola.getByRole('status', { name: 'Connection: live' }).waitFor({ timeout: 40_000 });
      await ola.locator('.message:not(.pending)').getByText('Typed while offline').waitFor(WAIT);
      await messages(ola).getByText('During the drop 5').waitFor(WAIT);
      await owner.post(channel.id, { body: 'After the drop' });
      await messages(ola).getByText('After the drop').waitFor(WAIT);

      const history = (await owner.history(channel.id, { limit: 100 })).items.filter((item: HistoryItemView) => item.kind === 'message').map((item) => item.body);
      expect(history.filter((body) => body === 'Typed while offline')).toHaveLength(1);
      expect(await ola.locator('.message.pending').count()).toBe(0);
      expect(await messages(ola).locator('.message .body').allInnerTexts()).toEqual(history);
    } finally {
      await link.close();
    }
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const [width, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      it(`fits the channel view at ${width} width in the ${scheme} theme, axe-clean`, async () => {
        const { owner, channel } = await restChannel(`Open mic ${randomTag()}`);
        const { page, username } = await signUp(`pat${scheme[0]}`, viewport);
        await page.emulateMedia({ colorScheme: scheme });
        await joinAndOpen(page, channel);
        const older = await owner.post(channel.id, { body: 'Sign-up sheet is by the door — two songs each.' });
        await owner.react(older.id, '🔥');
        await owner.post(channel.id, { body: 'PA is up, first act at 8 🎤' });
        await send(page, `#${channel.name}`, `Put me down for 8:30, ${username} on keys`);
        await page.getByRole('button', { name: '🔥 1' }).waitFor(WAIT);
        if (width === 'phone') await page.getByRole('button', { name: 'Members' }).click();
        await page.getByRole('complementary', { name: 'Members' }).getByRole('listitem').first().waitFor(WAIT);
        await screenshot(page, `channels-room-${width}${scheme === 'dark' ? '-dark' : ''}`);
        expect(await pageWidth(page)).toBeLessThanOrEqual(viewport.width);
        expect(await accessibilityViolations(page)).toEqual([]);
        expect(pageProblems(page)).toEqual([]);
      });
    }
  }
});
