import { sql } from 'kysely';
import type { Database, DialectName } from '../../platform/storage/database.js';
import { prepared } from '../../platform/storage/prepared.js';
import { TRIGRAM_MIN, containsIgnoringCase, ftsPhrase, likeFragment } from '../../platform/storage/text-search.js';
import type { ChannelEventRow, ChannelKind, ChannelRow, ChannelsTable, ConversationAliasesTable, MessageRow, MessagesTable } from '../../platform/storage/tables.js';
import type { Insertable, Updateable } from 'kysely';

export interface ChannelWithMembership extends ChannelRow {
  last_read_seq: number;
  unread_count: number;
}

export interface ReactionCount {
  message_id: string;
  emoji: string;
  count: number;
  me: number;
}

export interface HistoryPage {
  items: MessageRow[];
  /** More items lie beyond this page in the direction it was read. */
  more: boolean;
}

/** Counts other people's live messages after the reader's marker: the unread badge. */
const unreadCount = (userId: string) =>
  sql<number>`(select count(*) from messages x where x.channel_id = channels.id and x.kind = 'message'
    and x.deleted_at is null and x.seq > channel_members.last_read_seq
    and (x.author_id is null or (x.author_id <> ${userId}
      and x.author_id not in (select b.blocked_id from user_blocks b where b.blocker_id = ${userId}))))`;

/** Channels up to this many messages are searched by reading their rows rather than the trigram index. */
const CHANNEL_SCAN_MAX = 20_000;

/** Leaves out what people `readerId` blocked wrote (announcements have no author and stay). */
const notBlockedBy = (readerId: string) =>
  sql<boolean>`(messages.author_id is null or messages.author_id not in (select blocked_id from user_blocks where blocker_id = ${readerId}))`;

// The statements every send runs, compiled once.
const channelById = prepared((db, a: { id: string }) => db.selectFrom('channels').selectAll().where('id', '=', a.id));
const memberOf = prepared((db, a: { channelId: string; userId: string }) =>
  db.selectFrom('channel_members').selectAll().where('channel_id', '=', a.channelId).where('user_id', '=', a.userId),
);
const takeSeq = prepared((db, a: { id: string; now: number }) =>
  db
    .updateTable('channels')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_activity_at: a.now }))
    .where('id', '=', a.id)
    .returning('last_seq'),
);
const messageByNonce = prepared((db, a: { authorId: string; nonce: string }) =>
  db.selectFrom('messages').selectAll().where('author_id', '=', a.authorId).where('nonce', '=', a.nonce),
);
/** A message's columns but its seq, field by field: a prepared query's arguments are stand-ins that cannot be spread. */
const messageValues = (m: Omit<MessageRow, 'seq'>) => ({
  id: m.id,
  channel_id: m.channel_id,
  kind: m.kind,
  author_id: m.author_id,
  body: m.body,
  nonce: m.nonce,
  announcement: m.announcement,
  created_at: m.created_at,
  edited_at: m.edited_at,
  deleted_at: m.deleted_at,
  reply_to: m.reply_to,
  mentions: m.mentions,
});
const insertMessage = prepared((db, m: MessageRow) => db.insertInto('messages').values({ ...messageValues(m), seq: m.seq }));
const insertEvent = prepared((db, e: ChannelEventRow) =>
  db.insertInto('channel_events').values({ channel_id: e.channel_id, seq: e.seq, type: e.type, message_id: e.message_id, payload: e.payload, created_at: e.created_at }),
);
const moveReadMarker = prepared((db, a: { channelId: string; userId: string; seq: number }) =>
  db
    .updateTable('channel_members')
    .set({
      last_read_seq: sql<number>`case when last_read_seq < ${a.seq} then
        (select case when c.last_seq < ${a.seq} then c.last_seq else ${a.seq} end from channels c where c.id = ${a.channelId})
        else last_read_seq end`,
    })
    .where('channel_id', '=', a.channelId)
    .where('user_id', '=', a.userId),
);

/**
 * PostgreSQL: a new message in one statement (seq, message, log row, the author's read marker).
 * The channel's row stays locked from the seq to the commit, so every round trip between them
 * holds up the channel's other senders.
 */
const appendInOneStatement = prepared((db, m: Omit<MessageRow, 'seq'>) =>
  db
    .with('taken', (q) =>
      q
        .updateTable('channels')
        .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_activity_at: m.created_at }))
        .where('id', '=', m.channel_id)
        .returning('last_seq'),
    )
    .with('message', (q) => q.insertInto('messages').values({ ...messageValues(m), seq: sql<number>`(select last_seq from taken)` }))
    .with('event', (q) =>
      q.insertInto('channel_events').values({
        channel_id: m.channel_id,
        seq: sql<number>`(select last_seq from taken)`,
        type: 'message.created',
        message_id: m.id,
        payload: null,
        created_at: m.created_at,
      }),
    )
    .with('marker', (q) =>
      q
        .updateTable('channel_members')
        .set({ last_read_seq: sql<number>`greatest(last_read_seq, (select last_seq from taken))` })
        .where('channel_id', '=', m.channel_id)
        .where('user_id', '=', m.author_id),
    )
    .selectFrom('taken')
    .select('last_seq'),
);

// And those every page of history runs.
const historyPage = (direction: 'asc' | 'desc') =>
  prepared((db, a: { channelId: string; readerId: string; before: number; after: number; limit: number }) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('channel_id', '=', a.channelId)
      .where('deleted_at', 'is', null)
      .where(notBlockedBy(a.readerId))
      .where('seq', '<', a.before)
      .where('seq', '>', a.after)
      .orderBy('seq', direction)
      .limit(a.limit),
  );
const newestFirst = historyPage('desc');
const oldestFirst = historyPage('asc');
const messagesByIds = prepared((db, a: { ids: readonly string[] }) => db.selectFrom('messages').selectAll().where('id', 'in', a.ids));
const reactionCounts = prepared((db, a: { messageIds: readonly string[]; userId: string }) =>
  db
    .selectFrom('reactions')
    .select((eb) => ['message_id', 'emoji', eb.fn.countAll<number>().as('count'), sql<number>`max(case when user_id = ${a.userId} then 1 else 0 end)`.as('me')])
    .where('message_id', 'in', a.messageIds)
    .groupBy(['message_id', 'emoji'])
    .orderBy(sql`min(created_at)`)
    .orderBy('emoji'),
);
const replyCounts = prepared((db, a: { messageIds: readonly string[] }) =>
  db
    .selectFrom('messages')
    .select((eb) => ['reply_to', eb.fn.countAll<number>().as('count')])
    .where('reply_to', 'in', a.messageIds)
    .where('deleted_at', 'is', null)
    .groupBy('reply_to'),
);
const aliasesIn = prepared((db, a: { channelIds: readonly string[] }) => db.selectFrom('conversation_aliases').selectAll().where('channel_id', 'in', a.channelIds));

// And the replay of a resuming socket (with messagesByIds).
const eventsAfter = prepared((db, a: { channelId: string; afterSeq: number; limit: number }) =>
  db.selectFrom('channel_events').selectAll().where('channel_id', '=', a.channelId).where('seq', '>', a.afterSeq).orderBy('seq').limit(a.limit),
);

export function channelsRepository(dialect: DialectName) {
  const closedAt = prepared((db, a: { id: string }) => {
    const query = db.selectFrom('channels').select('closed_at').where('id', '=', a.id);
    return dialect === 'postgres' ? query.forUpdate() : query;
  });
  /** Takes the next seq of the channel's log under its row lock (held until commit). */
  async function nextSeq(db: Database, channelId: string, now: number): Promise<number> {
    const row = await takeSeq.first(db, { id: channelId, now });
    if (!row) throw new Error(`channel ${channelId} vanished while sending`);
    return row.last_seq;
  }

  return {
    insertChannel: (db: Database, channel: Insertable<ChannelsTable>) => db.insertInto('channels').values(channel).execute(),

    findChannel: (db: Database, id: string) => channelById.first(db, { id }),

    updateChannel: (db: Database, id: string, changes: Updateable<ChannelsTable>) =>
      db.updateTable('channels').set(changes).where('id', '=', id).execute(),

    deleteChannel: (db: Database, id: string) => db.deleteFrom('channels').where('id', '=', id).execute(),

    nextSeq,

    /**
     * Writes a member's new message as the channel's next item: takes its seq, inserts it with its
     * `message.created` log row, and moves the author's read marker to it.
     */
    async appendMessage(db: Database, draft: Omit<MessageRow, 'seq'>): Promise<MessageRow> {
      if (dialect === 'postgres') {
        const taken = await appendInOneStatement.first(db, draft);
        if (!taken) throw new Error(`channel ${draft.channel_id} vanished while sending`);
        return { ...draft, seq: taken.last_seq };
      }
      const message = { ...draft, seq: await nextSeq(db, draft.channel_id, draft.created_at) };
      await insertMessage.run(db, message);
      await insertEvent.run(db, { channel_id: message.channel_id, seq: message.seq, type: 'message.created', message_id: message.id, payload: null, created_at: message.created_at });
      await moveReadMarker.run(db, { channelId: message.channel_id, userId: message.author_id!, seq: message.seq });
      return message;
    },

    /**
     * Locks the channel row without changing it, so that checks made next (a nonce already
     * used? closed meanwhile?) see every commit that came before; returns its closed state as of
     * the lock. SQLite transactions already hold the write lock.
     */
    lockChannel: (db: Database, channelId: string): Promise<{ closed_at: number | null } | undefined> => closedAt.first(db, { id: channelId }),

    listForMember: (db: Database, userId: string): Promise<ChannelWithMembership[]> =>
      db
        .selectFrom('channels')
        .innerJoin('channel_members', 'channel_members.channel_id', 'channels.id')
        .selectAll('channels')
        .select(['channel_members.last_read_seq', unreadCount(userId).as('unread_count')])
        .where('channel_members.user_id', '=', userId)
        .orderBy('channels.last_activity_at', 'desc')
        .orderBy('channels.id')
        .execute(),

    /** Public channels by name, most active first, whether or not the user is in them. */
    discoverPublic: (db: Database, userId: string, q: string | undefined) => {
      let query = db
        .selectFrom('channels')
        .leftJoin('channel_members', (join) =>
          join.onRef('channel_members.channel_id', '=', 'channels.id').on('channel_members.user_id', '=', userId),
        )
        .selectAll('channels')
        .select(['channel_members.user_id as member_id', 'channel_members.last_read_seq'])
        .where('channels.private', '=', 0)
        .where('channels.kind', 'in', ['channel', 'event', 'forum'] satisfies ChannelKind[]);
      if (q) query = query.where(containsIgnoringCase('channels.name', q));
      return query.orderBy('channels.last_activity_at', 'desc').orderBy('channels.id').limit(100).execute();
    },

    /** Open channels of `kind`, most recently active first, after (last_activity_at, id). */
    activeOfKind(db: Database, kind: ChannelKind, page: { after?: { at: number; id: string }; limit: number }): Promise<ChannelRow[]> {
      let query = db.selectFrom('channels').selectAll().where('kind', '=', kind).where('closed_at', 'is', null);
      const { after } = page;
      if (after) {
        query = query.where((eb) => eb.or([eb('last_activity_at', '<', after.at), eb.and([eb('last_activity_at', '=', after.at), eb('id', '>', after.id)])]));
      }
      return query.orderBy('last_activity_at', 'desc').orderBy('id').limit(page.limit).execute();
    },

    findChannels: (db: Database, ids: readonly string[]) =>
      ids.length === 0 ? Promise.resolve([]) : db.selectFrom('channels').selectAll().where('id', 'in', ids).execute(),

    memberIdsOf: (db: Database, channelIds: readonly string[]) =>
      channelIds.length === 0
        ? Promise.resolve([])
        : db.selectFrom('channel_members').select(['channel_id', 'user_id']).where('channel_id', 'in', channelIds).execute(),

    findMember: (db: Database, channelId: string, userId: string) => memberOf.first(db, { channelId, userId }),

    /** Adds a member; false when they already were one. */
    async addMember(db: Database, channelId: string, userId: string, now: number, lastReadSeq = 0): Promise<boolean> {
      const result = await db
        .insertInto('channel_members')
        .values({ channel_id: channelId, user_id: userId, joined_at: now, last_read_seq: lastReadSeq })
        .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async removeMember(db: Database, channelId: string, userId: string): Promise<boolean> {
      const result = await db.deleteFrom('channel_members').where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    listMembers: (db: Database, channelId: string) =>
      db.selectFrom('channel_members').selectAll().where('channel_id', '=', channelId).orderBy('joined_at').orderBy('user_id').execute(),

    /** Moves the read marker forward only, and never past the head of the log. */
    moveReadMarker: (db: Database, channelId: string, userId: string, seq: number) => moveReadMarker.run(db, { channelId, userId, seq }),

    unreadFor: (db: Database, channelId: string, userId: string) =>
      db
        .selectFrom('channels')
        .innerJoin('channel_members', 'channel_members.channel_id', 'channels.id')
        .select(['channel_members.last_read_seq', unreadCount(userId).as('unread_count')])
        .where('channels.id', '=', channelId)
        .where('channel_members.user_id', '=', userId)
        .executeTakeFirst(),

    insertMessage: (db: Database, message: MessageRow) => insertMessage.run(db, message),

    findMessage: (db: Database, id: string) =>
      db.selectFrom('messages').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),

    findByNonce: (db: Database, authorId: string, nonce: string) => messageByNonce.first(db, { authorId, nonce }),

    async editMessage(db: Database, message: MessageRow, body: string, now: number): Promise<void> {
      await db.insertInto('message_edits').values({ message_id: message.id, body: message.body, replaced_at: now }).execute();
      await db.updateTable('messages').set({ body, edited_at: now }).where('id', '=', message.id).execute();
    },

    /** A deleted message keeps its row (its nonce stays used) but loses its text, edits and reactions. */
    async deleteMessage(db: Database, id: string, now: number): Promise<void> {
      await db.deleteFrom('message_edits').where('message_id', '=', id).execute();
      await db.deleteFrom('pins').where('message_id', '=', id).execute();
      await db.deleteFrom('reactions').where('message_id', '=', id).execute();
      await db.updateTable('messages').set({ body: '', deleted_at: now }).where('id', '=', id).execute();
    },

    /**
     * The live items of a channel, newest `limit` before `before`, or oldest `limit` after `after`;
     * chronological. With a reader, without what people they blocked wrote.
     */
    async history(db: Database, channelId: string, cursor: { before?: number; after?: number; limit: number; readerId?: string }): Promise<HistoryPage> {
      const forward = cursor.after !== undefined && cursor.before === undefined;
      const rows = await (forward ? oldestFirst : newestFirst).all(db, {
        channelId,
        // Nobody is blocked by nobody: without a reader the filter keeps every row.
        readerId: cursor.readerId ?? '',
        before: cursor.before ?? Number.MAX_SAFE_INTEGER,
        after: cursor.after ?? 0,
        limit: cursor.limit + 1,
      });
      const more = rows.length > cursor.limit;
      const page = rows.slice(0, cursor.limit);
      return { items: forward ? page : page.reverse(), more };
    },

    /** One row per (message, emoji), in the order each emoji was first used; `me` is 1 when `userId` reacted. */
    reactionCounts: (db: Database, messageIds: readonly string[], userId: string | undefined): Promise<ReactionCount[]> =>
      messageIds.length === 0 ? Promise.resolve([]) : reactionCounts.all(db, { messageIds, userId: userId ?? '' }),

    async addReaction(db: Database, messageId: string, userId: string, emoji: string, now: number): Promise<boolean> {
      const result = await db
        .insertInto('reactions')
        .values({ message_id: messageId, user_id: userId, emoji, created_at: now })
        .onConflict((oc) => oc.columns(['message_id', 'user_id', 'emoji']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async removeReaction(db: Database, messageId: string, userId: string, emoji: string): Promise<boolean> {
      const result = await db
        .deleteFrom('reactions')
        .where('message_id', '=', messageId)
        .where('user_id', '=', userId)
        .where('emoji', '=', emoji)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    memberHeads: (db: Database, userId: string) =>
      db
        .selectFrom('channels')
        .innerJoin('channel_members', 'channel_members.channel_id', 'channels.id')
        .select(['channels.id', 'channels.last_seq'])
        .where('channel_members.user_id', '=', userId)
        .execute(),

    eventsAfter: (db: Database, channelId: string, afterSeq: number, limit: number) => eventsAfter.all(db, { channelId, afterSeq, limit }),

    findLiveMessages: async (db: Database, ids: readonly string[]) =>
      ids.length === 0 ? [] : (await messagesByIds.all(db, { ids })).filter((row) => row.deleted_at === null),

    insertEvent: (db: Database, event: ChannelEventRow) => insertEvent.run(db, event),

    /**
     * Live messages whose text contains `q` (any case), newest first, in one channel or in
     * every channel `readerId` may read: their own and the public ones.
     */
    search(db: Database, filter: { q: string; channelId?: string; channelSize?: number; readerId: string; before?: string; limit: number }): Promise<MessageRow[]> {
      const { q } = filter;
      // SQLite's trigram index is walked newest first (its rowid is the message's) and stops at the
      // limit; within one channel of modest size, reading the channel's own rows is cheaper than
      // walking every match of every channel.
      const indexed = dialect === 'sqlite' && [...q].length >= TRIGRAM_MIN && (filter.channelSize ?? Infinity) > CHANNEL_SCAN_MAX;
      let query = indexed
        ? db
            .selectFrom('message_search')
            .innerJoin('messages', (join) => join.on(sql<boolean>`messages.rowid = message_search.rowid`))
            .selectAll('messages')
            .where(sql<boolean>`message_search match ${ftsPhrase(q)}`)
        : db
            .selectFrom('messages')
            .selectAll('messages')
            .where(sql<boolean>`messages.body ${sql.raw(dialect === 'sqlite' ? 'like' : 'ilike')} ${likeFragment(q)} escape '\\'`);
      query = query.where('messages.kind', '=', 'message').where('messages.deleted_at', 'is', null).where(notBlockedBy(filter.readerId));
      const { channelId, before } = filter;
      if (channelId) {
        // The channel's own order: its (channel_id, seq) index is walked newest first and the scan
        // stops at the limit, where ordering by id would first sort every match of the channel.
        query = query.where('messages.channel_id', '=', channelId);
        if (before) query = query.where('messages.seq', '<', (eb) => eb.selectFrom('messages as cursor').select('cursor.seq').where('cursor.id', '=', before).where('cursor.channel_id', '=', channelId));
      } else {
        query = query.where((eb) =>
          eb.or([
            eb('messages.channel_id', 'in', eb.selectFrom('channel_members').select('channel_id').where('user_id', '=', filter.readerId)),
            eb('messages.channel_id', 'in', eb.selectFrom('channels').select('id').where('private', '=', 0)),
          ]),
        );
        if (before) query = query.where('messages.id', '<', before);
      }
      const newestFirst = indexed ? query.orderBy(sql`message_search.rowid`, 'desc') : query.orderBy(channelId ? 'messages.seq' : 'messages.id', 'desc');
      return newestFirst.limit(filter.limit).execute();
    },

    insertAliases: (db: Database, rows: Insertable<ConversationAliasesTable>[]) => db.insertInto('conversation_aliases').values(rows).execute(),

    /** Everyone who was ever in these conversation rooms, also those who left (their messages stay). */
    aliasesIn: (db: Database, channelIds: readonly string[]) => (channelIds.length === 0 ? Promise.resolve([]) : aliasesIn.all(db, { channelIds })),

    async memberCount(db: Database, channelId: string): Promise<number> {
      const row = await db.selectFrom('channel_members').select((eb) => eb.fn.countAll<number>().as('count')).where('channel_id', '=', channelId).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** The channels where a user's presence shows: theirs, except conversation rooms. */
    presenceChannelIds: async (db: Database, userId: string) =>
      (
        await db
          .selectFrom('channel_members')
          .innerJoin('channels', 'channels.id', 'channel_members.channel_id')
          .select('channels.id')
          .where('channel_members.user_id', '=', userId)
          .where('channels.kind', '!=', 'conversation')
          .execute()
      ).map((row) => row.id),

    /** Who shares a conversation room with the user now. */
    conversationPartners: async (db: Database, userId: string) =>
      (
        await db
          .selectFrom('channel_members as mine')
          .innerJoin('channels', 'channels.id', 'mine.channel_id')
          .innerJoin('channel_members as theirs', 'theirs.channel_id', 'mine.channel_id')
          .select('theirs.user_id')
          .where('mine.user_id', '=', userId)
          .where('channels.kind', '=', 'conversation')
          .where('theirs.user_id', '!=', userId)
          .execute()
      ).map((row) => row.user_id),

    /** Messages by id, deleted ones too (a reply's quote says its original is gone). */
    findMessages: (db: Database, ids: readonly string[]) => (ids.length === 0 ? Promise.resolve([]) : messagesByIds.all(db, { ids })),

    /** How many live replies each of these messages has. */
    async replyCounts(db: Database, messageIds: readonly string[]): Promise<Map<string, number>> {
      if (messageIds.length === 0) return new Map();
      const rows = await replyCounts.all(db, { messageIds });
      return new Map(rows.map((row) => [row.reply_to!, Number(row.count)]));
    },

    /** A message's live replies, oldest first, without what people `readerId` blocked wrote. */
    replies: (db: Database, messageId: string, readerId: string, page: { after?: number; limit: number }) => {
      let query = db.selectFrom('messages').selectAll().where('reply_to', '=', messageId).where('deleted_at', 'is', null).where(notBlockedBy(readerId));
      if (page.after !== undefined) query = query.where('seq', '>', page.after);
      return query.orderBy('seq').limit(page.limit).execute();
    },

    setMentions: (db: Database, messageId: string, mentions: string | null) => db.updateTable('messages').set({ mentions }).where('id', '=', messageId).execute(),

    /** Registered users by username, ignoring case, with whether each is in the channel. */
    usersNamed: (db: Database, usernames: readonly string[], channelId: string) =>
      usernames.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('users')
            .leftJoin('channel_members', (join) => join.onRef('channel_members.user_id', '=', 'users.id').on('channel_members.channel_id', '=', channelId))
            .select(['users.id', 'users.username_key', 'channel_members.user_id as member_id'])
            .where('users.username_key', 'in', usernames.map((name) => name.toLowerCase()))
            .where('users.role', '!=', 'guest')
            .execute(),

    findDirect: (db: Database, key: string) => db.selectFrom('channels').selectAll().where('direct_key', '=', key).executeTakeFirst(),

    /** Whether any of `userIds` blocked `userId` or was blocked by them. */
    async blockedBetween(db: Database, userId: string, userIds: readonly string[]): Promise<boolean> {
      if (userIds.length === 0) return false;
      const row = await db
        .selectFrom('user_blocks')
        .select('blocker_id')
        .where((eb) =>
          eb.or([
            eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', userIds)]),
            eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', userIds)]),
          ]),
        )
        .executeTakeFirst();
      return row !== undefined;
    },

    async block(db: Database, blockerId: string, blockedId: string, now: number): Promise<void> {
      await db
        .insertInto('user_blocks')
        .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
        .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
        .execute();
    },

    unblock: (db: Database, blockerId: string, blockedId: string) =>
      db.deleteFrom('user_blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).execute(),

    blockedBy: async (db: Database, blockerId: string) =>
      (await db.selectFrom('user_blocks').select('blocked_id').where('blocker_id', '=', blockerId).orderBy('created_at').orderBy('blocked_id').execute()).map(
        (row) => row.blocked_id,
      ),

    /** Pins a message; false when it already was. */
    async pin(db: Database, pin: { channel_id: string; message_id: string; pinned_by: string; pinned_at: number }): Promise<boolean> {
      const result = await db.insertInto('pins').values(pin).onConflict((oc) => oc.columns(['channel_id', 'message_id']).doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    findPin: (db: Database, channelId: string, messageId: string) =>
      db.selectFrom('pins').selectAll().where('channel_id', '=', channelId).where('message_id', '=', messageId).executeTakeFirst(),

    unpin: (db: Database, channelId: string, messageId: string) => db.deleteFrom('pins').where('channel_id', '=', channelId).where('message_id', '=', messageId).execute(),

    /** A channel's pinned live messages, the most recently pinned first. */
    pinsOf: (db: Database, channelId: string, readerId: string) =>
      db
        .selectFrom('pins')
        .innerJoin('messages', 'messages.id', 'pins.message_id')
        .selectAll('messages')
        .select(['pins.pinned_by', 'pins.pinned_at'])
        .where('pins.channel_id', '=', channelId)
        .where('messages.deleted_at', 'is', null)
        .where(notBlockedBy(readerId))
        .orderBy('pins.pinned_at', 'desc')
        .orderBy('messages.seq', 'desc')
        .execute(),
  };
}

export type ChannelsRepository = ReturnType<typeof channelsRepository>;
