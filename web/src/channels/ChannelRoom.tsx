import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { HistoryItemView, MessageView, PinView, Reactions } from '../../../src/client/index.js';
import { useFrames, useLinkState, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { ErrorNote, problem } from '../shared/ui.js';
import { Composer } from './Composer.js';
import { authorOf, MessageRow, mentionsMe } from './MessageRow.js';
import { PinsPanel } from './PinsPanel.js';
import { Thread } from './Thread.js';

const PAGE = 100;
/** How often this browser tells the channel "I am typing" while the person types. */
const TYPING_EVERY_MS = 3_000;
/** How long someone shows as typing after their last signal. */
const TYPING_SHOWS_MS = 5_000;
/** Within this many pixels of the end, the list counts as "at the bottom" and follows new messages. */
const BOTTOM_SLACK_PX = 48;

const bySeq = (a: HistoryItemView, b: HistoryItemView) => a.seq - b.seq;

function merge(items: HistoryItemView[], more: HistoryItemView[]): HistoryItemView[] {
  const seen = new Map(items.map((item) => [item.id, item]));
  for (const item of more) seen.set(item.id, item);
  return [...seen.values()].sort(bySeq);
}

/** Adds a message that just arrived; a new reply also counts on its original, which no frame updates. */
function arrive(items: HistoryItemView[], message: MessageView): HistoryItemView[] {
  const isNew = !items.some((item) => item.id === message.id);
  const merged = merge(items, [message]);
  if (!isNew || !message.reply_to) return merged;
  return merged.map((item) => (item.id === message.reply_to && item.kind === 'message' ? { ...item, reply_count: item.reply_count + 1 } : item));
}

/** A message being sent: shown at once, replaced by the stored message when the ack comes. */
interface Pending {
  nonce: string;
  body: string;
  replyTo?: MessageView;
  failed?: boolean;
}

/** Who is typing, by user id: their name and when the signal runs out. */
type Typists = Map<string, { name: string; until: number }>;

function typingSentence(typists: Typists): string {
  const names = [...typists.values()].map((typist) => typist.name);
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/**
 * One channel's live history and composer — a channel, a meetup's channel, an album's forum
 * room or a Talk-now conversation alike. `lastReadSeq`, when given, puts a "New messages"
 * divider before the first message from someone else after it. Where I am someone else than my
 * account (a Talk-now room, where I am an alias), `myAuthorId` and `myName` say who I am there.
 */
export function ChannelRoom({
  channelId,
  label,
  header,
  lastReadSeq,
  myAuthorId,
  myName,
}: {
  channelId: string;
  label: string;
  header?: ComponentChildren;
  lastReadSeq?: number;
  myAuthorId?: string;
  myName?: string;
}) {
  const { client, me, live } = useSession();
  const myId = myAuthorId ?? me.id;
  const shownName = myName ?? me.username ?? 'me';
  const [replyingTo, setReplyingTo] = useState<MessageView | undefined>();
  const [thread, setThread] = useState<MessageView | undefined>();
  const [pins, setPins] = useState<PinView[]>([]);
  const [showPins, setShowPins] = useState(false);
  const link = useLinkState();
  const [items, setItems] = useState<HistoryItemView[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [hasOlder, setHasOlder] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [typists, setTypists] = useState<Typists>(new Map());
  /** The first message that was unread when the channel opened: the divider goes before it. */
  const [firstUnreadId, setFirstUnreadId] = useState<string | undefined>();
  const readUpTo = useRef<number | undefined>(undefined);
  const [error, setError] = useState('');
  const current = useRef(channelId);
  current.current = channelId;
  const list = useRef<HTMLOListElement>(null);
  const topSentinel = useRef<HTMLLIElement>(null);
  const divider = useRef<HTMLLIElement>(null);
  const atBottom = useRef(true);
  /** Set while older history is prepended: the distance from the end to keep. */
  const keepFromEnd = useRef<number | undefined>(undefined);
  const scrollOnLoad = useRef(true);
  const typingSentAt = useRef(0);

  /** A read made while the socket was still connecting: it goes over the socket once that is live. */
  const readWhenLive = useRef<{ channelId: string; seq: number } | undefined>(undefined);
  const markRead = (seq: number) => {
    if (live.read(channelId, seq)) return;
    // Only a dropped link falls back to REST. A page that has just opened reads a public
    // channel it may not be in before its socket is up; the socket's answer to that is quiet.
    if (live.state === 'connecting') readWhenLive.current = { channelId, seq: Math.max(seq, readWhenLive.current?.channelId === channelId ? readWhenLive.current.seq : 0) };
    else client.markRead(channelId, seq).catch(() => undefined);
  };
  useEffect(() => {
    const waiting = readWhenLive.current;
    if (link !== 'live' || !waiting) return;
    live.read(waiting.channelId, waiting.seq);
    readWhenLive.current = undefined;
  }, [link]);

  const loadLatest = async () => {
    try {
      const page = await client.history(channelId, { limit: PAGE });
      if (current.current !== channelId) return;
      setItems(page.items);
      const after = readUpTo.current;
      readUpTo.current = undefined;
      if (after !== undefined) setFirstUnreadId(page.items.find((item) => item.kind === 'message' && item.seq > after && item.creator?.id !== myId)?.id);
      setHasOlder(page.items.length === PAGE);
      setLoaded(true);
      const newest = page.items.at(-1)?.seq ?? 0;
      live.follow(channelId, newest);
      if (newest) markRead(newest);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const loadPins = () =>
    client.pins(channelId).then(
      (list) => current.current === channelId && setPins(list),
      () => setPins([]),
    );

  useEffect(() => {
    setItems([]);
    setLoaded(false);
    setPending([]);
    setReplyingTo(undefined);
    setThread(undefined);
    setShowPins(false);
    setPins([]);
    void loadPins();
    setTypists(new Map());
    setFirstUnreadId(undefined);
    readUpTo.current = lastReadSeq;
    setError('');
    scrollOnLoad.current = true;
    atBottom.current = true;
    void loadLatest();
  }, [channelId]);

  // Keeps the view where the reader expects it: at the divider or the end when the channel opens,
  // in place when older history is prepended, and following new messages when already at the end.
  useLayoutEffect(() => {
    const element = list.current;
    if (!element || !loaded) return;
    if (keepFromEnd.current !== undefined) {
      element.scrollTop = element.scrollHeight - keepFromEnd.current;
      keepFromEnd.current = undefined;
    } else if (scrollOnLoad.current) {
      scrollOnLoad.current = false;
      if (divider.current) divider.current.scrollIntoView({ block: 'start' });
      else element.scrollTop = element.scrollHeight;
    } else if (atBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [items, pending, loaded]);

  const onScroll = () => {
    const element = list.current;
    if (element) atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK_PX;
  };

  const loadOlder = async () => {
    const oldest = items[0];
    if (!oldest || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const page = await client.history(channelId, { before: oldest.seq, limit: PAGE });
      if (current.current !== channelId) return;
      const element = list.current;
      if (element) keepFromEnd.current = element.scrollHeight - element.scrollTop;
      setItems((known) => merge(known, page.items));
      setHasOlder(page.items.length === PAGE);
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setLoadingOlder(false);
    }
  };
  const loadOlderNow = useRef(loadOlder);
  loadOlderNow.current = loadOlder;

  // Reaching the top loads the page before it (the button stays for keyboards and old browsers).
  const oldestId = items[0]?.id;
  useEffect(() => {
    const sentinel = topSentinel.current;
    if (!sentinel || !hasOlder || loadingOlder || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void loadOlderNow.current();
    }, { root: list.current });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasOlder, loadingOlder, oldestId, loaded]);

  // Typing signals run out by themselves.
  useEffect(() => {
    if (typists.size === 0) return;
    const soonest = Math.min(...[...typists.values()].map((typist) => typist.until));
    const timer = setTimeout(() => {
      const now = Date.now();
      setTypists((known) => new Map([...known].filter(([, typist]) => typist.until > now)));
    }, Math.max(0, soonest - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [typists]);

  const stopTyping = (userId: string | undefined) => {
    if (userId) setTypists((known) => (known.has(userId) ? new Map([...known].filter(([id]) => id !== userId)) : known));
  };

  useFrames((frame: Frame) => {
    if (frame.channel_id !== channelId) return;
    const data = frame.data as Record<string, unknown> | undefined;
    switch (frame.type) {
      case 'message.created': {
        const message = data as unknown as MessageView;
        setItems((known) => arrive(known, message));
        if (message.nonce) setPending((known) => known.filter((item) => item.nonce !== message.nonce));
        stopTyping(message.creator?.id);
        markRead(message.seq);
        return;
      }
      case 'message.updated':
        setItems((known) => known.map((item) => (item.id === (data as unknown as MessageView).id ? keepMine(item, data as unknown as MessageView) : item)));
        return;
      case 'message.deleted':
        setItems((known) => known.filter((item) => item.id !== data?.id));
        return;
      case 'reaction.updated': {
        const { message_id, reactions } = data as unknown as Reactions;
        // Frames carry no per-viewer `me`: keep what this viewer knew about their own reactions.
        setItems((known) =>
          known.map((item) => {
            if (item.id !== message_id || item.kind !== 'message') return item;
            const mine = new Set(item.reactions.filter((reaction) => reaction.me).map((reaction) => reaction.emoji));
            return { ...item, reactions: reactions.map((reaction) => ({ ...reaction, me: mine.has(reaction.emoji) })) };
          }),
        );
        return;
      }
      case 'typing': {
        const typist = data as { user_id: string; username?: string | null; alias?: string };
        if (typist.user_id === myId) return;
        const name = typist.username ?? typist.alias ?? 'Someone';
        setTypists((known) => new Map(known).set(typist.user_id, { name, until: Date.now() + TYPING_SHOWS_MS }));
        return;
      }
      case 'pin.updated':
        void loadPins();
        return;
      case 'resync_required':
        void loadLatest();
        return;
      default: {
        // Every change that shows in history carries its item: the frame's data or its `announcement`.
        const announcement = data?.kind === 'announcement' ? data : (frame as { announcement?: unknown }).announcement;
        if (announcement) setItems((known) => merge(known, [announcement as HistoryItemView]));
      }
    }
  });

  /**
   * Sends over the socket, or over REST when the socket is down (a reply always goes over REST:
   * the socket's `send` has no `reply_to`); the nonce makes a repeat harmless.
   */
  const deliver = async (nonce: string, body: string, replyTo?: MessageView) => {
    let message: MessageView;
    try {
      if (replyTo) throw new Error('replies go over REST');
      message = await live.send(channelId, body, nonce);
    } catch {
      try {
        message = await client.post(channelId, { body, nonce, ...(replyTo ? { reply_to: replyTo.id } : {}) });
      } catch (caught) {
        // Only a refusal is worth saying; a dropped link retries by itself when it is back.
        if (!(caught instanceof TypeError)) setError(problem(caught));
        setPending((known) => known.map((item) => (item.nonce === nonce ? { ...item, failed: true } : item)));
        return;
      }
    }
    setPending((known) => known.filter((item) => item.nonce !== nonce));
    if (current.current === channelId) setItems((known) => arrive(known, message));
  };

  const send = (body: string) => {
    const nonce = crypto.randomUUID();
    const replyTo = replyingTo;
    atBottom.current = true;
    typingSentAt.current = 0;
    setReplyingTo(undefined);
    setPending((known) => [...known, { nonce, body, ...(replyTo ? { replyTo } : {}) }]);
    void deliver(nonce, body, replyTo);
  };

  const retry = (item: Pending) => {
    setPending((known) => known.map((other) => (other.nonce === item.nonce ? { ...other, failed: false } : other)));
    void deliver(item.nonce, item.body, item.replyTo);
  };

  const pin = async (message: MessageView, pinned: boolean) => {
    try {
      await (pinned ? client.pin(channelId, message.id) : client.unpin(channelId, message.id));
      await loadPins();
    } catch (caught) {
      setError(problem(caught));
    }
  };
  const pinnedIds = new Set(pins.map((pinned) => pinned.message.id));

  const openThread = (message: MessageView) => {
    setShowPins(false);
    setThread(message);
  };

  // Sends that failed while the link was down go again, with their nonces, once it is back.
  useEffect(() => {
    if (link === 'live') for (const item of pending) if (item.failed) retry(item);
  }, [link]);

  const typing = () => {
    const now = Date.now();
    if (now - typingSentAt.current < TYPING_EVERY_MS) return;
    typingSentAt.current = now;
    live.typing(channelId);
  };

  const toggleReaction = async (message: MessageView, emoji: string) => {
    const mine = message.reactions.some((reaction) => reaction.emoji === emoji && reaction.me);
    try {
      const answer = mine ? await client.unreact(message.id, emoji) : await client.react(message.id, emoji);
      setItems((known) => known.map((item) => (item.id === answer.message_id && item.kind === 'message' ? { ...item, reactions: answer.reactions } : item)));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const edit = async (message: MessageView, body: string): Promise<boolean> => {
    try {
      const edited = await client.editMessage(message.id, body);
      setItems((known) => known.map((item) => (item.id === edited.id ? keepMine(item, edited) : item)));
      return true;
    } catch (caught) {
      setError(problem(caught));
      return false;
    }
  };

  const remove = async (message: MessageView) => {
    try {
      await client.deleteMessage(message.id);
      setItems((known) => known.filter((item) => item.id !== message.id));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const typingNow = typingSentence(typists);

  return (
    <section class="channel-view" aria-label={label}>
      {header}
      <div class="room-tools">
        <button
          type="button"
          class="link"
          aria-expanded={showPins}
          aria-controls="pins-panel"
          onClick={() => {
            setThread(undefined);
            setShowPins(!showPins);
          }}
        >
          📌 Pins{pins.length > 0 ? ` (${pins.length})` : ''}
        </button>
      </div>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <div class="room-body">
        {/* Focusable, so the keyboard can scroll it even when it holds nothing else to focus. */}
        <ol class="history" aria-label="Messages" aria-live="polite" tabIndex={0} ref={list} onScroll={onScroll}>
          {hasOlder && (
            <li class="older" ref={topSentinel}>
              <button type="button" class="secondary" onClick={loadOlder} disabled={loadingOlder}>
                {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
              </button>
            </li>
          )}
          {loaded && !hasOlder && <li class="announcement">This is the start of {label}.</li>}
          {items.map((item) => [
            item.id === firstUnreadId && (
              <li key="divider" class="divider" ref={divider}>
                <span>New messages</span>
              </li>
            ),
            item.kind === 'announcement' ? (
              <li key={item.id} class="announcement">
                {item.body}
              </li>
            ) : (
              <MessageRow
                key={item.id}
                message={item}
                mine={item.creator?.id === myId}
                myName={myAuthorId ? undefined : me.username}
                forMe={item.creator?.id !== myId && mentionsMe(item, myId)}
                pinned={pinnedIds.has(item.id)}
                onReply={setReplyingTo}
                onOpenThread={openThread}
                onPin={pin}
                onReact={toggleReaction}
                onEdit={edit}
                onDelete={remove}
              />
            ),
          ])}
          {pending.map((item) => (
            <li key={item.nonce} class={item.failed ? 'message pending failed' : 'message pending'}>
              <div class="meta">
                <span class="author">{shownName}</span>
                <span class="when">{item.failed ? 'Not sent — will retry when the connection is back' : 'sending…'}</span>
              </div>
              <p class="body">{item.body}</p>
              {item.failed && (
                <button type="button" class="secondary small" onClick={() => retry(item)}>
                  Retry
                </button>
              )}
            </li>
          ))}
        </ol>
        {thread && <Thread key={thread.id} root={thread} channelId={channelId} myId={myId} myName={myAuthorId ? undefined : me.username} onClose={() => setThread(undefined)} />}
        {showPins && <PinsPanel pins={pins} onUnpin={(message) => void pin(message, false)} onClose={() => setShowPins(false)} />}
      </div>
      <p class="typing" aria-live="polite">
        {typingNow}
      </p>
      <Composer
        id="composer-body"
        label={label}
        onSend={send}
        onTyping={typing}
        replyingTo={replyingTo && { author: authorOf(replyingTo), body: replyingTo.body }}
        onCancelReply={() => setReplyingTo(undefined)}
      />
    </section>
  );
}

/** A frame or an edit answer replaces a message but cannot know this viewer's own reactions. */
function keepMine(known: HistoryItemView, next: MessageView): HistoryItemView {
  if (known.kind !== 'message') return next;
  const mine = new Set(known.reactions.filter((reaction) => reaction.me).map((reaction) => reaction.emoji));
  return { ...next, reactions: next.reactions.map((reaction) => ({ ...reaction, me: reaction.me ?? mine.has(reaction.emoji) })) };
}
