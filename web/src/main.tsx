import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { RiffApiError, RiffClient, type ChannelView, type HistoryItemView, type MessageView, type Reactions, type UserView } from '../../src/client/index.js';
import { Live, type Frame, type LinkState } from './live.js';
import './style.css';

const TOKEN_KEY = 'riff.token';
const PAGE = 100;

const problem = (error: unknown) => (error instanceof RiffApiError ? error.body.message : 'Something went wrong — try again');
const bySeq = (a: HistoryItemView, b: HistoryItemView) => a.seq - b.seq;
const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function merge(items: HistoryItemView[], more: HistoryItemView[]): HistoryItemView[] {
  const seen = new Map(items.map((item) => [item.id, item]));
  for (const item of more) seen.set(item.id, item);
  return [...seen.values()].sort(bySeq);
}

function App() {
  const [client] = useState(() => new RiffClient(location.origin, localStorage.getItem(TOKEN_KEY) ?? undefined));
  const [me, setMe] = useState<UserView | undefined>();
  const [checking, setChecking] = useState(Boolean(client.token));

  useEffect(() => {
    if (!client.token) return;
    client
      .me()
      .then(setMe)
      .catch(() => {
        localStorage.removeItem(TOKEN_KEY);
        client.token = undefined;
      })
      .finally(() => setChecking(false));
  }, []);

  const signedIn = (user: UserView, token: string) => {
    localStorage.setItem(TOKEN_KEY, token);
    setMe(user);
  };
  const signedOut = () => {
    localStorage.removeItem(TOKEN_KEY);
    client.token = undefined;
    setMe(undefined);
  };

  if (checking) return <p class="loading">Tuning up…</p>;
  if (!me || !client.token) return <Welcome client={client} onSignedIn={signedIn} />;
  return <Chat client={client} me={me} token={client.token} onSignedOut={signedOut} />;
}

function Welcome({ client, onSignedIn }: { client: RiffClient; onSignedIn: (user: UserView, token: string) => void }) {
  const [mode, setMode] = useState<'log-in' | 'sign-up'>('sign-up');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? '');
    setBusy(true);
    setError('');
    try {
      const signed =
        mode === 'sign-up'
          ? await client.signUp({ email: field('email'), username: field('username'), password: field('password'), password_conf: field('password_conf') })
          : await client.logIn({ username: field('login'), password: field('password') });
      onSignedIn(signed, signed.token);
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="welcome">
      <h1 class="brand">
        Riff<span aria-hidden="true"> ♪</span>
      </h1>
      <p class="tagline">Chat, jam and meet up with musicians near you.</p>
      <form class="card" onSubmit={submit} aria-label={mode === 'sign-up' ? 'Sign up' : 'Log in'}>
        {mode === 'sign-up' ? (
          <>
            <label>
              Email <input name="email" type="email" autocomplete="email" required />
            </label>
            <label>
              Username <input name="username" autocomplete="username" required />
            </label>
            <label>
              Password <input name="password" type="password" autocomplete="new-password" required />
            </label>
            <label>
              Repeat password <input name="password_conf" type="password" autocomplete="new-password" required />
            </label>
          </>
        ) : (
          <>
            <label>
              Username or email <input name="login" autocomplete="username" required />
            </label>
            <label>
              Password <input name="password" type="password" autocomplete="current-password" required />
            </label>
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {mode === 'sign-up' ? 'Sign up' : 'Log in'}
        </button>
        <button type="button" class="link" onClick={() => setMode(mode === 'sign-up' ? 'log-in' : 'sign-up')}>
          {mode === 'sign-up' ? 'I already have an account' : 'New here? Sign up'}
        </button>
      </form>
    </main>
  );
}

interface Pending {
  nonce: string;
  body: string;
  failed?: boolean;
}

function Chat({ client, me, token, onSignedOut }: { client: RiffClient; me: UserView; token: string; onSignedOut: () => void }) {
  const [channels, setChannels] = useState<ChannelView[]>([]);
  const [openId, setOpenId] = useState<string | undefined>();
  const [items, setItems] = useState<HistoryItemView[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [link, setLink] = useState<LinkState>('connecting');
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState('');
  const live = useRef<Live | undefined>(undefined);
  const openRef = useRef<string | undefined>(undefined);
  openRef.current = openId;

  const refreshChannels = () => client.channels().then(setChannels, (caught: unknown) => setError(problem(caught)));

  const markRead = (channelId: string, seq: number) => {
    setChannels((list) => list.map((channel) => (channel.id === channelId ? { ...channel, unread_count: 0, last_read_seq: seq } : channel)));
    if (!live.current?.read(channelId, seq)) client.markRead(channelId, seq).catch(() => undefined);
  };

  const apply = (frame: Frame) => {
    const channelId = frame.channel_id;
    const isOpen = channelId !== undefined && channelId === openRef.current;
    const data = frame.data as Record<string, unknown> | undefined;
    switch (frame.type) {
      case 'message.created': {
        const message = data as unknown as MessageView;
        setChannels((list) => {
          if (!list.some((channel) => channel.id === message.channel_id)) void refreshChannels();
          return list.map((channel) =>
            channel.id !== message.channel_id
              ? channel
              : { ...channel, last_seq: message.seq, unread_count: (channel.unread_count ?? 0) + (!isOpen && message.creator?.id !== me.id ? 1 : 0) },
          );
        });
        if (isOpen) {
          setItems((list) => merge(list, [message]));
          if (message.nonce) setPending((list) => list.filter((item) => item.nonce !== message.nonce));
          markRead(message.channel_id, message.seq);
        }
        return;
      }
      case 'message.updated':
        if (isOpen) setItems((list) => merge(list, [data as unknown as MessageView]));
        return;
      case 'message.deleted':
        if (isOpen) setItems((list) => list.filter((item) => item.id !== data?.id));
        return;
      case 'reaction.updated': {
        const { message_id, reactions } = data as unknown as Reactions;
        // Frames carry no per-viewer `me`: keep what this viewer knew about their own reactions.
        if (isOpen)
          setItems((list) =>
            list.map((item) => {
              if (item.id !== message_id || item.kind !== 'message') return item;
              const mine = new Set(item.reactions.filter((reaction) => reaction.me).map((reaction) => reaction.emoji));
              return { ...item, reactions: reactions.map((reaction) => ({ ...reaction, me: mine.has(reaction.emoji) })) };
            }),
          );
        return;
      }
      case 'channel.updated':
        setChannels((list) => list.map((channel) => (channel.id === channelId ? { ...channel, ...(data as Partial<ChannelView>) } : channel)));
        return;
      case 'channel.deleted':
        setChannels((list) => list.filter((channel) => channel.id !== channelId));
        if (isOpen) setOpenId(undefined);
        return;
      case 'member.joined':
      case 'member.left':
        void refreshChannels();
        if (isOpen && data?.kind === 'announcement') setItems((list) => merge(list, [data as unknown as HistoryItemView]));
        return;
      case 'resync_required':
        if (isOpen && channelId) void loadLatest(channelId);
        return;
      default:
        if (isOpen && data?.kind === 'announcement') setItems((list) => merge(list, [data as unknown as HistoryItemView]));
    }
  };
  const applyRef = useRef(apply);
  applyRef.current = apply;

  useEffect(() => {
    void refreshChannels().then(() => undefined);
    const socket = new Live(token, (frame) => applyRef.current(frame), setLink);
    live.current = socket;
    return () => socket.stop();
  }, [token]);

  useEffect(() => {
    if (!openId && channels.length > 0) setOpenId((channels.find((channel) => channel.name === 'General') ?? channels[0])?.id);
  }, [channels, openId]);

  const loadLatest = async (channelId: string) => {
    try {
      const page = await client.history(channelId, { limit: PAGE });
      if (openRef.current !== channelId) return;
      setItems(page.items);
      setHasOlder(page.items.length === PAGE);
      const newest = page.items.at(-1);
      if (newest) markRead(channelId, newest.seq);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  useEffect(() => {
    setItems([]);
    setPending([]);
    if (openId) void loadLatest(openId);
  }, [openId]);

  const loadOlder = async () => {
    const oldest = items[0];
    if (!openId || !oldest) return;
    const page = await client.history(openId, { before: oldest.seq, limit: PAGE });
    setItems((list) => merge(list, page.items));
    setHasOlder(page.items.length === PAGE);
  };

  const send = async (body: string) => {
    if (!openId) return;
    const channelId = openId;
    const nonce = crypto.randomUUID();
    setPending((list) => [...list, { nonce, body }]);
    let message: MessageView;
    try {
      message = await live.current!.send(channelId, body, nonce);
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
    if (openRef.current === channelId) setItems((list) => merge(list, [message]));
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

  const logOut = async () => {
    live.current?.stop();
    await client.logOut().catch(() => undefined);
    onSignedOut();
  };

  const open = channels.find((channel) => channel.id === openId);

  return (
    <div class="chat">
      <aside class="sidebar" aria-label="Channels">
        <header>
          <span class="brand small">Riff ♪</span>
          <span class={`link-state ${link}`} role="status" aria-label={`Connection: ${link}`} title={`Connection: ${link}`} />
        </header>
        <nav>
          <ul>
            {channels.map((channel) => (
              <li key={channel.id}>
                <button
                  type="button"
                  class={channel.id === openId ? 'channel current' : 'channel'}
                  aria-current={channel.id === openId ? 'page' : undefined}
                  onClick={() => setOpenId(channel.id)}
                >
                  <span class="hash" aria-hidden="true">
                    {channel.private ? '🔒' : '#'}
                  </span>
                  <span class="name">{channel.name}</span>
                  {(channel.unread_count ?? 0) > 0 && (
                    <span class="badge" aria-label={`${channel.unread_count} unread`}>
                      {channel.unread_count}
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {creating ? (
          <NewChannel
            client={client}
            onDone={(channel) => {
              setCreating(false);
              if (channel) {
                setChannels((list) => [channel, ...list.filter((known) => known.id !== channel.id)]);
                setOpenId(channel.id);
              }
            }}
          />
        ) : (
          <button type="button" class="secondary" onClick={() => setCreating(true)}>
            + New channel
          </button>
        )}
        <footer>
          <span class="me">@{me.username}</span>
          <button type="button" class="link" onClick={logOut}>
            Log out
          </button>
        </footer>
      </aside>
      <main class="channel-view" aria-label={open ? `Channel ${open.name}` : 'Channel'}>
        {link !== 'live' && (
          <p class="banner" role="status">
            {link === 'connecting' ? 'Connecting…' : 'Offline — reconnecting…'}
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}{' '}
            <button type="button" class="link" onClick={() => setError('')}>
              Dismiss
            </button>
          </p>
        )}
        {open && (
          <>
            <header class="channel-head">
              <h2>
                <span aria-hidden="true">#</span>
                {open.name}
              </h2>
              {open.description && <p class="description">{open.description}</p>}
            </header>
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
            <Composer channelName={open.name} onSend={send} />
          </>
        )}
      </main>
    </div>
  );
}

function MessageRow({ message, mine, onReact }: { message: MessageView; mine: boolean; onReact: (message: MessageView, emoji: string) => void }) {
  const author = message.creator && 'username' in message.creator ? message.creator.username : (message.creator?.alias ?? 'someone');
  return (
    <li class={mine ? 'message mine' : 'message'} data-seq={message.seq}>
      <div class="meta">
        <span class="author">{author}</span>
        <time class="when" dateTime={message.created_at}>
          {time(message.created_at)}
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

function Composer({ channelName, onSend }: { channelName: string; onSend: (body: string) => void }) {
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
        Message #{channelName}
      </label>
      <textarea
        id="composer-body"
        rows={1}
        placeholder={`Message #${channelName}`}
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

function NewChannel({ client, onDone }: { client: RiffClient; onDone: (channel?: ChannelView) => void }) {
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    try {
      const description = String(form.get('description') ?? '').trim();
      onDone(await client.createChannel({ name: String(form.get('name') ?? ''), private: form.get('private') === 'on', ...(description ? { description } : {}) }));
    } catch (caught) {
      setError(problem(caught));
    }
  };
  return (
    <form class="new-channel card" onSubmit={submit} aria-label="New channel">
      <label>
        Name <input name="name" required maxLength={80} />
      </label>
      <label>
        Description <input name="description" maxLength={500} />
      </label>
      <label class="check">
        <input name="private" type="checkbox" /> Private
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit">Create</button>
        <button type="button" class="link" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

render(<App />, document.getElementById('app')!);
