import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import type { ChannelView, MessageView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { ErrorNote, formFields, problem } from '../shared/ui.js';
import { ChannelRoom } from './ChannelRoom.js';

/** The channels I am in, with unread badges, beside the open one. */
export function ChannelsPage() {
  const { client, me } = useSession();
  const { params } = useRoute();
  const { route } = useLocation();
  const [channels, setChannels] = useState<ChannelView[] | undefined>();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState('');
  const openId = params.id;

  const refresh = () => client.channels().then(setChannels, (caught: unknown) => setError(problem(caught)));
  useEffect(() => void refresh(), []);

  useEffect(() => {
    if (openId || !channels?.length) return;
    const landing = channels.find((channel) => channel.name === 'General') ?? channels[0]!;
    route(`/channels/${landing.id}`, true);
  }, [channels, openId]);

  // The open channel is read as it arrives: its badge stays clear.
  useEffect(() => {
    if (openId) setChannels((list) => list?.map((channel) => (channel.id === openId ? { ...channel, unread_count: 0 } : channel)));
  }, [openId]);

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

  const open = channels?.find((channel) => channel.id === openId);

  return (
    <div class="chat">
      <aside class="sidebar" aria-label="Channels">
        <nav aria-label="My channels">
          <ul>
            {channels?.map((channel) => (
              <li key={channel.id}>
                <a href={`/channels/${channel.id}`} class={channel.id === openId ? 'channel current' : 'channel'} aria-current={channel.id === openId ? 'page' : undefined}>
                  <span class="hash" aria-hidden="true">
                    {channel.private ? '🔒' : '#'}
                  </span>
                  <span class="name">{channel.name}</span>
                  {(channel.unread_count ?? 0) > 0 && (
                    <span class="badge" aria-label={`${channel.unread_count} unread`}>
                      {channel.unread_count}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {creating ? (
          <NewChannel
            onDone={(channel) => {
              setCreating(false);
              if (!channel) return;
              setChannels((list) => [channel, ...(list ?? []).filter((known) => known.id !== channel.id)]);
              route(`/channels/${channel.id}`);
            }}
          />
        ) : (
          <button type="button" class="secondary" onClick={() => setCreating(true)}>
            + New channel
          </button>
        )}
        <ErrorNote error={error} onDismiss={() => setError('')} />
      </aside>
      {open && (
        <ChannelRoom
          key={open.id}
          channelId={open.id}
          label={`#${open.name}`}
          header={
            <header class="channel-head">
              <h2>
                <span aria-hidden="true">#</span>
                {open.name}
              </h2>
              {open.description && <p class="description">{open.description}</p>}
            </header>
          }
        />
      )}
    </div>
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
