import { useEffect, useState } from 'preact/hooks';
import { useLinkState } from '../app/session.js';
import { ChannelRoom } from '../channels/ChannelRoom.js';

/**
 * A forum room's live discussion. A forum room is a public channel one follows rather than
 * belongs to, and a follow asked for before the socket is first up is not sent: the room opens
 * once the socket has been live (reconnects after that resume it).
 */
export function ForumRoom({ channelId, label, tall }: { channelId: string; label: string; tall?: boolean }) {
  const link = useLinkState();
  const [ready, setReady] = useState(link === 'live');
  useEffect(() => {
    if (link === 'live') setReady(true);
  }, [link]);
  return <div class={tall ? 'forum-room tall' : 'forum-room'}>{ready ? <ChannelRoom channelId={channelId} label={label} /> : <p class="muted">Connecting…</p>}</div>;
}
