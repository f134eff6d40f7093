import type { MessageView, PinView } from '../../../src/client/index.js';
import { dateTime } from '../shared/ui.js';
import { authorOf } from './MessageRow.js';

/** The channel's pinned messages, newest pin first as the server lists them. */
export function PinsPanel({ pins, onUnpin, onClose }: { pins: PinView[]; onUnpin: (message: MessageView) => void; onClose: () => void }) {
  return (
    <aside class="room-panel" id="pins-panel" aria-label="Pinned messages">
      <header>
        <h3>Pinned messages</h3>
        <button type="button" class="link" aria-label="Close pinned messages" onClick={onClose}>
          ✕
        </button>
      </header>
      {pins.length === 0 ? (
        <p class="muted">Nothing pinned yet. Pin a message to keep it here.</p>
      ) : (
        <ul>
          {pins.map((pin) => (
            <li key={pin.message.id} class="message">
              <div class="meta">
                <span class="author">{authorOf(pin.message)}</span>
                <time class="when" dateTime={pin.message.created_at}>
                  {dateTime(pin.message.created_at)}
                </time>
              </div>
              <p class="body">{pin.message.body}</p>
              <button type="button" class="link" onClick={() => onUnpin(pin.message)}>
                Unpin
              </button>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
