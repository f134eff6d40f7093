import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import type { ChannelView, MessageView, NotificationView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import { useUnread } from '../notifications/unread.js';
import { Avatar } from '../people/musician.js';
import '../people/people.css';
import type { Frame } from '../shared/live.js';
import { ErrorNote, formFields, problem } from '../shared/ui.js';
import { ChannelRoom } from './ChannelRoom.js';
import { BrowseChannels, SearchResults, type SearchRequest } from './Finder.js';
import { Members } from './Members.js';
import { NewMessage } from './NewMessage.js';
import { NotifySettings } from './NotifySettings.js';

/** What the main pane shows instead of the open channel, if anything. */
type Panel = { kind: 'search'; request: SearchRequest } | { kind: 'browse' } | undefined;

/** The channels I am in, with unread badges, beside the open one. */
export function ChannelsPage() {
  const { client, me } = useSession();
  const { params } = useRoute();
  const { route } = useLocation();
  const [channels, setChannels] = useState<ChannelView[] | undefined>();
  /** Public channels I am not in, known when one is opened from a link or a search result to be read before joining. */
  const [others, setOthers] = useState<ChannelView[]>([]);
  const [creating, setCreating] = useState<'channel' | 'message' | undefined>();
  const unread = useUnread();
  const [panel, setPanel] = useState<Panel>();
  const [showMembers, setShowMembers] = useState(false);
  const [error, setError] = useState('');
  const openId = params.id;

  const refresh = () => client.channels().then(setChannels, (caught: unknown) => setError(problem(caught)));
  useEffect(() => void refresh(), []);

  const loadOthers = () => client.publicChannels().then((list) => setOthers(list.filter((channel) => !channel.is_member)), (caught: unknown) => setError(problem(caught)));
  useEffect(() => {
    if (openId && channels && !channels.some((channel) => channel.id === openId) && !others.some((channel) => channel.id === openId)) void loadOthers();
  }, [openId, channels]);

  useEffect(() => {
    if (openId || !channels?.length) return;
    const landing = channels.find((channel) => channel.name === 'General') ?? channels[0]!;
    route(`/channels/${landing.id}`, true);
  }, [channels, openId]);

  // The open channel is read as it arrives: its badge stays clear, and coming back to it later
  // puts the "New messages" divider after what was seen now.
  useEffect(() => {
    if (openId) unread.readChannel(openId);
  }, [openId]);

  useEffect(() => {
    setShowMembers(false);
    return () => {
      if (openId) setChannels((list) => list?.map((channel) => (channel.id === openId ? { ...channel, unread_count: 0, last_read_seq: channel.last_seq } : channel)));
    };
  }, [openId]);
  useEffect(() => {
    if (openId) setChannels((list) => list?.map((channel) => (channel.id === openId ? { ...channel, unread_count: 0 } : channel)));
  }, [openId, Boolean(channels)]);

  useFrames((frame: Frame) => {
    const data = frame.data as Record<string, unknown> | undefined;
    switch (frame.type) {
      case 'message.created': {
        const message = data as unknown as MessageView;
        const counts = message.channel_id !== openId && message.creator?.id !== me.id;
        setChannels((list) => {
          if (list && !list.some((channel) => channel.id === message.channel_id)) void refresh();
          return list?.map((channel) =>
            channel.id !== message.channel_id ? channel : { ...channel, last_seq: message.seq, unread_count: (channel.unread_count ?? 0) + (counts ? 1 : 0) },
          );
        });
        return;
      }
      case 'notification': {
        // What the open channel tells me, I am reading already.
        const notice = data as unknown as NotificationView;
        if (openId && notice.channel_id === openId && document.visibilityState === 'visible') unread.markRead([notice.id]).catch(() => undefined);
        return;
      }
      case 'read':
        setChannels((list) => list?.map((channel) => (channel.id === frame.channel_id ? { ...channel, unread_count: 0 } : channel)));
        return;
      case 'channel.updated':
        setChannels((list) => list?.map((channel) => (channel.id === frame.channel_id ? { ...channel, ...(data as Partial<ChannelView>) } : channel)));
        return;
      case 'channel.deleted':
        setChannels((list) => list?.filter((channel) => channel.id !== frame.channel_id));
        if (frame.channel_id === openId) route('/channels', true);
        return;
      case 'member.joined':
      case 'member.left':
        void refresh();
        return;
    }
  });

  const openChannel = (channelId: string) => {
    setPanel(undefined);
    route(`/channels/${channelId}`);
  };

  const search = (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    const q = field('q');
    if (!q) return;
    setPanel({ kind: 'search', request: { q, ...(field('scope') === 'channel' && openId ? { channelId: openId } : {}) } });
    void loadOthers();
  };

  const join = async (channel: ChannelView) => {
    try {
      await client.addMember(channel.id, me.id);
      setChannels((list) => [{ ...channel, is_member: true }, ...(list ?? []).filter((known) => known.id !== channel.id)]);
      void refresh();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const mine = channels?.find((channel) => channel.id === openId);
  const open = mine ?? others.find((channel) => channel.id === openId);

  return (
    <div class="chat">
      <aside class="sidebar" aria-label="Channels">
        <form class="search" role="search" aria-label="Search messages" onSubmit={search}>
          <label class="visually-hidden" for="search-q">
            Search messages
          </label>
          <input id="search-q" name="q" type="search" placeholder="Search messages" maxLength={100} autoComplete="off" />
          <label class="visually-hidden" for="search-scope">
            Where to search
          </label>
          <select id="search-scope" name="scope">
            <option value="all">All channels</option>
            <option value="channel">This channel</option>
          </select>
          <button type="submit" class="secondary small">
            Search
          </button>
        </form>
        <div class="channel-lists">
          <nav aria-label="My channels">
            <ul>
              {channels
                ?.filter((channel) => channel.kind !== 'dm')
                .map((channel) => <ChannelLink key={channel.id} channel={channel} current={channel.id === openId} onOpen={() => setPanel(undefined)} />)}
            </ul>
          </nav>
          <nav aria-labelledby="dm-heading" class="dms">
            <h2 id="dm-heading">Direct messages</h2>
            <ul>
              {channels
                ?.filter((channel) => channel.kind === 'dm')
                .map((channel) => <ChannelLink key={channel.id} channel={channel} current={channel.id === openId} onOpen={() => setPanel(undefined)} />)}
            </ul>
          </nav>
        </div>
        {creating === 'channel' && (
          <NewChannel
            onDone={(channel) => {
              setCreating(undefined);
              if (!channel) return;
              setChannels((list) => [channel, ...(list ?? []).filter((known) => known.id !== channel.id)]);
              openChannel(channel.id);
            }}
          />
        )}
        {creating === 'message' && (
          <NewMessage
            onDone={(channel) => {
              setCreating(undefined);
              if (!channel) return;
              setChannels((list) => [channel, ...(list ?? []).filter((known) => known.id !== channel.id)]);
              openChannel(channel.id);
            }}
          />
        )}
        {!creating && (
          <div class="sidebar-actions">
            <button type="button" class="secondary" onClick={() => setCreating('channel')}>
              + New channel
            </button>
            <button type="button" class="secondary" onClick={() => setCreating('message')}>
              + New message
            </button>
            <button type="button" class="secondary" onClick={() => setPanel({ kind: 'browse' })}>
              Browse channels
            </button>
          </div>
        )}
        <ErrorNote error={error} onDismiss={() => setError('')} />
      </aside>
      <div class="main-pane">
        {panel?.kind === 'search' && <SearchResults request={panel.request} channels={[...(channels ?? []), ...others]} onOpen={openChannel} onClose={() => setPanel(undefined)} />}
        {panel?.kind === 'browse' && (
          <BrowseChannels
            onOpen={openChannel}
            onJoined={(channel) => {
              void refresh();
              setChannels((list) => [channel, ...(list ?? []).filter((known) => known.id !== channel.id)]);
              openChannel(channel.id);
            }}
            onClose={() => setPanel(undefined)}
          />
        )}
        {open && (
          <div class="room-pane" hidden={Boolean(panel)}>
            <ChannelRoom
              key={open.id}
              channelId={open.id}
              label={open.kind === 'dm' ? open.name : `#${open.name}`}
              lastReadSeq={open.last_read_seq}
              header={
                <header class="channel-head">
                  <div class="title">
                    <h2>
                      {open.kind === 'dm' ? <DmFaces channel={open} /> : <span aria-hidden="true">{open.private ? '🔒 ' : '#'}</span>}
                      {open.name}
                    </h2>
                    {open.description && <p class="description">{open.description}</p>}
                  </div>
                  {mine && <NotifySettings channelId={open.id} />}
                  {!mine && (
                    <button type="button" class="small" onClick={() => void join(open)}>
                      Join #{open.name}
                    </button>
                  )}
                  <button type="button" class="secondary small members-toggle" aria-controls="channel-members" aria-expanded={showMembers} onClick={() => setShowMembers(!showMembers)}>
                    Members
                  </button>
                </header>
              }
            />
            <Members
              channel={open}
              isMember={Boolean(mine)}
              open={showMembers}
              onLeft={() => {
                setChannels((list) => list?.filter((channel) => channel.id !== open.id));
                route('/channels', true);
              }}
            />
          </div>
        )}
      </div>
    </div>
  );
}

/** A DM's faces: the first two of the others in it. */
/** A channel or DM in the sidebar: its mark (# or 🔒, or the faces of a DM), its name and unread count. */
function ChannelLink({ channel, current, onOpen }: { channel: ChannelView; current: boolean; onOpen: () => void }) {
  return (
    <li>
      <a href={`/channels/${channel.id}`} class={current ? 'channel current' : 'channel'} aria-current={current ? 'page' : undefined} onClick={onOpen}>
        {channel.kind === 'dm' ? (
          <DmFaces channel={channel} />
        ) : (
          <span class="hash" aria-hidden="true">
            {channel.private ? '🔒' : '#'}
          </span>
        )}
        <span class="name">{channel.name}</span>
        {(channel.unread_count ?? 0) > 0 && (
          <span class="badge" aria-label={`${channel.unread_count} unread`}>
            {channel.unread_count}
          </span>
        )}
      </a>
    </li>
  );
}

function DmFaces({ channel }: { channel: ChannelView }) {
  return (
    <span class="faces" aria-hidden="true">
      {(channel.people ?? []).slice(0, 2).map((person) => (
        <Avatar key={person.id} person={person} />
      ))}
    </span>
  );
}

function NewChannel({ onDone }: { onDone: (channel?: ChannelView) => void }) {
  const { client } = useSession();
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    const isPrivate = (event.currentTarget as HTMLFormElement).elements.namedItem('private') as HTMLInputElement;
    try {
      const description = field('description');
      onDone(await client.createChannel({ name: field('name'), private: isPrivate.checked, ...(description ? { description } : {}) }));
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
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit">Create</button>
        <button type="button" class="link" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
