import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HistoryItemView, MessageView, Reactions } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { clockTime, ErrorNote, problem } from '../shared/ui.js';

const PAGE = 100;

const bySeq = (a: HistoryItemView, b: HistoryItemView) => a.seq - b.seq;

function merge(items: HistoryItemView[], more: HistoryItemView[]): HistoryItemView[] {
  const seen = new Map(items.map((item) => [item.id, item]));
  for (const item of more) seen.set(item.id, item);
  return [...seen.values()].sort(bySeq);
}

/** A message being sent: shown at once, replaced by the stored message when the ack comes. */
interface Pending {
  nonce: string;
  body: string;
  failed?: boolean;
}

/**
 * One channel's live history and composer — a channel, a meetup's channel, an album's forum
 * room or a Talk-now conversation alike.
 */
export function ChannelRoom({ channelId, label, header }: { channelId: string; label: string; header?: ComponentChildren }) {
  const { client, me, live } = useSession();
  const [items, setItems] = useState<HistoryItemView[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [error, setError] = useState('');
  const current = useRef(channelId);
  current.current = channelId;

  const markRead = (seq: number) => {
    if (!live.read(channelId, seq)) client.markRead(channelId, seq).catch(() => undefined);
  };

  const loadLatest = async () => {
    try {
      const page = await client.history(channelId, { limit: PAGE });
      if (current.current !== channelId) return;
      setItems(page.items);
      setHasOlder(page.items.length === PAGE);
      const newest = page.items.at(-1)?.seq ?? 0;
      live.follow(channelId, newest);
      if (newest) markRead(newest);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  useEffect(() => {
    setItems([]);
    setPending([]);
    setError('');
    void loadLatest();
  }, [channelId]);

  useFrames((frame: Frame) => {
    if (frame.channel_id !== channelId) return;
    const data = frame.data as Record<string, unknown> | undefined;
    switch (frame.type) {
      case 'message.created': {
        const message = data as unknown as MessageView;
        setItems((list) => merge(list, [message]));
        if (message.nonce) setPending((list) => list.filter((item) => item.nonce !== message.nonce));
        markRead(message.seq);
        return;
      }
      case 'message.updated':
        setItems((list) => merge(list, [data as unknown as MessageView]));
        return;
      case 'message.deleted':
        setItems((list) => list.filter((item) => item.id !== data?.id));
        return;
      case 'reaction.updated': {
        const { message_id, reactions } = data as unknown as Reactions;
        // Frames carry no per-viewer `me`: keep what this viewer knew about their own reactions.
        setItems((list) =>
          list.map((item) => {
            if (item.id !== message_id || item.kind !== 'message') return item;
            const mine = new Set(item.reactions.filter((reaction) => reaction.me).map((reaction) => reaction.emoji));
            return { ...item, reactions: reactions.map((reaction) => ({ ...reaction, me: mine.has(reaction.emoji) })) };
          }),
        );
        return;
      }
      case 'resync_required':
        void loadLatest();
        return;
      default: {
        // Every change that shows in history carries its item: the frame's data or its `announcement`.
        const announcement = data?.kind === 'announcement' ? data : (frame as { announcement?: unknown }).announcement;
        if (announcement) setItems((list) => merge(list, [announcement as HistoryItemView]));
      }
    }
  });

  const loadOlder = async () => {
    const oldest = items[0];
    if (!oldest) return;
    try {
      const page = await client.history(channelId, { before: oldest.seq, limit: PAGE });
      setItems((list) => merge(list, page.items));
      setHasOlder(page.items.length === PAGE);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const send = async (body: string) => {
    const nonce = crypto.randomUUID();
    setPending((list) => [...list, { nonce, body }]);
    let message: MessageView;
    try {
      message = await live.send(channelId, body, nonce);
    } catch {
      // The socket is down or the ack is late: the same nonce over REST cannot post twice.
      try {
        message = await client.post(channelId, { body, nonce });
      } catch (caught) {
        setError(problem(caught));
        setPending((list) => list.map((item) => (item.nonce === nonce ? { ...item, failed: true } : item)));
        return;
      }
    }
    setPending((list) => list.filter((item) => item.nonce !== nonce));
    if (current.current === channelId) setItems((list) => merge(list, [message]));
  };

  const toggleReaction = async (message: MessageView, emoji: string) => {
    const mine = message.reactions.some((reaction) => reaction.emoji === emoji && reaction.me);
    try {
      const answer = mine ? await client.unreact(message.id, emoji) : await client.react(message.id, emoji);
      setItems((list) => list.map((item) => (item.id === answer.message_id && item.kind === 'message' ? { ...item, reactions: answer.reactions } : item)));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <section class="channel-view" aria-label={label}>
      {header}
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <ol class="history" aria-label="Messages" aria-live="polite">
        {hasOlder && (
          <li class="older">
            <button type="button" class="secondary" onClick={loadOlder}>
              Load older messages
            </button>
          </li>
        )}
        {items.map((item) =>
          item.kind === 'announcement' ? (
            <li key={item.id} class="announcement">
              {item.body}
            </li>
          ) : (
            <MessageRow key={item.id} message={item} mine={item.creator?.id === me.id} onReact={toggleReaction} />
          ),
        )}
        {pending.map((item) => (
          <li key={item.nonce} class={item.failed ? 'message pending failed' : 'message pending'}>
            <div class="meta">
              <span class="author">{me.username}</span>
              <span class="when">{item.failed ? 'not sent' : 'sending…'}</span>
            </div>
            <p class="body">{item.body}</p>
          </li>
        ))}
      </ol>
      <Composer label={label} onSend={send} />
    </section>
  );
}

function MessageRow({ message, mine, onReact }: { message: MessageView; mine: boolean; onReact: (message: MessageView, emoji: string) => void }) {
  const author = message.creator && 'username' in message.creator ? message.creator.username : (message.creator?.alias ?? 'someone');
  return (
    <li class={mine ? 'message mine' : 'message'} data-seq={message.seq}>
      <div class="meta">
        <span class="author">{author}</span>
        <time class="when" dateTime={message.created_at}>
          {clockTime(message.created_at)}
        </time>
        {message.edited_at && <span class="edited">(edited)</span>}
      </div>
      <p class="body">{message.body}</p>
      <div class="reactions">
        {message.reactions.map((reaction) => (
          <button
            type="button"
            key={reaction.emoji}
            class={reaction.me ? 'reaction me' : 'reaction'}
            aria-pressed={Boolean(reaction.me)}
            aria-label={`${reaction.emoji} ${reaction.count}`}
            onClick={() => onReact(message, reaction.emoji)}
          >
            {reaction.emoji} {reaction.count}
          </button>
        ))}
        {!message.reactions.some((reaction) => reaction.emoji === '👍') && (
          <button type="button" class="reaction add" aria-label="Like" onClick={() => onReact(message, '👍')}>
            👍
          </button>
        )}
      </div>
    </li>
  );
}

function Composer({ label, onSend }: { label: string; onSend: (body: string) => void }) {
  const [body, setBody] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    onSend(text);
    setBody('');
  };
  return (
    <form class="composer" onSubmit={submit}>
      <label class="visually-hidden" for="composer-body">
        Message {label}
      </label>
      <textarea
        id="composer-body"
        rows={1}
        placeholder={`Message ${label}`}
        value={body}
        maxLength={4000}
        onInput={(event) => setBody(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) submit(event);
        }}
      />
      <button type="submit">Send</button>
    </form>
  );
}
