import { iso } from '../../platform/clock.js';
import type { ChannelRow, MessageRow } from '../../platform/storage/tables.js';
import type { PublicProfile } from '../accounts/index.js';
import type { ReactionCount } from './repository.js';
import { QUOTE_MAX, type AliasView, type AnnouncementView, type ChannelView, type CreatorView, type HistoryItemView, type MessageView, type QuoteView } from './schema.js';

/** The aliases of conversation rooms, by channel and then by user: where a channel is here, nobody shows by profile. */
export type RoomAliases = Map<string, Map<string, AliasView>>;

/** A channel as everyone sees it; per-viewer fields (`last_read_seq`, `unread_count`, `is_member`) are added by the caller. */
export function presentChannel(row: ChannelRow): ChannelView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    description: row.description,
    private: row.private === 1,
    creator_id: row.creator_id,
    created_at: iso(row.created_at),
    last_seq: row.last_seq,
    ...(row.closed_at !== null ? { closed_at: iso(row.closed_at) } : {}),
  };
}

const presentCreator = (profile: PublicProfile | undefined, id: string): CreatorView =>
  profile
    ? { id: profile.id, username: profile.username, first_name: profile.first_name, last_name: profile.last_name, photo_url: profile.photo_url }
    : { id, username: null, first_name: '', last_name: '', photo_url: null };

/** Groups reaction counts by message. With a viewer, each carries `me`; frames (for everyone) do not. */
export function groupReactions(counts: ReactionCount[], withMe: boolean): Map<string, MessageView['reactions']> {
  const byMessage = new Map<string, MessageView['reactions']>();
  for (const { message_id, emoji, count, me } of counts) {
    const list = byMessage.get(message_id) ?? [];
    list.push(withMe ? { emoji, count: Number(count), me: Number(me) === 1 } : { emoji, count: Number(count) });
    byMessage.set(message_id, list);
  }
  return byMessage;
}

/** What a history item shows of its neighbours: the messages it replies to and how many replies each has. */
export interface Threads {
  parents: Map<string, MessageRow>;
  replyCounts: Map<string, number>;
}

const noThreads: Threads = { parents: new Map(), replyCounts: new Map() };

const authorOf = (row: MessageRow, profiles: Map<string, PublicProfile>, room: Map<string, AliasView> | undefined): MessageView['creator'] =>
  !row.author_id ? null : room ? (room.get(row.author_id) ?? { id: '', alias: 'Someone' }) : presentCreator(profiles.get(row.author_id), row.author_id);

/** The original as it is now: an edit shows, a deletion empties it. */
function quoteOf(parent: MessageRow, profiles: Map<string, PublicProfile>, room: Map<string, AliasView> | undefined): QuoteView {
  const deleted = parent.deleted_at !== null;
  const text = [...parent.body];
  return {
    id: parent.id,
    creator: authorOf(parent, profiles, room),
    body: deleted ? '' : text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1).join('')}…` : parent.body,
    deleted,
  };
}

export function presentItem(
  row: MessageRow,
  profiles: Map<string, PublicProfile>,
  reactions: Map<string, MessageView['reactions']>,
  aliases: RoomAliases = new Map(),
  threads: Threads = noThreads,
): HistoryItemView {
  const room = aliases.get(row.channel_id);
  if (row.kind === 'announcement') {
    const announcement: AnnouncementView = {
      id: row.id,
      kind: 'announcement',
      channel_id: row.channel_id,
      seq: row.seq,
      body: row.body,
      creator: null,
      announcement: JSON.parse(row.announcement ?? '{"type":"announcement"}') as AnnouncementView['announcement'],
      created_at: iso(row.created_at),
    };
    return announcement;
  }
  return {
    id: row.id,
    kind: 'message',
    channel_id: row.channel_id,
    seq: row.seq,
    body: row.body,
    creator: authorOf(row, profiles, room),
    created_at: iso(row.created_at),
    edited_at: row.edited_at === null ? null : iso(row.edited_at),
    nonce: row.nonce,
    reactions: reactions.get(row.id) ?? [],
    reply_to: row.reply_to,
    quote: row.reply_to && threads.parents.has(row.reply_to) ? quoteOf(threads.parents.get(row.reply_to)!, profiles, room) : null,
    reply_count: threads.replyCounts.get(row.id) ?? 0,
    ...parsedMentions(row.mentions),
  };
}

/** How a message's mentions are stored: who was named, and whether `@channel` notified everyone. */
export interface StoredMentions {
  user_ids: string[];
  channel?: true;
}

function parsedMentions(stored: string | null): Pick<MessageView, 'mentions' | 'mentions_channel'> {
  const { user_ids, channel } = stored ? (JSON.parse(stored) as StoredMentions) : { user_ids: [], channel: undefined };
  return { mentions: user_ids, ...(channel ? { mentions_channel: true } : {}) };
}
