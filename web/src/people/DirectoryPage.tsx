import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import type { DirectoryFilter, ReviewView, UserView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { ErrorNote, Page, problem } from '../shared/ui.js';
import { Avatar, displayName, skillLabel } from './musician.js';
import './people.css';
import { StarScore, starsText } from '../reviews/stars.js';

const PAGE_SIZE = 24;
/** How long typing pauses before the directory asks again. */
const DEBOUNCE_MS = 300;

/** `/musicians`: find players by instrument, genre, city or name; `/musicians/:id`: one of them. */
export function DirectoryPage() {
  const { params } = useRoute();
  return params.id ? <MusicianProfile id={params.id} /> : <Directory />;
}

type Filters = Required<Pick<DirectoryFilter, 'q' | 'instrument' | 'genre' | 'city'>>;

function Directory() {
  const { client } = useSession();
  const { query, route } = useLocation();
  // The filters live in the address too, so coming back from a profile finds the same list.
  const [filters, setFilters] = useState<Filters>(() => ({ q: query.q ?? '', instrument: query.instrument ?? '', genre: query.genre ?? '', city: query.city ?? '' }));
  const [musicians, setMusicians] = useState<UserView[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  // Only the newest search may fill the list: an older answer arriving late is dropped.
  const latest = useRef(0);

  useEffect(() => {
    const ask = ++latest.current;
    const timer = setTimeout(() => {
      const given = Object.fromEntries(Object.entries(filters).flatMap(([key, value]) => (value.trim() ? [[key, value.trim()]] : [])));
      const search = new URLSearchParams(given).toString();
      route(search ? `/musicians?${search}` : '/musicians', true);
      client.musicians({ ...given, limit: PAGE_SIZE }).then(
        (page) => {
          if (ask !== latest.current) return;
          setMusicians(page.items);
          setNext(page.next);
          setError('');
        },
        (caught: unknown) => ask === latest.current && setError(problem(caught)),
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [filters]);

  const more = async () => {
    if (!next) return;
    const ask = latest.current;
    try {
      const page = await client.page<UserView>(next);
      if (ask !== latest.current) return;
      setMusicians((list) => [...(list ?? []), ...page.items]);
      setNext(page.next);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const filter = (key: keyof Filters, label: string, placeholder: string) => (
    <label>
      {label}
      <input value={filters[key]} placeholder={placeholder} onInput={(event) => setFilters({ ...filters, [key]: (event.currentTarget as HTMLInputElement).value })} />
    </label>
  );

  return (
    <Page title="Musicians">
      <form class="filters" role="search" aria-label="Find musicians" onSubmit={(event) => event.preventDefault()}>
        {filter('q', 'Name or username', 'Search…')}
        {filter('instrument', 'Instrument', 'e.g. bass')}
        {filter('genre', 'Genre', 'e.g. jazz')}
        {filter('city', 'City', 'e.g. Lisbon')}
      </form>
      <ErrorNote error={error} />
      {musicians === undefined ? (
        <p class="muted">Looking for players…</p>
      ) : musicians.length === 0 ? (
        <p class="muted" role="status">
          No musicians match — try fewer filters.
        </p>
      ) : (
        <>
          <ul class="musicians" aria-label="Musicians found">
            {musicians.map((musician) => (
              <li key={musician.id}>
                <MusicianCard musician={musician} />
              </li>
            ))}
          </ul>
          {next && (
            <button type="button" class="secondary more" onClick={() => void more()}>
              Show more musicians
            </button>
          )}
        </>
      )}
    </Page>
  );
}

function MusicianCard({ musician }: { musician: UserView }) {
  return (
    <article class="musician card" aria-label={displayName(musician)}>
      <header class="musician-head">
        <Avatar person={musician} />
        <div>
          <h2>
            <a href={`/musicians/${musician.id}`}>{displayName(musician)}</a>
          </h2>
          <p class="handle">
            @{musician.username}
            {musician.city && <> · {musician.city}</>}
          </p>
        </div>
      </header>
      <Facts musician={musician} />
    </article>
  );
}

/** Instruments, genres and skill, as labelled tag rows. */
function Facts({ musician }: { musician: UserView }) {
  return (
    <dl class="facts">
      {musician.instruments.length > 0 && <TagRow term="Plays" tags={musician.instruments} />}
      {musician.genres.length > 0 && <TagRow term="Genres" tags={musician.genres} />}
      {musician.skill_level && (
        <div>
          <dt>Skill</dt>
          <dd>{skillLabel[musician.skill_level]}</dd>
        </div>
      )}
    </dl>
  );
}

function TagRow({ term, tags }: { term: string; tags: string[] }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>
        <ul class="chips">
          {tags.map((tag) => (
            <li key={tag}>{tag}</li>
          ))}
        </ul>
      </dd>
    </div>
  );
}

function MusicianProfile({ id }: { id: string }) {
  const { client, me, live } = useSession();
  const { route } = useLocation();
  const [musician, setMusician] = useState<UserView | undefined>();
  const [blocked, setBlocked] = useState<boolean | undefined>();
  const [reviews, setReviews] = useState<ReviewView[]>([]);
  const [error, setError] = useState('');

  useEffect(() => {
    setMusician(undefined);
    setReviews([]);
    setError('');
    setBlocked(undefined);
    client.user(id).then(setMusician, (caught: unknown) => setError(problem(caught)));
    client.blocks().then(
      (people) => setBlocked(people.some((person) => person.id === id)),
      () => setBlocked(undefined),
    );
    client.userReviews(id, { limit: 10 }).then(
      (page) => setReviews(page.items),
      () => setReviews([]),
    );
  }, [id]);

  const message = async () => {
    try {
      const channel = await client.openDm({ user_id: id });
      route(`/channels/${channel.id}`);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const toggleBlock = async () => {
    try {
      const state = blocked ? await client.unblock(id) : await client.block(id);
      live.setBlocked(id, state.blocked);
      setBlocked(state.blocked);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const back = <a class="text-link" href="/musicians">← All musicians</a>;
  if (!musician) {
    return (
      <Page title="Musician" actions={back}>
        {error ? <ErrorNote error={error} /> : <p class="muted">Loading…</p>}
      </Page>
    );
  }
  return (
    <Page title={displayName(musician)} actions={back}>
      <section class="card musician-profile" aria-label="Profile">
        <header class="musician-head">
          <Avatar person={musician} size="large" />
          <div>
            <p class="handle">
              @{musician.username}
              {musician.city && <> · {musician.city}</>}
            </p>
            <p class="muted">Joined {new Date(musician.created_at).toLocaleDateString([], { month: 'long', year: 'numeric' })}</p>
            {musician.id === me.id && <a class="text-link" href="/profile">Edit your profile</a>}
            {musician.id !== me.id && (
              <div class="profile-actions">
                {!blocked && (
                  <button type="button" onClick={() => void message()}>
                    Message
                  </button>
                )}
                {blocked !== undefined && (
                  <button type="button" class="secondary" onClick={() => void toggleBlock()}>
                    {blocked ? 'Unblock' : 'Block'}
                  </button>
                )}
              </div>
            )}
          </div>
        </header>
        <ErrorNote error={error} onDismiss={() => setError('')} />
        <Facts musician={musician} />
        {musician.looking_for && (
          <>
            <h2>Looking for</h2>
            <p class="prose">{musician.looking_for}</p>
          </>
        )}
        {musician.bio && (
          <>
            <h2>About</h2>
            <p class="prose">{musician.bio}</p>
          </>
        )}
      </section>
      {reviews.length > 0 && (
        <section class="card" aria-labelledby="reviews-title">
          <h2 id="reviews-title">Album reviews</h2>
          <ul class="review-list">
            {reviews.map((review) => (
              <li key={review.id}>
                <a class="text-link" href={`/albums/${review.album_id}`}>
                  {review.album.title} — {review.album.artist}
                </a>{' '}
                <StarScore value={review.rating} label={starsText(review.rating)} />
                {review.review_text && <p class="prose">{review.review_text}</p>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}
