import { useEffect, useRef, useState } from 'preact/hooks';
import type { MessageView } from '../../../src/client/index.js';

type QuoteView = NonNullable<MessageView['quote']>;
import { clockTime } from '../shared/ui.js';

/** The reactions offered by the picker: a musician's few. */
const PICKS: { emoji: string; name: string }[] = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '🔥', name: 'fire' },
  { emoji: '👏', name: 'applause' },
  { emoji: '🎸', name: 'guitar' },
  { emoji: '🥁', name: 'drum' },
  { emoji: '🎹', name: 'keys' },
  { emoji: '🎷', name: 'saxophone' },
  { emoji: '🎶', name: 'notes' },
  { emoji: '🤘', name: 'rock on' },
  { emoji: '😂', name: 'laughing' },
];

export const authorOf = (message: Pick<MessageView, 'creator'>) => (message.creator && 'username' in message.creator ? (message.creator.username ?? 'someone') : (message.creator?.alias ?? 'someone'));

/** Whether a message names this reader: by their username or with `@channel`. */
export const mentionsMe = (message: MessageView, myId: string) => message.mentions.includes(myId) || Boolean(message.mentions_channel);

/** The body as text, with its `@names` marked: mine (and `@channel`) stand out. */
export function MessageBody({ body, myName }: { body: string; myName: string | null | undefined }) {
  const parts = body.split(/(@[A-Za-z0-9_.-]+)/);
  return (
    <p class="body">
      {parts.map((part, index) => {
        if (index % 2 === 0) return part;
        const name = part.slice(1).replace(/[.-]+$/, '');
        const mine = name === 'channel' || (myName !== undefined && myName !== null && name.toLowerCase() === myName.toLowerCase());
        return (
          <span key={index} class={mine ? 'mention me' : 'mention'}>
            {part}
          </span>
        );
      })}
    </p>
  );
}

/** The message a reply answers, as it is now. */
export function Quote({ quote }: { quote: QuoteView }) {
  return (
    <blockquote class="quote">
      {quote.deleted ? (
        <span class="muted">Original message deleted</span>
      ) : (
        <>
          <span class="author">{authorOf(quote)}</span> {quote.body}
        </>
      )}
    </blockquote>
  );
}

interface MessageRowProps {
  message: MessageView;
  mine: boolean;
  /** My username here, to mark my `@name` (absent in a Talk-now room). */
  myName?: string | null;
  /** Whether the message names me. */
  forMe?: boolean;
  pinned?: boolean;
  onReply?: (message: MessageView) => void;
  onOpenThread?: (message: MessageView) => void;
  onPin?: (message: MessageView, pinned: boolean) => void;
  onReact: (message: MessageView, emoji: string) => void;
  /** Resolves true when the edit was saved. */
  onEdit: (message: MessageView, body: string) => Promise<boolean>;
  onDelete: (message: MessageView) => void;
}

export function MessageRow({ message, mine, myName, forMe, pinned, onReply, onOpenThread, onPin, onReact, onEdit, onDelete }: MessageRowProps) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [picking, setPicking] = useState(false);
  const author = authorOf(message);
  const actions = useRef<HTMLDivElement>(null);

  const focusAction = (name: string) => setTimeout(() => actions.current?.querySelector<HTMLButtonElement>(`[data-action="${name}"]`)?.focus());

  return (
    <li class={['message', mine && 'mine', forMe && 'for-me'].filter(Boolean).join(' ')} data-seq={message.seq}>
      {message.quote && <Quote quote={message.quote} />}
      <div class="meta">
        <span class="author">{author}</span>
        <time class="when" dateTime={message.created_at}>
          {clockTime(message.created_at)}
        </time>
        {message.edited_at && <span class="edited">(edited)</span>}
        {pinned && <span class="pinned">📌 Pinned</span>}
      </div>
      {editing ? (
        <EditBox
          message={message}
          onDone={async (body) => {
            if (body !== undefined && body !== message.body && !(await onEdit(message, body))) return;
            setEditing(false);
            focusAction('edit');
          }}
        />
      ) : (
        <MessageBody body={message.body} myName={myName} />
      )}
      {confirming && (
        <div class="confirm" role="group" aria-label="Delete this message?">
          <span>Delete this message?</span>
          <ConfirmButton onClick={() => onDelete(message)} />
          <button
            type="button"
            class="link"
            onClick={() => {
              setConfirming(false);
              focusAction('delete');
            }}
          >
            Cancel
          </button>
        </div>
      )}
      <div class="reactions" ref={actions}>
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
        <span class="picker-anchor">
          <button type="button" class="reaction add" data-action="react" aria-label="Add reaction" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            <span aria-hidden="true">☺︎+</span>
          </button>
          {picking && (
            <EmojiPicker
              onPick={(emoji) => {
                setPicking(false);
                if (emoji) onReact(message, emoji);
                focusAction('react');
              }}
            />
          )}
        </span>
        {onReply && (
          <button type="button" class="link" data-action="reply" onClick={() => onReply(message)}>
            Reply
          </button>
        )}
        {onPin && (
          <button type="button" class="link" onClick={() => onPin(message, !pinned)}>
            {pinned ? 'Unpin' : 'Pin'}
          </button>
        )}
        {message.reply_count > 0 && onOpenThread && (
          <button type="button" class="link thread-link" onClick={() => onOpenThread(message)}>
            {message.reply_count === 1 ? '1 reply' : `${message.reply_count} replies`}
          </button>
        )}
        {mine && !editing && (
          <span class="own-actions">
            <button type="button" class="link" data-action="edit" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" class="link" data-action="delete" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </span>
        )}
      </div>
    </li>
  );
}

function ConfirmButton({ onClick }: { onClick: () => void }) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <button type="button" class="danger small" ref={button} onClick={onClick}>
      Delete
    </button>
  );
}

/** Inline edit: Enter saves, Shift+Enter breaks the line, Escape cancels. */
function EditBox({ message, onDone }: { message: MessageView; onDone: (body?: string) => void }) {
  const [body, setBody] = useState(message.body);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    element.focus();
    element.setSelectionRange(element.value.length, element.value.length);
  }, []);
  const save = () => {
    const text = body.trim();
    if (text) onDone(text);
  };
  return (
    <form
      class="edit"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <label class="visually-hidden" for={`edit-${message.id}`}>
        Edit message
      </label>
      <textarea
        id={`edit-${message.id}`}
        ref={box}
        rows={2}
        value={body}
        maxLength={4000}
        onInput={(event) => setBody(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) {
            event.preventDefault();
            save();
          } else if (event.key === 'Escape') {
            event.preventDefault();
            onDone();
          }
        }}
      />
      <p class="hint">
        Enter to save · Escape to cancel{' '}
        <button type="submit" class="link">
          Save
        </button>
        <button type="button" class="link" onClick={() => onDone()}>
          Cancel
        </button>
      </p>
    </form>
  );
}

/** A few emoji to react with; Escape closes it. */
function EmojiPicker({ onPick }: { onPick: (emoji?: string) => void }) {
  const group = useRef<HTMLDivElement>(null);
  useEffect(() => group.current?.querySelector('button')?.focus(), []);
  return (
    <div
      class="emoji-picker"
      role="group"
      aria-label="Pick a reaction"
      ref={group}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onPick();
      }}
    >
      {PICKS.map((pick) => (
        <button type="button" key={pick.emoji} aria-label={`React with ${pick.name}`} title={pick.name} onClick={() => onPick(pick.emoji)}>
          {pick.emoji}
        </button>
      ))}
    </div>
  );
}
