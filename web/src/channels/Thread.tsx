import { useEffect, useState } from 'preact/hooks';
import type { MessageView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { clockTime, ErrorNote, problem } from '../shared/ui.js';
import { Composer } from './Composer.js';
import { authorOf, MessageBody } from './MessageRow.js';

/** The replies under one message, oldest first, with a box that answers it. */
export function Thread({ root, channelId, myId, myName, onClose }: { root: MessageView; channelId: string; myId: string; myName: string | null | undefined; onClose: () => void }) {
  const { client } = useSession();
  const [replies, setReplies] = useState<MessageView[] | undefined>();
  const [error, setError] = useState('');

  const add = (message: MessageView) => setReplies((known) => [...(known ?? []).filter((reply) => reply.id !== message.id), message].sort((a, b) => a.seq - b.seq));

  useEffect(() => {
    client.replies(root.id, { limit: 100 }).then(
      (page) => setReplies((known) => [...page.items, ...(known ?? []).filter((reply) => !page.items.some((item) => item.id === reply.id))]),
      (caught: unknown) => setError(problem(caught)),
    );
  }, [root.id]);

  useFrames((frame: Frame) => {
    if (frame.channel_id !== channelId) return;
    const message = frame.data as MessageView | undefined;
    if (frame.type === 'message.created' && message?.reply_to === root.id) add(message);
    if (frame.type === 'message.updated' && message) setReplies((known) => known?.map((reply) => (reply.id === message.id ? message : reply)));
    if (frame.type === 'message.deleted') setReplies((known) => known?.filter((reply) => reply.id !== (frame.data as { id: string }).id));
  });

  const send = async (body: string) => {
    try {
      add(await client.post(channelId, { body, reply_to: root.id, nonce: crypto.randomUUID() }));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <aside class="room-panel thread" aria-label="Thread">
      <header>
        <h3>Thread</h3>
        <button type="button" class="link" aria-label="Close thread" onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="message root">
        <div class="meta">
          <span class="author">{authorOf(root)}</span>
          <time class="when" dateTime={root.created_at}>
            {clockTime(root.created_at)}
          </time>
        </div>
        <MessageBody body={root.body} myName={myName} />
      </div>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <ol class="replies" aria-label="Replies">
        {replies === undefined && <li class="muted">Loading…</li>}
        {replies?.length === 0 && <li class="muted">No replies yet.</li>}
        {replies?.map((reply) => (
          <li key={reply.id} class={reply.creator?.id === myId ? 'message mine' : 'message'}>
            <div class="meta">
              <span class="author">{authorOf(reply)}</span>
              <time class="when" dateTime={reply.created_at}>
                {clockTime(reply.created_at)}
              </time>
            </div>
            <MessageBody body={reply.body} myName={myName} />
          </li>
        ))}
      </ol>
      <Composer id={`thread-${root.id}`} label="the thread" onSend={(body) => void send(body)} />
    </aside>
  );
}
