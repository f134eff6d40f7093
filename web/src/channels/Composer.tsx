import { useEffect, useRef, useState } from 'preact/hooks';

/** The message box of a channel or a thread: Enter sends, Shift+Enter breaks the line. */
export function Composer({
  id,
  label,
  onSend,
  onTyping,
  replyingTo,
  onCancelReply,
}: {
  id: string;
  label: string;
  onSend: (body: string) => void;
  onTyping?: () => void;
  /** The message being answered, shown above the box until it is sent or cancelled. */
  replyingTo?: { author: string; body: string } | undefined;
  onCancelReply?: () => void;
}) {
  const [body, setBody] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (replyingTo) box.current?.focus();
  }, [replyingTo?.body, replyingTo?.author]);
  const submit = (event: Event) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    onSend(text);
    setBody('');
  };
  return (
    <form class="composer" onSubmit={submit}>
      {replyingTo && (
        <div class="replying" role="group" aria-label="Replying to">
          <blockquote class="quote">
            <span class="author">{replyingTo.author}</span> {replyingTo.body}
          </blockquote>
          <button type="button" class="link" aria-label="Cancel reply" onClick={onCancelReply}>
            ✕
          </button>
        </div>
      )}
      <label class="visually-hidden" for={id}>
        Message {label}
      </label>
      <textarea
        id={id}
        ref={box}
        rows={1}
        placeholder={`Message ${label}`}
        value={body}
        maxLength={4000}
        onInput={(event) => {
          setBody(event.currentTarget.value);
          if (event.currentTarget.value.trim()) onTyping?.();
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) submit(event);
          else if (event.key === 'Escape' && replyingTo) onCancelReply?.();
        }}
      />
      <button type="submit">Send</button>
    </form>
  );
}
