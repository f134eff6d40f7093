import { useEffect, useState } from 'preact/hooks';
import type { ChannelView, MessageView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { dateTime, ErrorNote, problem } from '../shared/ui.js';
import { authorOf } from './MessageRow.js';

export interface SearchRequest {
  q: string;
  /** The channel to search in; every channel I can read when absent. */
  channelId?: string;
}

/** Search results: channel, author, time and text; choosing one opens its channel. */
export function SearchResults({ request, channels, onOpen, onClose }: { request: SearchRequest; channels: ChannelView[]; onOpen: (channelId: string) => void; onClose: () => void }) {
  const { client } = useSession();
  const [results, setResults] = useState<MessageView[] | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    setResults(undefined);
    setError('');
    const search = request.channelId ? client.searchChannel(request.channelId, request.q) : client.search(request.q);
    search.then(
      (page) => setResults(page.items),
      (caught: unknown) => setError(problem(caught)),
    );
  }, [request]);

  const nameOf = (channelId: string) => channels.find((channel) => channel.id === channelId)?.name ?? 'a channel';
  const where = request.channelId ? `#${nameOf(request.channelId)}` : 'all my channels';
  return (
    <section class="finder" aria-label="Search results">
      <header class="channel-head row">
        <h2>
          “{request.q}” in {where}
        </h2>
        <button type="button" class="link" onClick={onClose}>
          Close search
        </button>
      </header>
      <ErrorNote error={error} />
      {results && (
        <p class="muted" role="status">
          {results.length === 0 ? 'No messages match.' : results.length === 1 ? '1 message' : `${results.length}${results.length === 100 ? '+' : ''} messages`}
        </p>
      )}
      <ul class="results">
        {results?.map((message) => (
          <li key={message.id}>
            <button type="button" class="result" onClick={() => onOpen(message.channel_id)}>
              <span class="meta">
                <span class="where">#{nameOf(message.channel_id)}</span>
                <span class="author">{authorOf(message)}</span>
                <time dateTime={message.created_at}>{dateTime(message.created_at)}</time>
              </span>
              <span class="body">{message.body}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Public channels to discover, each to open or join. */
export function BrowseChannels({ onJoined, onOpen, onClose }: { onJoined: (channel: ChannelView) => void; onOpen: (channelId: string) => void; onClose: () => void }) {
  const { client, me } = useSession();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<ChannelView[] | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    // Waits for a pause in typing, so one search runs per word, not per key.
    const timer = setTimeout(() => {
      client.publicChannels(q.trim() || undefined).then(setFound, (caught: unknown) => setError(problem(caught)));
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);

  const join = async (channel: ChannelView) => {
    try {
      await client.addMember(channel.id, me.id);
      onJoined({ ...channel, is_member: true });
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <section class="finder" aria-label="Browse channels">
      <header class="channel-head row">
        <h2>Browse channels</h2>
        <button type="button" class="link" onClick={onClose}>
          Close
        </button>
      </header>
      <div class="finder-body">
        <label>
          Find a public channel
          <input type="search" value={q} onInput={(event) => setQ(event.currentTarget.value)} autoComplete="off" />
        </label>
        <ErrorNote error={error} onDismiss={() => setError('')} />
        {found?.length === 0 && <p class="muted">No public channel matches.</p>}
        <ul class="results">
          {found?.map((channel) => (
            <li key={channel.id} class="public-channel">
              <div>
                <strong>#{channel.name}</strong>
                {channel.description && <p class="muted">{channel.description}</p>}
              </div>
              {channel.is_member ? (
                <button type="button" class="secondary small" aria-label={`Open #${channel.name}`} onClick={() => onOpen(channel.id)}>
                  Open
                </button>
              ) : (
                <button type="button" class="small" aria-label={`Join #${channel.name}`} onClick={() => void join(channel)}>
                  Join
                </button>
              )}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
