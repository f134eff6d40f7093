import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { AlbumView, ReviewPage, ReviewView, RiffClient } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { dateTime, ErrorNote, Page, problem } from '../shared/ui.js';
import { scoreLabel } from './AlbumSearch.js';
import { Cover } from './Cover.js';
import { ForumRoom } from './ForumRoom.js';
import { Histogram } from './Histogram.js';
import { HalfStarInput, StarScore, starsText } from './stars.js';

const PAGE = 20;

/** My review of an album, looked for among my own reviews (few), newest first. */
async function myReviewOf(client: RiffClient, albumId: string): Promise<ReviewView | undefined> {
  let page = await client.userReviews('me', { limit: 100 });
  for (;;) {
    const mine = page.items.find((review) => review.album_id === albumId);
    if (mine || !page.next) return mine;
    page = await client.page<ReviewView>(page.next);
  }
}

export function AlbumPage() {
  const { client } = useSession();
  const { params } = useRoute();
  const albumId = params.id ?? '';
  const [album, setAlbum] = useState<AlbumView | undefined>();
  const [mine, setMine] = useState<ReviewView | undefined>();
  const [reviewsVersion, setReviewsVersion] = useState(0);
  const [error, setError] = useState('');

  const load = async () => {
    try {
      const [found, review] = await Promise.all([client.album(albumId), myReviewOf(client, albumId)]);
      setAlbum(found);
      setMine(review);
    } catch (caught) {
      setError(problem(caught));
    }
  };
  useEffect(() => {
    setAlbum(undefined);
    void load();
  }, [albumId]);

  /** After my review changes: the score, the histogram and the list all move. */
  const reviewChanged = async (review: ReviewView | undefined) => {
    setMine(review);
    setReviewsVersion((version) => version + 1);
    try {
      setAlbum(await client.album(albumId));
    } catch (caught) {
      setError(problem(caught));
    }
  };

  if (!album)
    return (
      <Page title="Album">
        <ErrorNote error={error} />
        {!error && <p class="muted">Loading the album…</p>}
        <a href="/albums">← All albums</a>
      </Page>
    );

  return (
    <Page title={album.title} actions={<a href="/albums">← All albums</a>}>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      <section class="album-head" aria-label="About the album">
        <Cover album={album} large />
        <div class="album-facts">
          <p class="album-artist big">{album.artist}</p>
          <p class="muted">
            {[album.year, ...album.genres].filter((part) => part !== null).join(' · ')}
          </p>
          <p class="album-average">
            <StarScore value={album.rating.average} label={scoreLabel(album)} />
            <span aria-hidden="true">
              {album.rating.count === 0 ? 'No reviews yet' : <><strong>{album.rating.average.toFixed(1)}</strong> out of 5 · {album.rating.count} {album.rating.count === 1 ? 'review' : 'reviews'}</>}
            </span>
          </p>
          {album.genres.length > 0 && (
            <p class="row wrap">
              {album.genres.map((genre) => (
                <a key={genre} class="chip" href={`/albums/genres/${genre}`}>
                  {genre} room
                </a>
              ))}
            </p>
          )}
        </div>
        <Histogram rating={album.rating} />
      </section>
      <MyReview albumId={album.id} mine={mine} onChanged={reviewChanged} />
      <Reviews albumId={album.id} version={reviewsVersion} />
      <AlbumForum album={album} onOpened={(roomId) => setAlbum({ ...album, forum_room_id: roomId })} />
    </Page>
  );
}

function MyReview({ albumId, mine, onChanged }: { albumId: string; mine: ReviewView | undefined; onChanged: (review: ReviewView | undefined) => void }) {
  const { client } = useSession();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [rating, setRating] = useState<number | undefined>(mine?.rating);
  const [text, setText] = useState(mine?.review_text ?? '');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setRating(mine?.rating);
    setText(mine?.review_text ?? '');
  }, [mine?.id]);

  const run = async (action: () => Promise<ReviewView | undefined>) => {
    setBusy(true);
    setError('');
    try {
      const review = await action();
      setEditing(false);
      setConfirmDelete(false);
      onChanged(review);
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (rating === undefined) return setError('Pick a rating from half a star to five stars');
    const review_text = text.trim() || null;
    void run(() => (mine ? client.editReview(mine.id, { rating, review_text }) : client.review({ album_id: albumId, rating, review_text })));
  };

  if (mine && !editing)
    return (
      <section class="my-review card" aria-labelledby="my-review">
        <h2 id="my-review">Your review</h2>
        <p class="review-meta">
          <StarScore value={mine.rating} label={starsText(mine.rating)} />
          <span>{starsText(mine.rating)}</span>
        </p>
        {mine.review_text && <p class="review-text">{mine.review_text}</p>}
        <ErrorNote error={error} />
        {confirmDelete ? (
          <div class="row wrap" role="group" aria-label="Confirm">
            <span>Delete your review?</span>
            <button type="button" disabled={busy} onClick={() => run(async () => (await client.deleteReview(mine.id), undefined))}>
              Delete review
            </button>
            <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <div class="row">
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              Edit review
            </button>
            <button type="button" class="secondary" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </div>
        )}
      </section>
    );

  return (
    <form class="my-review card" aria-label={mine ? 'Edit your review' : 'Write a review'} onSubmit={submit}>
      <h2>{mine ? 'Edit your review' : 'Write a review'}</h2>
      <HalfStarInput name={`rating-${albumId}`} value={rating} onChange={setRating} />
      <label>
        Review (optional) <textarea name="review_text" rows={4} maxLength={10_000} value={text} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          {mine ? 'Save review' : 'Publish review'}
        </button>
        {mine && (
          <button type="button" class="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function Reviews({ albumId, version }: { albumId: string; version: number }) {
  const { client } = useSession();
  const [sort, setSort] = useState<NonNullable<ReviewPage['sort']>>('recent');
  const [reviews, setReviews] = useState<ReviewView[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    let current = true;
    client
      .albumReviews(albumId, { sort, limit: PAGE })
      .then((page) => {
        if (!current) return;
        setReviews(page.items);
        setNext(page.next);
      })
      .catch((caught) => current && setError(problem(caught)));
    return () => {
      current = false;
    };
  }, [albumId, sort, version]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await client.page<ReviewView>(next);
      setReviews((list) => [...list, ...page.items]);
      setNext(page.next);
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <section class="reviews" aria-labelledby="reviews-title">
      <div class="row wrap spread">
        <h2 id="reviews-title">Reviews</h2>
        <label class="inline">
          Sort reviews
          <select value={sort} onChange={(event) => setSort(event.currentTarget.value as typeof sort)}>
            <option value="recent">Newest first</option>
            <option value="rating">Highest rated first</option>
          </select>
        </label>
      </div>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      {reviews.length === 0 ? (
        <p class="muted">No reviews yet.</p>
      ) : (
        <ul class="review-list" aria-label="Reviews">
          {reviews.map((review) => (
            <li key={review.id} class="review">
              <p class="review-meta">
                <StarScore value={review.rating} label={starsText(review.rating)} />
                <a class="author" href={`/musicians/${review.author.id}`}>
                  {review.author.username}
                </a>
                <time class="muted" dateTime={review.created_at}>
                  {dateTime(review.created_at)}
                </time>
                {review.edited_at && <span class="muted">(edited)</span>}
              </p>
              {review.review_text && <p class="review-text">{review.review_text}</p>}
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" class="secondary" onClick={more}>
          More reviews
        </button>
      )}
    </section>
  );
}

function AlbumForum({ album, onOpened }: { album: AlbumView; onOpened: (roomId: string) => void }) {
  const { client } = useSession();
  const [error, setError] = useState('');
  const open = async () => {
    try {
      onOpened((await client.openRoom({ room_type: 'album', album_id: album.id })).id);
    } catch (caught) {
      setError(problem(caught));
    }
  };
  return (
    <section id="forum" class="forum" aria-labelledby="forum-title">
      <h2 id="forum-title">Forum</h2>
      <ErrorNote error={error} />
      {album.forum_room_id ? (
        <ForumRoom channelId={album.forum_room_id} label={`Forum: ${album.title}`} />
      ) : (
        <p>
          No one has opened this album’s room yet.{' '}
          <button type="button" onClick={open}>
            Open the forum room
          </button>
        </p>
      )}
    </section>
  );
}
