import { createContext, type ComponentChildren } from 'preact';
import { useContext, useRef, useState } from 'preact/hooks';
import type { NotificationView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';

/** How many of my notifications are unread, kept live, and the ways to read them. */
export interface Unread {
  count: number;
  /** Marks these read (or all of them) and takes the server's new count. */
  markRead(ids: string[] | 'all'): Promise<void>;
  /** Reading a channel reads what it notified me of. */
  readChannel(channelId: string): void;
}

const UnreadContext = createContext<Unread | undefined>(undefined);

export function useUnread(): Unread {
  const unread = useContext(UnreadContext);
  if (!unread) throw new Error('useUnread outside UnreadProvider');
  return unread;
}

/** The most notifications one look at a channel clears: the first page of unread ones. */
const CHANNEL_SWEEP = 100;

export function UnreadProvider({ children }: { children: ComponentChildren }) {
  const { client, me } = useSession();
  const [count, setCount] = useState(me.unread_notifications ?? 0);
  const known = useRef(count);
  known.current = count;

  useFrames((frame: Frame) => {
    if (frame.type === 'notification' && !(frame.data as NotificationView).read) setCount((now) => now + 1);
    // Frames missed while the socket was down are not replayed: ask again on every (re)connect.
    if (frame.type === 'ready') client.me().then((user) => setCount(user.unread_notifications ?? 0), () => undefined);
  });

  const markRead = async (ids: string[] | 'all') => {
    if (ids !== 'all' && ids.length === 0) return;
    const answer = await client.markNotificationsRead(ids === 'all' ? { all: true } : { ids });
    setCount(answer.unread_count);
  };

  const readChannel = (channelId: string) => {
    if (known.current === 0) return;
    client
      .notifications({ unread: true, limit: CHANNEL_SWEEP })
      .then((page) => markRead(page.items.filter((notice) => notice.channel_id === channelId).map((notice) => notice.id)))
      .catch(() => undefined);
  };

  return <UnreadContext.Provider value={{ count, markRead, readChannel }}>{children}</UnreadContext.Provider>;
}

/** The bell in the top bar: a link to the notifications, with the unread count. */
export function Bell({ current }: { current: boolean }) {
  const { count } = useUnread();
  return (
    <a class="bell" href="/notifications" aria-current={current ? 'page' : undefined} aria-label={count > 0 ? `Notifications, ${count} unread` : 'Notifications'}>
      <span aria-hidden="true">🔔</span>
      {count > 0 && (
        <span class="badge" aria-hidden="true">
          {count > 99 ? '99+' : count}
        </span>
      )}
    </a>
  );
}
