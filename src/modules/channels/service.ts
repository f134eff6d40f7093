import { topics, type Bus } from '../../platform/bus/index.js';
import { iso, type Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/auth.js';
import type { ChannelEventFrame, ChannelFrame, PinChange, ResourceFrameType, RoomClosedFrame } from '../../platform/gateway/protocol.js';
import type { IdGenerator } from '../../platform/ids.js';
import { afterCommit, inTransaction, uniqueViolation, type Database } from '../../platform/storage/database.js';
import { GENERAL_CHANNEL_ID } from '../../platform/storage/migrations/0002_channels.js';
import type { ChannelEventRow, ChannelRow, MessageRow, UserRow } from '../../platform/storage/tables.js';
import { displayName, type AccountsService, type PublicProfile } from '../accounts/index.js';
import type { Notice } from '../notifications/index.js';
import { groupReactions, presentChannel, presentItem, type RoomAliases, type StoredMentions, type Threads } from './present.js';
import type { ChannelsRepository } from './repository.js';
import {
  DM_MAX_PEOPLE,
  MESSAGE_MAX,
  type AliasView,
  type AnnouncementView,
  type ChannelView,
  type ConversationMemberView,
  type CreateChannelInput,
  type DirectInput,
  type HistoryItemView,
  type MemberView,
  type MessageView,
  type PinView,
  type PostMessageInput,
  type TypistView,
  type UpdateChannelInput,
} from './schema.js';

export interface ChannelsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: Bus;
  accounts: AccountsService;
  repo: ChannelsRepository;
  /** Most members of a private channel; public ones have no cap. */
  privateMemberCap: number;
  /** Tells people about a message inside its transaction (mentions, replies, DMs). */
  notify: (trx: Database, notices: Notice[]) => Promise<void>;
}


interface Access {
  channel: ChannelRow;
  member: boolean;
}

/** How busy a channel is, for modules that list the channels they own (forum rooms). */
export interface ChannelActivity {
  id: string;
  name: string;
  last_seq: number;
  last_activity_at: number;
  closed_at: number | null;
  member_ids: string[];
}

const DEFAULT_HISTORY = 100;

/** A message body as stored: trimmed, then 1..4,000 code points (REST validates the same before it gets here). */
function checkedBody(text: string): string {
  const body = text.trim();
  const length = [...body].length;
  if (length === 0 || length > MESSAGE_MAX) {
    throw new RiffError('validation_failed', `A message is 1 to ${MESSAGE_MAX} characters`, [{ field: 'body', message: length === 0 ? 'must not be empty' : 'is too long' }]);
  }
  return body;
}
const DEFAULT_SEARCH = 50;
const DEFAULT_REPLIES = 100;
/** In a channel bigger than this, only its creator and admins may notify everyone with `@channel`. */
export const OPEN_CHANNEL_MENTION_MAX = 20;

/** `@name`s in a body, lower-cased, once each; a trailing `.` or `-` ends a sentence, not a name. */
function namesIn(body: string): string[] {
  const names = new Set<string>();
  for (const match of body.matchAll(/(?<![\w@.])@([A-Za-z0-9_.-]{1,33})/g)) {
    const name = match[1]!.replace(/[.-]+$/, '').toLowerCase();
    if (name.length >= 3 && name.length <= 32) names.add(name);
  }
  return [...names];
}

export function channelsService(deps: ChannelsDeps) {
  const { clock, ids, bus, accounts, repo } = deps;

  const publishAfterCommit = (trx: Database, frame: ChannelFrame) =>
    afterCommit(trx, () => bus.publish(topics.channel(frame.channel_id), { kind: 'channel', frame }));

  const membershipAfterCommit = (trx: Database, channelId: string, userId: string, member: boolean, seq: number) =>
    afterCommit(trx, () => bus.publish(topics.user(userId), { kind: 'membership', user_id: userId, channel_id: channelId, member, seq }));

  async function profileOf(db: Database, userId: string): Promise<PublicProfile> {
    const profile = (await accounts.profiles(db, [userId])).get(userId);
    if (!profile || profile.role === 'guest') throw new RiffError('not_found', 'No such user');
    return profile;
  }

  /** History items as `viewerId` sees them; without a viewer, as frames carry them (no `me`). */
  async function present(db: Database, rows: MessageRow[], viewerId?: string): Promise<HistoryItemView[]> {
    const aliases = await roomAliases(db, rows.map((r) => r.channel_id));
    const profiles = await accounts.profiles(db, rows.flatMap((r) => (r.author_id && !aliases.has(r.channel_id) ? [r.author_id] : [])));
    const messageIds = rows.filter((r) => r.kind === 'message').map((r) => r.id);
    const reactions = groupReactions(await repo.reactionCounts(db, messageIds, viewerId), viewerId !== undefined);
    const threads = await threadsOf(db, rows);
    const quoted = [...threads.parents.values()].flatMap((parent) => (parent.author_id && !aliases.has(parent.channel_id) && !profiles.has(parent.author_id) ? [parent.author_id] : []));
    for (const [id, profile] of await accounts.profiles(db, quoted)) profiles.set(id, profile);
    return rows.map((row) => presentItem(row, profiles, reactions, aliases, threads));
  }

  /** The originals these items reply to, and how many replies each item has. */
  async function threadsOf(db: Database, rows: MessageRow[]): Promise<Threads> {
    const parentIds = [...new Set(rows.flatMap((row) => (row.reply_to ? [row.reply_to] : [])))];
    const parents = new Map((await repo.findMessages(db, parentIds)).map((row) => [row.id, row]));
    const replyCounts = await repo.replyCounts(db, rows.filter((row) => row.kind === 'message').map((row) => row.id));
    return { parents, replyCounts };
  }

  /** The original a reply answers: a live message of the same channel. */
  async function repliedTo(db: Database, channelId: string, messageId: string): Promise<MessageRow> {
    const parent = await repo.findMessage(db, messageId);
    if (!parent || parent.channel_id !== channelId || parent.kind !== 'message') {
      throw new RiffError('validation_failed', 'reply_to must be a message of this channel', [{ field: 'reply_to', message: 'is not a message of this channel' }]);
    }
    return parent;
  }

  /**
   * Who a body names and can read the channel (its members; in a public channel anyone
   * registered), and whether its `@channel` counts: from its creator or an admin, or anyone in a
   * channel of up to OPEN_CHANNEL_MENTION_MAX people. Conversation rooms have no names to mention.
   */
  async function mentionsIn(db: Database, me: Identity, channel: ChannelRow, body: string): Promise<StoredMentions | null> {
    if (channel.kind === 'conversation') return null;
    const names = namesIn(body);
    if (names.length === 0) return null;
    const named = await repo.usersNamed(db, names.filter((name) => name !== 'channel'), channel.id);
    const userIds = named.filter((user) => user.member_id !== null || channel.private === 0).map((user) => user.id);
    const everyone =
      names.includes('channel') &&
      (channel.creator_id === me.userId || me.role === 'admin' || (await repo.memberCount(db, channel.id)) <= OPEN_CHANNEL_MENTION_MAX);
    if (userIds.length === 0 && !everyone) return null;
    return { user_ids: userIds, ...(everyone ? { channel: true as const } : {}) };
  }

  /**
   * What a new message tells people: the named (once each, even if also replied to or in a DM),
   * everyone in the channel for `@channel`, the author of the original for a reply, and the others
   * in a DM. Never the author.
   */
  async function noticesFor(db: Database, me: Identity, channel: ChannelRow, row: MessageRow, mentions: StoredMentions | null, parent: MessageRow | undefined, alreadyNamed: ReadonlySet<string> = new Set()): Promise<Notice[]> {
    const notices = new Map<string, Notice>();
    const data = { snippet: [...row.body].slice(0, 140).join(''), channel_name: channel.name };
    const add = (userId: string, type: Notice['type'], broad = false) => {
      if (userId === me.userId || notices.has(userId) || alreadyNamed.has(userId)) return;
      notices.set(userId, { userId, type, channelId: channel.id, messageId: row.id, actorId: me.userId, data, broad });
    };
    for (const userId of mentions?.user_ids ?? []) add(userId, 'mention');
    if (parent?.author_id) add(parent.author_id, 'reply');
    const memberIds = mentions?.channel || channel.kind === 'dm' ? (await repo.memberIdsOf(db, [channel.id])).map((m) => m.user_id) : [];
    if (channel.kind === 'dm') for (const userId of memberIds) add(userId, 'dm');
    if (mentions?.channel) for (const userId of memberIds) add(userId, 'mention', true);
    return [...notices.values()];
  }

  /** The aliases of whichever of these channels are conversation rooms. */
  async function roomAliases(db: Database, channelIds: readonly string[]): Promise<RoomAliases> {
    const byRoom: RoomAliases = new Map();
    for (const row of await repo.aliasesIn(db, [...new Set(channelIds)])) {
      let room = byRoom.get(row.channel_id);
      if (!room) byRoom.set(row.channel_id, (room = new Map()));
      room.set(row.user_id, { id: row.alias_id, alias: row.alias });
    }
    return byRoom;
  }

  const aliasIn = async (db: Database, channelId: string, userId: string): Promise<AliasView | undefined> => (await roomAliases(db, [channelId])).get(channelId)?.get(userId);

  /** A conversation room whose partner left is read-only for the one who stays. */
  async function assertConversing(db: Database, channel: Pick<ChannelRow, 'id' | 'kind'>): Promise<void> {
    if (channel.kind === 'conversation' && (await repo.memberCount(db, channel.id)) < 2) throw new RiffError('partner_left');
  }

  const presentOne = async (db: Database, row: MessageRow, viewerId?: string) => (await present(db, [row], viewerId))[0] as MessageView;

  /**
   * Presents a message about to be written by `authorId`: it can have no reactions or replies yet,
   * and its original is at hand. What it needs is read first, before the channel's lock is taken.
   */
  async function presenterOfNew(db: Database, channel: ChannelRow, authorId: string) {
    const aliases: RoomAliases = channel.kind === 'conversation' ? await roomAliases(db, [channel.id]) : new Map();
    const profiles = aliases.size > 0 ? new Map() : await accounts.profiles(db, [authorId]);
    return async (row: MessageRow, parent: MessageRow | undefined): Promise<MessageView> => {
      if (parent?.author_id && aliases.size === 0 && !profiles.has(parent.author_id)) {
        for (const [id, profile] of await accounts.profiles(db, [parent.author_id])) profiles.set(id, profile);
      }
      const threads: Threads = { parents: new Map(parent ? [[parent.id, parent]] : []), replyCounts: new Map() };
      return presentItem(row, profiles, new Map(), aliases, threads) as MessageView;
    };
  }

  async function reactionsOf(db: Database, messageId: string, viewerId?: string): Promise<MessageView['reactions']> {
    return groupReactions(await repo.reactionCounts(db, [messageId], viewerId), viewerId !== undefined).get(messageId) ?? [];
  }

  /**
   * Writes an announcement: one log row, one history item, one frame. `frameType` names the
   * change; for `channel.updated` the frame's data is the channel and the item rides along.
   */
  async function announce(
    trx: Database,
    channel: Pick<ChannelRow, 'id'>,
    frameType: 'announcement' | 'member.joined' | 'member.left' | 'channel.updated',
    announcement: { type: string } & Record<string, unknown>,
    body: string,
  ): Promise<AnnouncementView> {
    const { item } = await writeAnnouncement(trx, channel.id, announcement, body, async (seq, row) => {
      const updated = frameType === 'channel.updated' ? presentChannel((await repo.findChannel(trx, channel.id))!) : undefined;
      const frame: ChannelEventFrame = updated
        ? { type: 'channel.updated', channel_id: channel.id, seq, data: updated, announcement: row }
        : { type: frameType as 'announcement' | 'member.joined' | 'member.left', channel_id: channel.id, seq, data: row };
      return { frame, payload: updated ?? null };
    });
    return item;
  }

  /** A new item of a channel's history, before it has its place (`seq`) in the log. */
  const historyDraft = (
    channelId: string,
    now: number,
    item: Pick<MessageRow, 'kind' | 'author_id' | 'body' | 'nonce' | 'announcement'> & Partial<Pick<MessageRow, 'reply_to' | 'mentions'>>,
  ): Omit<MessageRow, 'seq'> => ({
    id: ids.next(),
    channel_id: channelId,
    created_at: now,
    edited_at: null,
    deleted_at: null,
    reply_to: null,
    mentions: null,
    ...item,
  });

  /** One log row with its history item (an announcement) and the frame `build` makes of them. */
  async function writeAnnouncement(
    trx: Database,
    channelId: string,
    announcement: { type: string } & Record<string, unknown>,
    body: string,
    build: (seq: number, item: AnnouncementView) => Promise<{ frame: ChannelEventFrame; payload: unknown }>,
  ): Promise<{ item: AnnouncementView; seq: number }> {
    const now = clock.now();
    const seq = await repo.nextSeq(trx, channelId, now);
    const row = { ...historyDraft(channelId, now, { kind: 'announcement', author_id: null, body, nonce: null, announcement: JSON.stringify(announcement) }), seq };
    await repo.insertMessage(trx, row);
    const item = presentItem(row, new Map(), new Map()) as AnnouncementView;
    const { frame, payload } = await build(seq, item);
    await repo.insertEvent(trx, { channel_id: channelId, seq, type: frame.type, message_id: row.id, payload: payload === null ? null : JSON.stringify(payload), created_at: now });
    publishAfterCommit(trx, frame);
    return { item, seq };
  }

  /** A change to an existing message (edit, delete, reaction): one log row and its frame. */
  async function logChange(trx: Database, channelId: string, messageId: string, payload: unknown, frame: (seq: number) => ChannelEventFrame): Promise<void> {
    const now = clock.now();
    const seq = await repo.nextSeq(trx, channelId, now);
    const built = frame(seq);
    await repo.insertEvent(trx, { channel_id: channelId, seq, type: built.type, message_id: messageId, payload: payload === undefined ? null : JSON.stringify(payload), created_at: now });
    publishAfterCommit(trx, built);
  }

  /** Rebuilds a log row's frame from the current state it points at: replay never brings deleted text back. */
  function frameOf(event: ChannelEventRow, items: Map<string, HistoryItemView>): ChannelEventFrame {
    const { channel_id, seq } = event;
    const item = event.message_id ? items.get(event.message_id) : undefined;
    const type = event.type as ChannelEventFrame['type'];
    const tombstone = (): ChannelEventFrame => ({ type: 'message.deleted', channel_id, seq, data: { id: event.message_id ?? '' } });
    switch (type) {
      case 'message.created':
      case 'message.updated':
        return item ? { type, channel_id, seq, data: item as MessageView } : tombstone();
      case 'message.deleted':
        return tombstone();
      case 'reaction.updated': {
        if (!item) return tombstone();
        const change = JSON.parse(event.payload ?? '{}') as { user_id: string; emoji: string; reacted: boolean };
        return { type, channel_id, seq, data: { message_id: item.id, reactions: (item as MessageView).reactions, ...change } };
      }
      case 'announcement':
      case 'member.joined':
      case 'member.left':
        return { type, channel_id, seq, data: item as AnnouncementView };
      case 'channel.updated':
        return { type, channel_id, seq, data: JSON.parse(event.payload ?? '{}') as ChannelView, announcement: item as AnnouncementView };
      case 'event.updated':
      case 'rsvp.updated':
      case 'poll.updated':
      case 'poll.closed': {
        const data = JSON.parse(event.payload ?? '{}') as Record<string, unknown>;
        return item ? { type, channel_id, seq, data, announcement: item as AnnouncementView } : { type, channel_id, seq, data };
      }
      case 'room.closed':
        return { type, channel_id, seq, data: { room_id: channel_id } };
      case 'pin.updated':
        return { type, channel_id, seq, data: JSON.parse(event.payload ?? '{}') as PinChange };
      default: {
        const unknown: never = type;
        throw new Error(`no frame for log row type ${String(unknown)}`);
      }
    }
  }

  /** Who may see a channel: members; for public channels every registered user. Guests only their rooms. */
  async function access(db: Database, me: Identity, channelId: string): Promise<Access> {
    const channel = await repo.findChannel(db, channelId);
    if (!channel) throw new RiffError('not_found', 'No such channel');
    if (me.role === 'guest' && channel.kind !== 'conversation') throw new RiffError('guest_forbidden');
    const member = (await repo.findMember(db, channelId, me.userId)) !== undefined;
    if (channel.private === 1 && !member) throw new RiffError('forbidden', 'This channel is private');
    return { channel, member };
  }

  /** A message the caller may read; anything else (unknown, deleted, in a channel they cannot see) is 404. */
  async function readableMessage(db: Database, me: Identity, messageId: string): Promise<{ message: MessageRow; access: Access }> {
    const message = await repo.findMessage(db, messageId);
    if (message) {
      try {
        return { message, access: await access(db, me, message.channel_id) };
      } catch (error) {
        if (!(error instanceof RiffError)) throw error;
      }
    }
    throw new RiffError('not_found', 'No such message');
  }

  function assertManager(me: Identity, channel: ChannelRow): void {
    if (channel.creator_id !== me.userId && me.role !== 'admin') {
      throw new RiffError('forbidden', 'Only the channel’s creator can do this');
    }
  }

  function assertDeletable(channel: ChannelRow): void {
    if (channel.id === GENERAL_CHANNEL_ID) throw new RiffError('channel_protected', 'General belongs to everyone and cannot be deleted');
    if (channel.kind === 'event') throw new RiffError('channel_protected', 'A meetup’s channel goes with the meetup: cancel the meetup instead');
    if (channel.kind === 'conversation') throw new RiffError('channel_protected', 'A conversation is deleted when both have left it');
    if (channel.kind === 'forum') throw new RiffError('channel_protected', 'A forum room is closed, not deleted: its history stays readable');
  }

  /** Takes `lockChannel`'s answer: a close that committed while the caller waited for the lock counts. */
  function assertOpen(locked: { closed_at: number | null } | undefined): void {
    if (locked && locked.closed_at !== null) throw new RiffError('channel_closed');
  }

  /** Only plain channels take members directly; the others follow what owns them (a meetup's RSVPs). */
  function assertOpenMembership(channel: ChannelRow): void {
    if (channel.kind === 'event') throw new RiffError('channel_protected', 'A meetup’s channel follows its RSVPs: join the meetup instead');
    if (channel.kind !== 'channel' && channel.kind !== 'forum') throw new RiffError('channel_protected', 'Conversations keep the people they started with');
  }

  /** Makes `userId` a member (announced as joined, or as added by `by`); false if they already were. */
  async function join(trx: Database, channel: ChannelRow, user: PublicProfile, by?: PublicProfile): Promise<boolean> {
    if (channel.private === 1) {
      // Counted under the channel's lock, so two adds at once cannot both take the last place.
      await repo.lockChannel(trx, channel.id);
      if ((await repo.findMember(trx, channel.id, user.id)) === undefined && (await repo.memberCount(trx, channel.id)) >= deps.privateMemberCap) throw new RiffError('channel_full');
    }
    if (!(await repo.addMember(trx, channel.id, user.id, clock.now(), channel.last_seq))) return false;
    const item = by && by.id !== user.id
      ? await announce(trx, channel, 'member.joined', { type: 'member_added', user_id: user.id, by_user_id: by.id }, `${displayName(by)} added ${displayName(user)}`)
      : await announce(trx, channel, 'member.joined', { type: 'member_joined', user_id: user.id }, `${displayName(user)} joined`);
    membershipAfterCommit(trx, channel.id, user.id, true, item.seq);
    return true;
  }

  async function postOnce(db: Database, me: Identity, channelId: string, input: PostMessageInput): Promise<{ message: MessageView; created: boolean }> {
    return inTransaction(db, async (trx) => {
      const { channel, member } = await access(trx, me, channelId);
      // The channel's lock is held to the commit and orders its log, so what can be read first is.
      // Two sends racing with one nonce both pass here; the unique index stops the second (see post).
      if (input.nonce !== undefined) {
        const existing = await repo.findByNonce(trx, me.userId, input.nonce);
        if (existing) return { message: await sameSend(trx, existing, channelId, input, me), created: false };
      }
      const presentMessage = await presenterOfNew(trx, channel, me.userId);
      assertOpen(await repo.lockChannel(trx, channelId));
      await assertConversing(trx, channel);
      if (channel.kind === 'dm') await assertNotBlocked(trx, me, channel);
      if (!member) {
        assertOpenMembership(channel);
        await join(trx, channel, await profileOf(trx, me.userId));
      }
      const parent = input.reply_to === undefined ? undefined : await repliedTo(trx, channelId, input.reply_to);
      const mentions = await mentionsIn(trx, me, channel, input.body);
      const now = clock.now();
      const row = await repo.appendMessage(
        trx,
        historyDraft(channelId, now, {
          kind: 'message',
          author_id: me.userId,
          body: input.body,
          nonce: input.nonce ?? null,
          announcement: null,
          reply_to: parent?.id ?? null,
          mentions: mentions && JSON.stringify(mentions),
        }),
      );
      await deps.notify(trx, await noticesFor(trx, me, channel, row, mentions, parent));
      const message = await presentMessage(row, parent);
      publishAfterCommit(trx, { type: 'message.created', channel_id: channelId, seq: row.seq, data: message });
      return { message, created: true };
    });
  }

  /** A retried send returns the original; the same nonce on something else is a conflict. */
  async function sameSend(db: Database, existing: MessageRow, channelId: string, input: PostMessageInput, me: Identity): Promise<MessageView> {
    if (existing.deleted_at !== null) throw new RiffError('nonce_reused', 'This nonce belonged to a message that has since been deleted');
    if (existing.channel_id !== channelId || existing.body !== input.body || existing.reply_to !== (input.reply_to ?? null)) throw new RiffError('nonce_reused');
    return presentOne(db, existing, me.userId);
  }

  /** Nobody writes into a two-person DM across a block, whichever of the two blocked the other. */
  async function assertNotBlocked(db: Database, me: Identity, channel: ChannelRow): Promise<void> {
    const others = (await repo.memberIdsOf(db, [channel.id])).map((m) => m.user_id).filter((id) => id !== me.userId);
    if (others.length === 1 && (await repo.blockedBetween(db, me.userId, others))) throw new RiffError('blocked');
  }

  /** Channels as `me` sees them: a DM is named after the others in it and shows them. */
  async function presentFor(db: Database, me: Identity, rows: ChannelRow[]): Promise<ChannelView[]> {
    const direct = rows.filter((row) => row.kind === 'dm');
    const members = await repo.memberIdsOf(db, direct.map((row) => row.id));
    const profiles = await accounts.profiles(db, [...new Set(members.map((m) => m.user_id))]);
    return rows.map((row) => {
      const view = presentChannel(row);
      if (row.kind !== 'dm') return view;
      const people = members.flatMap((m) => {
        const profile = m.channel_id === row.id && m.user_id !== me.userId ? profiles.get(m.user_id) : undefined;
        if (!profile) return [];
        const { role: _role, ...shown } = profile;
        return [shown];
      });
      return { ...view, name: people.map((person) => displayName(person)).join(', ') || 'Just you', people };
    });
  }

  /** One channel as `me` sees it, with my marker and unread count when I am in it. */
  async function viewOf(db: Database, me: Identity, row: ChannelRow): Promise<ChannelView> {
    const [view] = await presentFor(db, me, [row]);
    const marker = await repo.unreadFor(db, row.id, me.userId);
    return { ...view!, is_member: marker !== undefined, ...(marker ? { last_read_seq: marker.last_read_seq, unread_count: Number(marker.unread_count) } : {}) };
  }

  /** Heads, last activity, closing and members of these channels (unknown ones are left out). */
  async function activity(db: Database, channelIds: readonly string[]): Promise<Map<string, ChannelActivity>> {
    const rows = await repo.findChannels(db, channelIds);
    const members = await repo.memberIdsOf(db, rows.map((r) => r.id));
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, name: row.name, last_seq: row.last_seq, last_activity_at: row.last_activity_at, closed_at: row.closed_at, member_ids: members.filter((m) => m.channel_id === row.id).map((m) => m.user_id) },
      ]),
    );
  }

  async function members(db: Database, me: Identity, channelId: string): Promise<MemberView[]> {
    const { channel } = await access(db, me, channelId);
    const rows = await repo.listMembers(db, channelId);
    const profiles = await accounts.profiles(db, rows.map((r) => r.user_id));
    return rows.flatMap((row) => {
      const profile = profiles.get(row.user_id);
      if (!profile) return [];
      const { role: _role, ...publicProfile } = profile;
      return [{ ...publicProfile, joined_at: iso(row.joined_at), is_creator: channel.creator_id === row.user_id }];
    });
  }

  return {
    /**
     * For modules whose resources own a channel (a meetup): a public channel of `kind` with
     * its creator as member and a creation announcement; membership then follows the module.
     */
    async openOwnedChannel(trx: Database, channel: { kind: 'event' | 'forum'; name: string; description: string; creatorId: string; announcement: string }): Promise<string> {
      const now = clock.now();
      const id = ids.next();
      await repo.insertChannel(trx, { id, kind: channel.kind, name: channel.name, description: channel.description, private: 0, creator_id: channel.creatorId, created_at: now, updated_at: now, last_activity_at: now });
      await repo.addMember(trx, id, channel.creatorId, now);
      const item = await announce(trx, { id }, 'announcement', { type: 'channel_created', user_id: channel.creatorId }, channel.announcement);
      membershipAfterCommit(trx, id, channel.creatorId, true, item.seq);
      return id;
    },

    /**
     * Closes a channel its owning module closes (a forum room): one `channel.updated` row whose
     * announcement says so; history stays readable and posting is refused. False if it already was.
     */
    async closeOwnedChannel(trx: Database, channelId: string, closedBy: string, body: string): Promise<boolean> {
      const locked = await repo.lockChannel(trx, channelId);
      if (!locked) throw new RiffError('not_found', 'No such channel');
      if (locked.closed_at !== null) return false;
      const now = clock.now();
      await repo.updateChannel(trx, channelId, { closed_at: now, updated_at: now });
      await announce(trx, { id: channelId }, 'channel.updated', { type: 'channel_closed', user_id: closedBy }, body);
      return true;
    },

    activity,

    /** Open channels of `kind`, most recently active first, paged after (last activity, id). */
    async activeChannels(db: Database, kind: 'forum', page: { after?: { at: number; id: string }; limit: number }): Promise<{ items: ChannelActivity[]; more: boolean }> {
      const rows = await repo.activeOfKind(db, kind, { after: page.after, limit: page.limit + 1 });
      const items = rows.slice(0, page.limit);
      const byId = await activity(db, items.map((r) => r.id));
      return { items: items.map((r) => byId.get(r.id)!), more: rows.length > page.limit };
    },

    /**
     * A Talk-now room: a private conversation channel of exactly these people, each shown there
     * by an alias whose id exists only in that room. Returns the room and everyone's alias.
     */
    async openConversation(trx: Database, people: Array<{ userId: string; alias: string }>): Promise<{ channelId: string; aliases: Map<string, AliasView> }> {
      const now = clock.now();
      const id = ids.next();
      await repo.insertChannel(trx, { id, kind: 'conversation', name: 'Talk now', description: '', private: 1, creator_id: null, created_at: now, updated_at: now, last_activity_at: now });
      const rows = people.map((person) => ({ channel_id: id, user_id: person.userId, alias_id: ids.next(), alias: person.alias }));
      await repo.insertAliases(trx, rows);
      for (const person of people) await repo.addMember(trx, id, person.userId, now);
      const aliases = rows.map((row) => ({ id: row.alias_id, alias: row.alias }));
      const item = await announce(trx, { id }, 'announcement', { type: 'conversation_started', aliases }, `${aliases.map((a) => a.alias).join(' and ')} are talking`);
      for (const person of people) membershipAfterCommit(trx, id, person.userId, true, item.seq);
      return { channelId: id, aliases: new Map(rows.map((row) => [row.user_id, { id: row.alias_id, alias: row.alias }])) };
    },

    /** Someone leaves a conversation room, announced by their alias; returns how many are still in it. */
    async leaveConversation(trx: Database, channelId: string, userId: string): Promise<number> {
      const alias = await aliasIn(trx, channelId, userId);
      if (!alias || !(await repo.removeMember(trx, channelId, userId))) throw new RiffError('not_found', 'No such room');
      const item = await announce(trx, { id: channelId }, 'member.left', { type: 'member_left', user_id: alias.id, alias: alias.alias }, `${alias.alias} left`);
      membershipAfterCommit(trx, channelId, userId, false, item.seq);
      return repo.memberCount(trx, channelId);
    },

    /**
     * Deletes a conversation room with its messages and log (ephemeral by design). Its last seq is
     * `room.closed`, which goes to the sockets of everyone who was in it, wherever they are.
     */
    async closeConversation(trx: Database, channelId: string): Promise<void> {
      const people = await repo.aliasesIn(trx, [channelId]);
      const seq = await repo.nextSeq(trx, channelId, clock.now());
      await repo.deleteChannel(trx, channelId);
      const frame: RoomClosedFrame = { type: 'room.closed', channel_id: channelId, seq, data: { room_id: channelId } };
      afterCommit(trx, () => {
        for (const { user_id } of people) bus.publish(topics.user(user_id), { kind: 'user_frame', user_id, frame });
      });
    },

    /** Everyone's alias in a conversation room, by user id (also of those who left). */
    aliases: async (db: Database, channelId: string): Promise<Map<string, AliasView>> => (await roomAliases(db, [channelId])).get(channelId) ?? new Map(),

    /** How a typing signal names the user: by alias in a conversation room, else by username. */
    async typist(db: Database, userId: string, username: string | null, channelId: string): Promise<TypistView> {
      const alias = await aliasIn(db, channelId, userId);
      return alias ? { user_id: alias.id, alias: alias.alias } : { user_id: userId, username };
    },

    /** Where a user's presence shows (not their conversation rooms), and who must never see it (their partners there). */
    async presenceAudience(db: Database, userId: string): Promise<{ channelIds: string[]; hiddenFrom: string[] }> {
      return { channelIds: await repo.presenceChannelIds(db, userId), hiddenFrom: await repo.conversationPartners(db, userId) };
    },

    /** A message `me` may read, as moderators need it: its text and real author. 404 for anything else. */
    async reportedMessage(db: Database, me: Identity, messageId: string): Promise<{ id: string; channelId: string; body: string; authorId: string | null; conversation: boolean }> {
      const { message, access: where } = await readableMessage(db, me, messageId);
      if (message.kind !== 'message') throw new RiffError('not_found', 'No such message');
      return { id: message.id, channelId: message.channel_id, body: message.body, authorId: message.author_id, conversation: where.channel.kind === 'conversation' };
    },

    /** A channel's most recent messages, oldest first, with their real authors (for a report). */
    async transcript(db: Database, channelId: string, limit: number): Promise<Array<{ authorId: string | null; body: string; createdAt: number }>> {
      const { items } = await repo.history(db, channelId, { limit });
      return items.filter((row) => row.kind === 'message').map((row) => ({ authorId: row.author_id, body: row.body, createdAt: row.created_at }));
    },

    /** Adds or removes a member without an announcement (the owning module's own row says why), from `seq` on. */
    async setMember(trx: Database, channelId: string, userId: string, member: boolean, seq: number): Promise<void> {
      const changed = member ? await repo.addMember(trx, channelId, userId, clock.now(), seq - 1) : await repo.removeMember(trx, channelId, userId);
      if (changed) membershipAfterCommit(trx, channelId, userId, member, seq);
    },

    /**
     * Logs a change of another module's resource in its channel: one row, one frame with the
     * resource as `data`, and when `announcement` is given the history item it rides with.
     */
    async logResource(
      trx: Database,
      channelId: string,
      type: ResourceFrameType,
      data: Record<string, unknown>,
      announcement?: { fields: { type: string } & Record<string, unknown>; body: string },
    ): Promise<number> {
      if (announcement) {
        const { seq } = await writeAnnouncement(trx, channelId, announcement.fields, announcement.body, async (seq, item) => ({
          frame: { type, channel_id: channelId, seq, data, announcement: item },
          payload: data,
        }));
        return seq;
      }
      const now = clock.now();
      const seq = await repo.nextSeq(trx, channelId, now);
      await repo.insertEvent(trx, { channel_id: channelId, seq, type, message_id: null, payload: JSON.stringify(data), created_at: now });
      publishAfterCommit(trx, { type, channel_id: channelId, seq, data });
      return seq;
    },

    /** Whether `me` is in the channel; throws the REST errors when they may not see it at all. */
    isMember: async (db: Database, me: Identity, channelId: string) => (await access(db, me, channelId)).member,

    /** The channel's head if `me` may follow it live; throws the REST errors otherwise. */
    async followable(db: Database, me: Identity, channelId: string): Promise<number> {
      return (await access(db, me, channelId)).channel.last_seq;
    },

    /** The head of a channel's log (0 for an unknown channel). */
    head: async (db: Database, channelId: string) => (await repo.findChannel(db, channelId))?.last_seq ?? 0,

    /** The channels a user's sockets follow from the start, with their heads. */
    memberships: (db: Database, userId: string) => repo.memberHeads(db, userId),

    /** Log rows after `afterSeq`, oldest first, as the frames live subscribers got (current state). */
    async replay(db: Database, channelId: string, afterSeq: number, limit: number): Promise<{ frames: ChannelEventFrame[]; more: boolean }> {
      const events = await repo.eventsAfter(db, channelId, afterSeq, limit + 1);
      const page = events.slice(0, limit);
      const rows = await repo.findLiveMessages(db, [...new Set(page.flatMap((e) => (e.message_id ? [e.message_id] : [])))]);
      const items = new Map((await present(db, rows)).map((item) => [item.id, item]));
      return { frames: page.map((event) => frameOf(event, items)), more: events.length > limit };
    },

    /** Everyone registered is in General; runs inside the sign-up transaction. */
    async joinGeneral(trx: Database, user: UserRow): Promise<void> {
      const general = await repo.findChannel(trx, GENERAL_CHANNEL_ID);
      if (general) await join(trx, general, { id: user.id, username: user.username, first_name: user.first_name, last_name: user.last_name, photo_url: user.photo_url });
    },

    async list(db: Database, me: Identity): Promise<ChannelView[]> {
      const rows = await repo.listForMember(db, me.userId);
      const views = await presentFor(db, me, rows);
      return rows.map((row, i) => ({ ...views[i]!, last_read_seq: row.last_read_seq, unread_count: Number(row.unread_count), is_member: true }));
    },

    /**
     * Gets or creates the one DM of exactly the caller and these people. Asking again, even at the
     * same moment, finds the same channel: its key (the sorted member ids) is unique.
     */
    async openDirect(db: Database, me: Identity, input: DirectInput): Promise<{ channel: ChannelView; created: boolean }> {
      const others = [...new Set('user_id' in input ? [input.user_id] : input.user_ids)].filter((id) => id !== me.userId);
      if (others.length === 0) throw new RiffError('validation_failed', 'Name someone else to message', [{ field: 'user_id', message: 'must not be yourself' }]);
      if (others.length > DM_MAX_PEOPLE - 1) throw new RiffError('validation_failed', `A group DM holds at most ${DM_MAX_PEOPLE} people`, [{ field: 'user_ids' }]);
      const people = [me.userId, ...others].sort();
      if (people.length > deps.privateMemberCap) throw new RiffError('channel_full', `A private conversation holds at most ${deps.privateMemberCap} people`);
      const key = people.join(',');
      const existing = async (trx: Database) => {
        const row = await repo.findDirect(trx, key);
        return row && { channel: await viewOf(trx, me, row), created: false };
      };
      try {
        return await inTransaction(db, async (trx) => {
          const found = await existing(trx);
          if (found) return found;
          const profiles = await accounts.profiles(trx, others);
          const unknown = others.filter((id) => profiles.get(id) === undefined || profiles.get(id)?.role === 'guest');
          if (unknown.length > 0) throw new RiffError('not_found', 'No such user', unknown.map((id) => ({ field: 'user_ids', user_id: id })));
          if (await repo.blockedBetween(trx, me.userId, others)) throw new RiffError('blocked');
          const creator = await profileOf(trx, me.userId);
          const now = clock.now();
          const id = ids.next();
          await repo.insertChannel(trx, { id, kind: 'dm', name: '', description: '', private: 1, creator_id: me.userId, created_at: now, updated_at: now, last_activity_at: now, direct_key: key });
          for (const userId of people) await repo.addMember(trx, id, userId, now);
          const item = await announce(trx, { id }, 'announcement', { type: 'channel_created', user_id: me.userId }, `${displayName(creator)} started this conversation`);
          for (const userId of people) membershipAfterCommit(trx, id, userId, true, item.seq);
          return { channel: await viewOf(trx, me, (await repo.findChannel(trx, id))!), created: true };
        });
      } catch (error) {
        // Both asked at once and the other committed first: theirs is the one.
        if (!uniqueViolation(error)) throw error;
        const found = await existing(db);
        if (!found) throw error;
        return found;
      }
    },

    /** Blocks or unblocks someone: no DMs between us; what they write is left out of my history, search and unread counts. */
    async setBlocked(db: Database, me: Identity, userId: string, blocked: boolean): Promise<{ user_id: string; blocked: boolean }> {
      if (userId === me.userId) throw new RiffError('validation_failed', 'You cannot block yourself', [{ field: 'id' }]);
      await profileOf(db, userId);
      if (blocked) await repo.block(db, me.userId, userId, clock.now());
      else await repo.unblock(db, me.userId, userId);
      return { user_id: userId, blocked };
    },

    /** The people I blocked, in the order I blocked them. */
    async blocked(db: Database, me: Identity): Promise<PublicProfile[]> {
      const ids = await repo.blockedBy(db, me.userId);
      const profiles = await accounts.profiles(db, ids);
      return ids.flatMap((id) => {
        const profile = profiles.get(id);
        if (!profile) return [];
        const { role: _role, ...shown } = profile;
        return [shown];
      });
    },

    /** Pins or unpins a message of the channel: members pin; the pinner, the channel's creator (a meetup's organizer) or an admin unpins. */
    async setPinned(db: Database, me: Identity, channelId: string, messageId: string, pinned: boolean): Promise<{ channel_id: string; message_id: string; pinned: boolean }> {
      return inTransaction(db, async (trx) => {
        const { channel, member } = await access(trx, me, channelId);
        if (channel.kind === 'conversation') throw new RiffError('channel_protected', 'Talk-now conversations have no pins');
        if (!member) throw new RiffError('forbidden', 'Join the channel to pin messages in it');
        const message = await repo.findMessage(trx, messageId);
        if (!message || message.channel_id !== channelId || message.kind !== 'message') throw new RiffError('not_found', 'No such message in this channel');
        assertOpen(await repo.lockChannel(trx, channelId));
        const existing = await repo.findPin(trx, channelId, messageId);
        if (pinned === (existing !== undefined)) return { channel_id: channelId, message_id: messageId, pinned };
        if (pinned) {
          await repo.pin(trx, { channel_id: channelId, message_id: messageId, pinned_by: me.userId, pinned_at: clock.now() });
        } else {
          if (existing!.pinned_by !== me.userId && channel.creator_id !== me.userId && me.role !== 'admin') {
            throw new RiffError('forbidden', 'Only who pinned it or the channel’s creator can unpin this');
          }
          await repo.unpin(trx, channelId, messageId);
        }
        const change: PinChange = { message_id: messageId, pinned, user_id: me.userId };
        await logChange(trx, channelId, messageId, change, (seq) => ({ type: 'pin.updated', channel_id: channelId, seq, data: change }));
        return { channel_id: channelId, message_id: messageId, pinned };
      });
    },

    async pins(db: Database, me: Identity, channelId: string): Promise<PinView[]> {
      await access(db, me, channelId);
      const rows = await repo.pinsOf(db, channelId, me.userId);
      const items = await present(db, rows.map(({ pinned_by: _by, pinned_at: _at, ...message }) => message), me.userId);
      return rows.map((row, i) => ({ message: items[i] as MessageView, pinned_by: row.pinned_by, pinned_at: iso(row.pinned_at) }));
    },

    async discover(db: Database, me: Identity, q: string | undefined): Promise<ChannelView[]> {
      const rows = await repo.discoverPublic(db, me.userId, q?.trim() || undefined);
      return rows.map(({ member_id, last_read_seq, ...row }) => ({
        ...presentChannel(row),
        is_member: member_id !== null,
        ...(last_read_seq !== null ? { last_read_seq } : {}),
      }));
    },

    async create(db: Database, me: Identity, input: CreateChannelInput): Promise<ChannelView> {
      return inTransaction(db, async (trx) => {
        const creator = await profileOf(trx, me.userId);
        const others = (input.members ?? []).filter((id) => id !== me.userId);
        const profiles = await accounts.profiles(trx, others);
        const unknown = others.filter((id) => profiles.get(id)?.role === undefined || profiles.get(id)?.role === 'guest');
        if (unknown.length > 0) throw new RiffError('validation_failed', 'Some members are not Riff users', unknown.map((id) => ({ field: 'members', user_id: id })));
        if (input.private && others.length + 1 > deps.privateMemberCap) throw new RiffError('channel_full', `A private channel holds at most ${deps.privateMemberCap} members`);
        const now = clock.now();
        const channel: ChannelRow = {
          id: ids.next(),
          kind: 'channel',
          name: input.name,
          description: input.description ?? '',
          private: input.private ? 1 : 0,
          creator_id: me.userId,
          created_at: now,
          updated_at: now,
          last_seq: 0,
          last_activity_at: now,
          closed_at: null,
          direct_key: null,
        };
        await repo.insertChannel(trx, channel);
        for (const id of [me.userId, ...others]) {
          await repo.addMember(trx, channel.id, id, now);
          membershipAfterCommit(trx, channel.id, id, true, 1);
        }
        await announce(trx, channel, 'announcement', { type: 'channel_created', user_id: me.userId }, `${displayName(creator)} created ${channel.name}`);
        const created = (await repo.findChannel(trx, channel.id))!;
        return { ...presentChannel(created), last_read_seq: 0, unread_count: 0, is_member: true };
      });
    },

    async update(db: Database, me: Identity, channelId: string, input: UpdateChannelInput): Promise<ChannelView> {
      return inTransaction(db, async (trx) => {
        const { channel, member } = await access(trx, me, channelId);
        assertManager(me, channel);
        // Unknown keys are dropped by validation, so `{"topic": 1}` arrives here as nothing to change.
        if (input.name === undefined && input.description === undefined) {
          throw new RiffError('validation_failed', 'Send a name or a description', [{ field: 'name' }, { field: 'description' }]);
        }
        if (channel.kind !== 'channel') throw new RiffError('channel_protected', 'This channel is named after what it belongs to');
        const changes = { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.description !== undefined ? { description: input.description } : {}) };
        await repo.updateChannel(trx, channelId, { ...changes, updated_at: clock.now() });
        const by = displayName(await profileOf(trx, me.userId));
        const renamed = input.name !== undefined && input.name !== channel.name;
        await announce(
          trx,
          channel,
          'channel.updated',
          renamed ? { type: 'channel_renamed', user_id: me.userId, name: input.name } : { type: 'channel_updated', user_id: me.userId },
          renamed ? `${by} renamed the channel to ${input.name}` : `${by} changed the channel’s description`,
        );
        const updated = (await repo.findChannel(trx, channelId))!;
        return { ...presentChannel(updated), is_member: member };
      });
    },

    async remove(db: Database, me: Identity, channelId: string): Promise<ChannelView> {
      return inTransaction(db, async (trx) => {
        const { channel } = await access(trx, me, channelId);
        // Nobody may delete General (it has no creator), so say that rather than "not yours".
        assertDeletable(channel);
        assertManager(me, channel);
        const members = await repo.listMembers(trx, channelId);
        await repo.deleteChannel(trx, channelId);
        const view = presentChannel(channel);
        publishAfterCommit(trx, { type: 'channel.deleted', channel_id: channelId, data: view });
        for (const m of members) membershipAfterCommit(trx, channelId, m.user_id, false, channel.last_seq);
        return view;
      });
    },

    /** Members with their profiles; in a conversation room by alias (and the caller adds no presence). */
    async members(db: Database, me: Identity, channelId: string): Promise<{ conversation: false; members: MemberView[] } | { conversation: true; members: ConversationMemberView[] }> {
      const { channel } = await access(db, me, channelId);
      if (channel.kind !== 'conversation') return { conversation: false, members: await members(db, me, channelId) };
      const aliases = (await roomAliases(db, [channelId])).get(channelId) ?? new Map<string, AliasView>();
      const rows = await repo.listMembers(db, channelId);
      return {
        conversation: true,
        members: rows.flatMap((row) => {
          const alias = aliases.get(row.user_id);
          return alias ? [{ ...alias, joined_at: iso(row.joined_at), is_creator: false }] : [];
        }),
      };
    },

    /** Adds a member: the creator adds anyone; anyone may add themself to a public channel. */
    async addMember(db: Database, me: Identity, channelId: string, userId: string): Promise<{ added: boolean; members: MemberView[] }> {
      const added = await inTransaction(db, async (trx) => {
        const { channel } = await access(trx, me, channelId);
        if (userId !== me.userId) assertManager(me, channel);
        assertOpenMembership(channel);
        const user = await profileOf(trx, userId);
        return join(trx, channel, user, await profileOf(trx, me.userId));
      });
      return { added, members: await members(db, me, channelId) };
    },

    /** Removes a member: the creator removes anyone; a member may remove themself (leave). */
    async removeMember(db: Database, me: Identity, channelId: string, userId: string): Promise<void> {
      await inTransaction(db, async (trx) => {
        const { channel } = await access(trx, me, channelId);
        if (userId !== me.userId) assertManager(me, channel);
        if (channel.id === GENERAL_CHANNEL_ID) throw new RiffError('channel_protected', 'Everyone stays in General');
        assertOpenMembership(channel);
        const user = await profileOf(trx, userId);
        if (!(await repo.removeMember(trx, channelId, userId))) throw new RiffError('not_found', 'Not a member of this channel');
        const item =
          userId === me.userId
            ? await announce(trx, channel, 'member.left', { type: 'member_left', user_id: userId }, `${displayName(user)} left`)
            : await announce(trx, channel, 'member.left', { type: 'member_removed', user_id: userId, by_user_id: me.userId }, `${displayName(await profileOf(trx, me.userId))} removed ${displayName(user)}`);
        membershipAfterCommit(trx, channelId, userId, false, item.seq);
      });
    },

    async history(db: Database, me: Identity, channelId: string, cursor: { before?: number; after?: number; limit?: number }) {
      await access(db, me, channelId);
      const page = await repo.history(db, channelId, { ...cursor, limit: cursor.limit ?? DEFAULT_HISTORY, readerId: me.userId });
      return { items: await present(db, page.items, me.userId), more: page.more };
    },

    async post(db: Database, me: Identity, channelId: string, raw: PostMessageInput): Promise<{ message: MessageView; created: boolean }> {
      const input = { ...raw, body: checkedBody(raw.body) };
      try {
        return await postOnce(db, me, channelId, input);
      } catch (error) {
        // Two sends with one nonce raced (both read before either wrote): the loser sees the winner's row now.
        if (input.nonce === undefined || !uniqueViolation(error)?.includes('nonce')) throw error;
        const existing = await repo.findByNonce(db, me.userId, input.nonce);
        if (!existing) throw error;
        return { message: await sameSend(db, existing, channelId, input, me), created: false };
      }
    },

    /** Moves my marker and tells my other sockets; `origin` is the socket that asked, if one did. */
    async markRead(db: Database, me: Identity, channelId: string, seq: number, origin?: string) {
      const { member } = await access(db, me, channelId);
      if (!member) throw new RiffError('forbidden', 'Join the channel to keep a read marker in it');
      await repo.moveReadMarker(db, channelId, me.userId, seq);
      const marker = (await repo.unreadFor(db, channelId, me.userId))!;
      bus.publish(topics.user(me.userId), { kind: 'read', user_id: me.userId, channel_id: channelId, last_read_seq: marker.last_read_seq, ...(origin ? { origin } : {}) });
      return { channel_id: channelId, last_read_seq: marker.last_read_seq, unread_count: Number(marker.unread_count) };
    },

    async edit(db: Database, me: Identity, messageId: string, text: string): Promise<MessageView> {
      const body = checkedBody(text);
      return inTransaction(db, async (trx) => {
        const { message, access: where } = await readableMessage(trx, me, messageId);
        if (message.kind !== 'message' || message.author_id !== me.userId) throw new RiffError('forbidden', 'Only its author can edit a message');
        await assertConversing(trx, where.channel);
        assertOpen(await repo.lockChannel(trx, message.channel_id));
        const now = clock.now();
        await repo.editMessage(trx, message, body, now);
        // Names added by the edit are told; those named before were told already.
        const before = message.mentions ? (JSON.parse(message.mentions) as StoredMentions) : null;
        const mentions = await mentionsIn(trx, me, where.channel, body);
        const stored = mentions && JSON.stringify(mentions);
        if (stored !== message.mentions) await repo.setMentions(trx, message.id, stored);
        const edited = { ...message, body, edited_at: now, mentions: stored };
        const told = new Set([...(before?.user_ids ?? []), ...(before?.channel ? (await repo.memberIdsOf(trx, [message.channel_id])).map((m) => m.user_id) : [])]);
        const fresh = mentions && { user_ids: mentions.user_ids, ...(mentions.channel && !before?.channel ? { channel: true as const } : {}) };
        await deps.notify(trx, (await noticesFor(trx, me, where.channel, edited, fresh, undefined, told)).filter((notice) => notice.type === 'mention'));
        const data = await presentOne(trx, edited);
        await logChange(trx, message.channel_id, message.id, undefined, (seq) => ({ type: 'message.updated', channel_id: message.channel_id, seq, data }));
        return presentOne(trx, edited, me.userId);
      });
    },

    async deleteMessage(db: Database, me: Identity, messageId: string): Promise<{ id: string }> {
      return inTransaction(db, async (trx) => {
        const { message } = await readableMessage(trx, me, messageId);
        if (message.kind !== 'message' || message.author_id !== me.userId) throw new RiffError('forbidden', 'Only its author can delete a message');
        await repo.lockChannel(trx, message.channel_id);
        await repo.deleteMessage(trx, message.id, clock.now());
        await logChange(trx, message.channel_id, message.id, undefined, (seq) => ({ type: 'message.deleted', channel_id: message.channel_id, seq, data: { id: message.id } }));
        return { id: message.id };
      });
    },

    /** Adds or removes my `emoji` on a message; a change is logged, a repeat is not. */
    async react(db: Database, me: Identity, messageId: string, emoji: string, on: boolean) {
      return inTransaction(db, async (trx) => {
        const { message, access: where } = await readableMessage(trx, me, messageId);
        if (message.kind !== 'message') throw new RiffError('forbidden', 'Announcements take no reactions');
        await assertConversing(trx, where.channel);
        assertOpen(await repo.lockChannel(trx, message.channel_id));
        const changed = on ? await repo.addReaction(trx, message.id, me.userId, emoji, clock.now()) : await repo.removeReaction(trx, message.id, me.userId, emoji);
        if (changed) {
          // In a conversation room the reactor is named by their room-scoped id, as everywhere there.
          const change = { user_id: (await aliasIn(trx, message.channel_id, me.userId))?.id ?? me.userId, emoji, reacted: on };
          const reactions = await reactionsOf(trx, message.id);
          await logChange(trx, message.channel_id, message.id, change, (seq) => ({
            type: 'reaction.updated',
            channel_id: message.channel_id,
            seq,
            data: { message_id: message.id, reactions, ...change },
          }));
        }
        return { message_id: message.id, reactions: await reactionsOf(trx, message.id, me.userId) };
      });
    },

    /** The thread under a message: its live replies, oldest first (after `after`, a reply's seq). */
    async replies(db: Database, me: Identity, messageId: string, page: { after?: number; limit?: number }): Promise<{ items: MessageView[]; more: boolean }> {
      const { message } = await readableMessage(db, me, messageId);
      const limit = page.limit ?? DEFAULT_REPLIES;
      const rows = await repo.replies(db, message.id, me.userId, { after: page.after, limit: limit + 1 });
      return { items: (await present(db, rows.slice(0, limit), me.userId)) as MessageView[], more: rows.length > limit };
    },

    async search(db: Database, me: Identity, filter: { q: string; channelId?: string; before?: string; limit?: number }): Promise<MessageView[]> {
      const channel = filter.channelId ? (await access(db, me, filter.channelId)).channel : undefined;
      const rows = await repo.search(db, { ...filter, q: filter.q.trim(), readerId: me.userId, limit: filter.limit ?? DEFAULT_SEARCH, channelSize: channel?.last_seq });
      return (await present(db, rows, me.userId)) as MessageView[];
    },
  };
}

export type ChannelsService = ReturnType<typeof channelsService>;
