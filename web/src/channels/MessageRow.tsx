import { useEffect, useRef, useState } from 'preact/hooks';
import type { MessageView } from '../../../src/client/index.js';
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

export const authorOf = (message: MessageView) => (message.creator && 'username' in message.creator ? message.creator.username : (message.creator?.alias ?? 'someone'));

interface MessageRowProps {
  message: MessageView;
  mine: boolean;
  onReact: (message: MessageView, emoji: string) => void;
  /** Resolves true when the edit was saved. */
  onEdit: (message: MessageView, body: string) => Promise<boolean>;
  onDelete: (message: MessageView) => void;
}

export function MessageRow({ message, mine, onReact, onEdit, onDelete }: MessageRowProps) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [picking, setPicking] = useState(false);
  const author = authorOf(message);
  const actions = useRef<HTMLDivElement>(null);

  const focusAction = (name: string) => setTimeout(() => actions.current?.querySelector<HTMLButtonElement>(`[data-action="${name}"]`)?.focus());

  return (
    <li class={mine ? 'message mine' : 'message'} data-seq={message.seq}>
      <div class="meta">
        <span class="author">{author}</span>
        <time class="when" dateTime={message.created_at}>
          {clockTime(message.created_at)}
        </time>
        {message.edited_at && <span class="edited">(edited)</span>}
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
        <p class="body">{message.body}</p>
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
