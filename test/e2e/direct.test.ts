import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RiffClient } from '../../src/client/index.js';
import { refused, randomTag } from '../helpers/failures.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { connect } from '../helpers/socket.js';

interface Player {
  client: RiffClient;
  id: string;
  token: string;
  first_name: string;
}

describeEachDialect('direct messages, blocks and pins', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect);
  });
  afterAll(() => server.close());

  async function player(): Promise<Player> {
    const client = server.client();
    const first_name = `Dee${randomTag()}`;
    const user = await client.signUp(newMusician({ first_name, last_name: 'Player', photo_url: `https://example.com/${first_name}.jpg` }));
    return { client, id: user.id, token: user.token, first_name };
  }

  it('gets or creates the one DM of two people, named after the other person with their photo', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const first = await ana.client.openDm({ user_id: ben.id });
    expect(first).toMatchObject({ kind: 'dm', private: true, created: true, name: `${ben.first_name} Player`, is_member: true });
    expect(first.people).toEqual([expect.objectContaining({ id: ben.id, first_name: ben.first_name, photo_url: `https://example.com/${ben.first_name}.jpg` })]);

    const again = await ana.client.openDm({ user_id: ben.id });
    const fromBen = await ben.client.openDm({ user_ids: [ana.id] });
    expect([again.id, again.created, fromBen.id, fromBen.created]).toEqual([first.id, false, first.id, false]);
    expect(fromBen.name).toBe(`${ana.first_name} Player`);

    const listed = (await ben.client.channels()).find((channel) => channel.id === first.id);
    expect(listed).toMatchObject({ kind: 'dm', name: `${ana.first_name} Player`, people: [expect.objectContaining({ id: ana.id })] });
  });

  it('creates one DM however many ask for it at the same moment', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? ana.client.openDm({ user_id: ben.id }) : ben.client.openDm({ user_id: ana.id }))));
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(answers.filter((answer) => answer.created)).toHaveLength(1);
    expect((await ana.client.channels()).filter((channel) => channel.kind === 'dm')).toHaveLength(1);
  });

  it('makes a group DM of up to eight people, the same one whatever order they are named in', async () => {
    const people = await Promise.all(Array.from({ length: 8 }, () => player()));
    const [me, ...others] = people as [Player, ...Player[]];
    const group = await me.client.openDm({ user_ids: others.map((p) => p.id) });
    expect(group.created).toBe(true);
    expect(group.people?.map((p) => p.id).sort()).toEqual(others.map((p) => p.id).sort());
    const reordered = await others[3]!.client.openDm({ user_ids: [...people].reverse().map((p) => p.id) });
    expect([reordered.id, reordered.created]).toEqual([group.id, false]);
    // A subset is another conversation.
    expect((await me.client.openDm({ user_ids: others.slice(0, 2).map((p) => p.id) })).id).not.toBe(group.id);

    const ninth = await player();
    await refused(me.client.openDm({ user_ids: [...others.map((p) => p.id), ninth.id] }), 400, 'validation_failed');
  });

  it('keeps a DM private to the people in it', async () => {
    const [ana, ben, eve] = await Promise.all([player(), player(), player()]);
    const dm = await ana.client.openDm({ user_id: ben.id });
    await ana.client.post(dm.id, { body: 'just between us' });
    await refused(eve.client.history(dm.id), 403, 'forbidden');
    await refused(eve.client.post(dm.id, { body: 'hi' }), 403, 'forbidden');
    await refused(eve.client.addMember(dm.id, eve.id), 403);
    expect((await eve.client.search('just between us')).items).toEqual([]);
    await refused(ana.client.addMember(dm.id, eve.id), 403, 'channel_protected');
  });

  it('refuses a DM with oneself, with nobody real, or with a guest', async () => {
    const ana = await player();
    await refused(ana.client.openDm({ user_id: ana.id }), 400, 'validation_failed');
    await refused(ana.client.openDm({ user_id: 'nobody' }), 404, 'not_found');
    const guest = await server.client().guest();
    await refused(ana.client.openDm({ user_id: guest.user_id }), 404, 'not_found');
    await refused(server.client(guest.token).openDm({ user_id: ana.id }), 403, 'guest_forbidden');
    await refused(server.client().openDm({ user_id: ana.id }), 401);
  });

  it('tells the other person’s sockets about a new DM, so it arrives live', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const socket = await connect(server.url, { token: ben.token });
    const dm = await ana.client.openDm({ user_id: ben.id });
    const message = await ana.client.post(dm.id, { body: 'got a minute?' });
    const frame = await socket.next('message.created', (f) => f.channel_id === dm.id);
    expect(frame.data).toMatchObject({ id: message.id, body: 'got a minute?' });
    socket.ws.close();
  });

  it('stops new DMs across a block, both ways, and lets them start again after unblocking', async () => {
    const [ana, ben, cat] = await Promise.all([player(), player(), player()]);
    const dm = await ana.client.openDm({ user_id: ben.id });
    expect(await ben.client.block(ana.id)).toEqual({ user_id: ana.id, blocked: true });
    expect(await ben.client.block(ana.id)).toEqual({ user_id: ana.id, blocked: true });
    expect((await ben.client.blocks()).map((user) => user.id)).toEqual([ana.id]);

    await refused(ana.client.post(dm.id, { body: 'are you there?' }), 403, 'blocked');
    await refused(ben.client.post(dm.id, { body: 'nope' }), 403, 'blocked');
    // A DM that does not exist yet cannot be started either, nor a group with the blocker in it.
    await ana.client.openDm({ user_id: cat.id });
    await refused(ana.client.openDm({ user_ids: [ben.id, cat.id] }), 403, 'blocked');
    await refused(ben.client.openDm({ user_ids: [ana.id, cat.id] }), 403, 'blocked');

    expect(await ben.client.unblock(ana.id)).toEqual({ user_id: ana.id, blocked: false });
    expect(await ben.client.blocks()).toEqual([]);
    expect((await ana.client.post(dm.id, { body: 'back again' })).body).toBe('back again');
    expect((await ana.client.openDm({ user_ids: [ben.id, cat.id] })).created).toBe(true);
  });

  it('hides what a blocked person writes from the blocker’s history, search and unread count — and only theirs', async () => {
    const [ana, ben, cat] = await Promise.all([player(), player(), player()]);
    const band = await ana.client.createChannel({ name: `band ${randomTag()}`, members: [ben.id, cat.id] });
    const tag = randomTag();
    await ben.client.markRead(band.id, (await ben.client.history(band.id)).items.at(-1)!.seq);
    await ben.client.block(ana.id);
    await ana.client.post(band.id, { body: `from ana ${tag}` });
    await cat.client.post(band.id, { body: `from cat ${tag}` });

    const bodies = async (client: RiffClient) => (await client.history(band.id)).items.flatMap((item) => (item.kind === 'message' ? [item.body] : []));
    expect(await bodies(ben.client)).toEqual([`from cat ${tag}`]);
    expect(await bodies(cat.client)).toEqual([`from ana ${tag}`, `from cat ${tag}`]);
    expect((await ben.client.search(tag)).items.map((m) => m.body)).toEqual([`from cat ${tag}`]);
    expect((await ben.client.searchChannel(band.id, tag)).items.map((m) => m.body)).toEqual([`from cat ${tag}`]);
    expect((await cat.client.search(tag)).items).toHaveLength(2);
    expect((await ben.client.channels()).find((c) => c.id === band.id)?.unread_count).toBe(1);
    // Announcements (who joined) have no author and stay.
    expect((await ben.client.history(band.id)).items.some((item) => item.kind === 'announcement')).toBe(true);

    await ben.client.unblock(ana.id);
    expect(await bodies(ben.client)).toEqual([`from ana ${tag}`, `from cat ${tag}`]);
  });

  it('refuses to block oneself or nobody', async () => {
    const ana = await player();
    await refused(ana.client.block(ana.id), 400, 'validation_failed');
    await refused(ana.client.block('nobody'), 404, 'not_found');
  });

  it('lets members pin and list pins, newest pin first, live to subscribers', async () => {
    const [ana, ben, eve] = await Promise.all([player(), player(), player()]);
    const band = await ana.client.createChannel({ name: `setlist ${randomTag()}`, private: true, members: [ben.id] });
    const first = await ana.client.post(band.id, { body: 'Setlist: Autumn Leaves, Blue Bossa' });
    const second = await ben.client.post(band.id, { body: 'Rehearsal at 7, studio B' });
    const socket = await connect(server.url, { token: ana.token });

    expect(await ben.client.pin(band.id, first.id)).toEqual({ channel_id: band.id, message_id: first.id, pinned: true });
    const frame = await socket.next('pin.updated', (f) => f.channel_id === band.id);
    expect(frame.data).toEqual({ message_id: first.id, pinned: true, user_id: ben.id });
    await ben.client.pin(band.id, second.id);
    // Pinning again changes nothing and logs nothing.
    const head = (await ana.client.channels()).find((c) => c.id === band.id)!.last_seq;
    await ben.client.pin(band.id, second.id);
    expect((await ana.client.channels()).find((c) => c.id === band.id)!.last_seq).toBe(head);

    const pins = await ana.client.pins(band.id);
    expect(pins.map((pin) => [pin.message.id, pin.pinned_by])).toEqual([
      [second.id, ben.id],
      [first.id, ben.id],
    ]);
    expect(pins[0]!.message.body).toBe('Rehearsal at 7, studio B');
    await refused(eve.client.pins(band.id), 403, 'forbidden');
    await refused(eve.client.pin(band.id, first.id), 403, 'forbidden');
    socket.ws.close();
  });

  it('lets whoever pinned and the channel’s creator unpin, and nobody else', async () => {
    const [ana, ben, cat] = await Promise.all([player(), player(), player()]);
    const band = await ana.client.createChannel({ name: `gigs ${randomTag()}`, members: [ben.id, cat.id] });
    const message = await cat.client.post(band.id, { body: 'Friday gig confirmed' });
    await ben.client.pin(band.id, message.id);
    await refused(cat.client.unpin(band.id, message.id), 403, 'forbidden');
    expect((await ben.client.unpin(band.id, message.id)).pinned).toBe(false);
    await cat.client.pin(band.id, message.id);
    expect((await ana.client.unpin(band.id, message.id)).pinned).toBe(false);
    expect(await ana.client.pins(band.id)).toEqual([]);
  });

  it('drops a deleted message from the pins and refuses pins of messages from elsewhere', async () => {
    const [ana, ben] = await Promise.all([player(), player()]);
    const band = await ana.client.createChannel({ name: `pins ${randomTag()}`, members: [ben.id] });
    const other = await ana.client.createChannel({ name: `other ${randomTag()}` });
    const here = await ben.client.post(band.id, { body: 'pin me' });
    const elsewhere = await ana.client.post(other.id, { body: 'not here' });
    await refused(ana.client.pin(band.id, elsewhere.id), 404, 'not_found');
    await refused(ana.client.pin(band.id, 'nothing'), 404, 'not_found');
    const announcement = (await ana.client.history(band.id)).items.find((item) => item.kind === 'announcement')!;
    await refused(ana.client.pin(band.id, announcement.id), 404, 'not_found');

    await ana.client.pin(band.id, here.id);
    await ben.client.deleteMessage(here.id);
    expect(await ana.client.pins(band.id)).toEqual([]);
  });
});
