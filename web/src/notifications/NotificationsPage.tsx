import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { NotificationView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { displayName } from '../people/musician.js';
import { dateTime, ErrorNote, Page, problem } from '../shared/ui.js';
import { useUnread } from './unread.js';
import './notifications.css';

const PAGE_SIZE = 20;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** One line that says what happened, from the notice's data and the name of whoever caused it. */
function headline(notice: NotificationView, actor: string | undefined): string {
  const channel = text(notice.data.channel_name);
  const where = channel ? ` in ${channel}` : '';
  const meetup = text(notice.data.event_title) || 'a meetup';
  switch (notice.type) {
    case 'mention':
      return actor ? `${actor} mentioned you${where}` : `You were mentioned${where}`;
    case 'reply':
      return actor ? `${actor} replied to you${where}` : `New reply${where}`;
    case 'dm':
      return actor ? `${actor} sent you a message` : 'New direct message';
    case 'rsvp_promoted':
      return `A seat opened up: you are going to ${meetup}`;
    case 'poll_opened':
      return `New poll for ${meetup}`;
    case 'poll_closed':
      return `A poll closed for ${meetup}`;
    case 'event_changed':
      return `${meetup} changed`;
    case 'event_cancelled':
      return `${meetup} was cancelled`;
    case 'reminder':
      return `${meetup} starts soon`;
  }
}

/** Where a notice leads: its meetup, else its channel. */
const targetOf = (notice: NotificationView) => (notice.event_id ? `/meetups/${notice.event_id}` : notice.channel_id ? `/channels/${notice.channel_id}` : undefined);

/** `/notifications`: mine, unread first; opening one reads it. */
export function NotificationsPage() {
  const { client } = useSession();
  const { route } = useLocation();
  const unread = useUnread();
  const [notices, setNotices] = useState<NotificationView[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  /** Names of the people who caused notices, by user id, looked up once each. */
  const [actors, setActors] = useState<Map<string, string>>(new Map());
  const asked = useRef(new Set<string>());

  useEffect(() => {
    const unknown = new Set((notices ?? []).flatMap((notice) => (notice.actor_id && !asked.current.has(notice.actor_id) ? [notice.actor_id] : [])));
    for (const id of unknown) {
      asked.current.add(id);
      client.user(id).then(
        (user) => setActors((known) => new Map(known).set(id, displayName(user))),
        () => setActors((known) => new Map(known).set(id, '')),
      );
    }
  }, [notices]);

  useEffect(() => {
    client.notifications({ limit: PAGE_SIZE }).then(
      (page) => {
        setNotices(page.items);
        setNext(page.next);
      },
      (caught: unknown) => setError(problem(caught)),
    );
  }, []);

  useFrames((frame: Frame) => {
    if (frame.type === 'notification') setNotices((known) => [frame.data as NotificationView, ...(known ?? [])]);
  });

  const more = async () => {
    if (!next) return;
    try {
      const page = await client.page<NotificationView>(next);
      setNotices((known) => [...(known ?? []), ...page.items.filter((item) => !known?.some((notice) => notice.id === item.id))]);
      setNext(page.next);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const open = async (notice: NotificationView) => {
    try {
      if (!notice.read) await unread.markRead([notice.id]);
    } catch (caught) {
      setError(problem(caught));
      return;
    }
    const target = targetOf(notice);
    if (target) route(target);
    else setNotices((known) => known?.map((item) => (item.id === notice.id ? { ...item, read: true } : item)));
  };

  const readAll = async () => {
    try {
      await unread.markRead('all');
      setNotices((known) => known?.map((notice) => ({ ...notice, read: true })));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const actions = (
    <button type="button" class="secondary" onClick={() => void readAll()} disabled={unread.count === 0}>
      Mark all read
    </button>
  );

  return (
    <Page title="Notifications" actions={actions}>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      {notices === undefined && !error && <p class="muted">Loading…</p>}
      {notices?.length === 0 && <p class="muted">Nothing yet. Mentions, replies, direct messages and meetup news show up here.</p>}
      {notices && notices.length > 0 && (
        <ul class="notices" aria-label="Notifications">
          {notices.map((notice) => {
            const snippet = text(notice.data.snippet);
            return (
              <li key={notice.id} class={notice.read ? 'notice' : 'notice unread'}>
                <button type="button" class="notice-open" onClick={() => void open(notice)}>
                  <span class="headline">
                    {!notice.read && <span class="visually-hidden">Unread: </span>}
                    {headline(notice, notice.actor_id ? actors.get(notice.actor_id) || undefined : undefined)}
                  </span>
                  {snippet && <span class="snippet">{snippet}</span>}
                  <time dateTime={notice.created_at}>{dateTime(notice.created_at)}</time>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => void more()}>
          Show more
        </button>
      )}
    </Page>
  );
}
