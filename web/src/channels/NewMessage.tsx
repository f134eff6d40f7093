import { useEffect, useState } from 'preact/hooks';
import type { ChannelView, UserView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { Avatar, displayName } from '../people/musician.js';
import { ErrorNote, problem } from '../shared/ui.js';

/** A group DM holds up to eight people: me and seven others. */
const MOST_OTHERS = 7;
const DEBOUNCE_MS = 250;

/** Starts (or finds) a DM with the people picked from the directory. */
export function NewMessage({ onDone }: { onDone: (channel?: ChannelView) => void }) {
  const { client, me } = useSession();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<UserView[]>([]);
  const [picked, setPicked] = useState<UserView[]>([]);
  const [error, setError] = useState('');

  useEffect(() => {
    const text = q.trim();
    if (!text) return setFound([]);
    let current = true;
    const timer = setTimeout(() => {
      client.musicians({ q: text, limit: 8 }).then(
        (page) => current && setFound(page.items.filter((person) => person.id !== me.id)),
        (caught: unknown) => current && setError(problem(caught)),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q]);

  const pick = (person: UserView) => {
    if (picked.length >= MOST_OTHERS || picked.some((known) => known.id === person.id)) return;
    setPicked([...picked, person]);
    setQ('');
  };

  const start = async (event: Event) => {
    event.preventDefault();
    if (picked.length === 0) return;
    try {
      onDone(await client.openDm({ user_ids: picked.map((person) => person.id) }));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <form class="new-channel new-message card" aria-label="New message" onSubmit={start}>
      {picked.length > 0 && (
        <ul class="picked" aria-label="To">
          {picked.map((person) => (
            <li key={person.id}>
              {displayName(person)}
              <button type="button" class="link" aria-label={`Remove ${displayName(person)}`} onClick={() => setPicked(picked.filter((known) => known.id !== person.id))}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <label>
        To <input type="search" value={q} maxLength={100} autoComplete="off" placeholder="Find musicians" onInput={(event) => setQ(event.currentTarget.value)} />
      </label>
      {found.length > 0 && (
        <ul class="found" aria-label="Musicians found">
          {found.map((person) => (
            <li key={person.id}>
              <button type="button" class="link" onClick={() => pick(person)}>
                <Avatar person={person} /> {displayName(person)} <span class="muted">@{person.username}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" disabled={picked.length === 0}>
          Start
        </button>
        <button type="button" class="link" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
