import { useEffect, useState } from 'preact/hooks';
import type { ChannelView, MemberView, UserView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import type { Frame } from '../shared/live.js';
import { ErrorNote, problem } from '../shared/ui.js';

/** The open channel's members with who is online (kept live by `presence` frames), adding people and leaving. */
export function Members({ channel, isMember, open, onLeft }: { channel: ChannelView; isMember: boolean; open: boolean; onLeft: () => void }) {
  const { client, me } = useSession();
  const [members, setMembers] = useState<MemberView[] | undefined>();
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState('');

  const refresh = () => client.members(channel.id).then(setMembers, (caught: unknown) => setError(problem(caught)));
  useEffect(() => {
    setMembers(undefined);
    void refresh();
  }, [channel.id]);

  useFrames((frame: Frame) => {
    if (frame.type === 'presence') {
      const { user_id, online } = frame.data as { user_id: string; online: boolean };
      setMembers((known) => known?.map((person) => (person.id === user_id ? { ...person, online } : person)));
    } else if ((frame.type === 'member.joined' || frame.type === 'member.left') && frame.channel_id === channel.id) {
      void refresh();
    }
  });

  const leave = async () => {
    try {
      await client.removeMember(channel.id, me.id);
      onLeft();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const sorted = [...(members ?? [])].sort((a, b) => Number(Boolean(b.online)) - Number(Boolean(a.online)) || (a.username ?? '').localeCompare(b.username ?? ''));
  // A DM's people are fixed: a different set of people is a different DM.
  const canAdd = channel.creator_id === me.id && channel.kind !== 'dm';
  return (
    <aside id="channel-members" class={open ? 'members open' : 'members'} aria-label="Members">
      <h3>
        Members <span class="count">{members?.length ?? ''}</span>
      </h3>
      <ul>
        {sorted.map((person) => (
          <li key={person.id}>
            <span class={person.online ? 'presence online' : 'presence'} aria-hidden="true" />
            <a href={`/musicians/${person.id}`}>{person.username ?? 'someone'}</a>
            <span class="visually-hidden">{person.online ? ', online' : ', offline'}</span>
            {person.is_creator && <span class="role">creator</span>}
          </li>
        ))}
      </ul>
      {canAdd &&
        (adding ? (
          <AddMember
            channelId={channel.id}
            members={members ?? []}
            onAdded={(list) => setMembers(list)}
            onClose={() => setAdding(false)}
          />
        ) : (
          <button type="button" class="secondary" onClick={() => setAdding(true)}>
            Add people
          </button>
        ))}
      {isMember && channel.kind === 'channel' && channel.name !== 'General' && (
        <button type="button" class="link" onClick={() => void leave()}>
          Leave channel
        </button>
      )}
      <ErrorNote error={error} onDismiss={() => setError('')} />
    </aside>
  );
}

/** Finds musicians in the directory and adds them (the creator's right). */
function AddMember({ channelId, members, onAdded, onClose }: { channelId: string; members: MemberView[]; onAdded: (members: MemberView[]) => void; onClose: () => void }) {
  const { client } = useSession();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<UserView[]>([]);
  const [error, setError] = useState('');

  useEffect(() => {
    const query = q.trim();
    if (!query) return setFound([]);
    // Waits for a pause in typing, so one search runs per word, not per key.
    const timer = setTimeout(() => {
      client.musicians({ q: query }).then(
        (page) => setFound(page.items),
        (caught: unknown) => setError(problem(caught)),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [q]);

  const add = async (user: UserView) => {
    try {
      onAdded(await client.addMember(channelId, user.id));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const memberIds = new Set(members.map((member) => member.id));
  return (
    <div class="add-member" role="group" aria-label="Add people">
      <label>
        Find a musician
        <input type="search" value={q} onInput={(event) => setQ(event.currentTarget.value)} autoComplete="off" />
      </label>
      <ul>
        {found.map((user) => (
          <li key={user.id}>
            <span>{user.username}</span>
            {memberIds.has(user.id) ? (
              <span class="role">member</span>
            ) : (
              <button type="button" class="small" aria-label={`Add ${user.username}`} onClick={() => void add(user)}>
                Add
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <button type="button" class="link" onClick={onClose}>
        Done
      </button>
    </div>
  );
}
