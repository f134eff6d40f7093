import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { RoomView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { ErrorNote, Page, problem } from '../shared/ui.js';
import { ForumRoom } from './ForumRoom.js';

/** A genre's forum room, opened on the first visit (asking again returns the same room). */
export function GenreRoom() {
  const { client } = useSession();
  const { params } = useRoute();
  const genre = params.genre ?? '';
  const [room, setRoom] = useState<RoomView | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    setRoom(undefined);
    client
      .openRoom({ room_type: 'genre', genre })
      .then(setRoom)
      .catch((caught) => setError(problem(caught)));
  }, [genre]);
  return (
    <Page title={`Genre: ${genre}`} actions={<a href="/albums">← All albums</a>}>
      <ErrorNote error={error} />
      {room && (
        <ForumRoom channelId={room.id} label={room.name} tall />
      )}
    </Page>
  );
}
