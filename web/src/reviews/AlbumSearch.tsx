import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { RiffApiError, type AlbumFilter, type AlbumView, type RoomView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { ErrorNote, formFields, Page, problem } from '../shared/ui.js';
import { Cover } from './Cover.js';
import { StarScore } from './stars.js';

const PAGE = 24;
const SORTS: { value: NonNullable<AlbumFilter['sort']>; label: string }[] = [
  { value: 'recent', label: 'Newest' },
  { value: 'top', label: 'Top rated' },
  { value: 'most_reviewed', label: 'Most reviewed' },
];

/** "Hip hop" → "hip-hop": genres are slugs. */
const genreSlug = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('-');

export const scoreLabel = (album: AlbumView) =>
  album.rating.count === 0 ? 'No reviews yet' : `Average ${album.rating.average.toFixed(1)} out of 5 stars from ${album.rating.count} ${album.rating.count === 1 ? 'review' : 'reviews'}`;

export function AlbumSearch() {
  const { client } = useSession();
  const [filter, setFilter] = useState<AlbumFilter>({ sort: 'recent' });
  const [albums, setAlbums] = useState<AlbumView[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    let current = true;
    setError('');
    client
      .albums({ ...filter, limit: PAGE })
      .then((page) => {
        if (!current) return;
        setAlbums(page.items);
        setNext(page.next);
      })
      .catch((caught) => current && setError(problem(caught)));
    return () => {
      current = false;
    };
  }, [filter]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await client.page<AlbumView>(next);
      setAlbums((list) => [...(list ?? []), ...page.items]);
      setNext(page.next);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const search = (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    setFilter({ q: field('q') || undefined, genre: genreSlug(field('genre')) || undefined, sort: field('sort') as AlbumFilter['sort'] });
  };

  return (
    <Page
      title="Reviews"
      actions={
        <button type="button" class="secondary" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          + Add an album
        </button>
      }
    >
      {adding && <AddAlbum onCancel={() => setAdding(false)} />}
      <form class="album-filters" role="search" aria-label="Find albums" onSubmit={search}>
        <label class="grow">
          Title or artist <input name="q" type="search" defaultValue={filter.q} />
        </label>
        <label>
          Genre <input name="genre" defaultValue={filter.genre} placeholder="e.g. jazz" />
        </label>
        <label>
          Sort by
          <select name="sort">
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      {albums === undefined ? (
        <p class="muted">Loading albums…</p>
      ) : albums.length === 0 ? (
        <p class="muted">No album matches. Add it, and be the first to review it.</p>
      ) : (
        <ul class="album-grid" aria-label="Albums">
          {albums.map((album) => (
            <li key={album.id} class="album-card">
              <Cover album={album} />
              <div class="album-card-text">
                <a class="album-title" href={`/albums/${album.id}`}>
                  {album.title}
                </a>
                <span class="album-artist">{album.artist}</span>
                {album.year !== null && <span class="muted">{album.year}</span>}
                <span class="album-score">
                  <StarScore value={album.rating.average} label={scoreLabel(album)} />
                  <span class="muted" aria-hidden="true">
                    {album.rating.count === 0 ? 'no reviews' : `${album.rating.average.toFixed(1)} · ${album.rating.count}`}
                  </span>
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" class="secondary more" onClick={more}>
          More albums
        </button>
      )}
      <ForumRooms />
    </Page>
  );
}

function AddAlbum({ onCancel }: { onCancel: () => void }) {
  const { client } = useSession();
  const { route } = useLocation();
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    const year = field('year');
    try {
      const album = await client.addAlbum({
        title: field('title'),
        artist: field('artist'),
        year: year ? Number(year) : null,
        genres: [...new Set(field('genres').split(',').map(genreSlug).filter(Boolean))],
        cover_url: field('cover_url') || null,
      });
      route(`/albums/${album.id}`);
    } catch (caught) {
      // The album is already there: open it.
      const existing = caught instanceof RiffApiError && caught.code === 'album_exists' ? caught.body.details[0]?.id : undefined;
      if (typeof existing === 'string') route(`/albums/${existing}`);
      else setError(problem(caught));
    }
  };
  return (
    <form class="card add-album" aria-label="Add an album" onSubmit={submit}>
      <label>
        Title <input name="title" required maxLength={200} />
      </label>
      <label>
        Artist <input name="artist" required maxLength={200} />
      </label>
      <label>
        Year <input name="year" type="number" min={1000} max={new Date().getFullYear() + 1} />
      </label>
      <label>
        Genres (comma-separated) <input name="genres" placeholder="jazz, hip hop" />
      </label>
      <label class="wide">
        Cover image URL <input name="cover_url" type="url" placeholder="https://…" />
      </label>
      <ErrorNote error={error} />
      <div class="row wide">
        <button type="submit">Add album</button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The open forum rooms, and a way into any genre's room. */
function ForumRooms() {
  const { client } = useSession();
  const { route } = useLocation();
  const [rooms, setRooms] = useState<RoomView[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    client
      .rooms({ limit: 20 })
      .then((page) => setRooms(page.items))
      .catch((caught) => setError(problem(caught)));
  }, []);
  const openGenre = (event: Event) => {
    event.preventDefault();
    const genre = genreSlug(formFields(event)('genre'));
    if (genre) route(`/albums/genres/${genre}`);
  };
  return (
    <section class="forums" aria-labelledby="forums-title">
      <h2 id="forums-title">Forum rooms</h2>
      <form class="row" aria-label="Open a genre room" onSubmit={openGenre}>
        <label class="grow">
          Genre room <input name="genre" placeholder="e.g. jazz" required />
        </label>
        <button type="submit">Open</button>
      </form>
      <ErrorNote error={error} />
      {rooms.length > 0 && (
        <ul class="room-list">
          {rooms.map((room) => (
            <li key={room.id}>
              <a href={room.room_type === 'album' && room.album_id ? `/albums/${room.album_id}#forum` : `/albums/genres/${room.genre ?? ''}`}>{room.name}</a>
              <span class="muted">
                {room.member_count} {room.member_count === 1 ? 'member' : 'members'}, {room.online_count} online{room.closed ? ', closed' : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
