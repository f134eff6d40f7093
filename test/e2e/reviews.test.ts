/**
 * Reviews and forums, black box over real HTTP and WebSocket: one `it` per rule of API.md
 * §Reviews and forums and issue #8, on every dialect, with a clock the tests move by hand.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RiffApiError, type AlbumView, type AnnouncementView, type CreateAlbumInput, type HistoryItemView, type RiffClient, type RoomView } from '../../src/client/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { closeAllSockets, connect } from '../helpers/socket.js';
import { failure, refused, randomTag } from '../helpers/failures.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const emptyHistogram = { '0.5': 0, '1': 0, '1.5': 0, '2': 0, '2.5': 0, '3': 0, '3.5': 0, '4': 0, '4.5': 0, '5': 0 };
const isAnnouncement = (item: HistoryItemView): item is AnnouncementView => item.kind === 'announcement';

/** The histogram of these ratings, as the API shows it. */
function histogramOf(ratings: number[]): Record<string, number> {
  const histogram: Record<string, number> = { ...emptyHistogram };
  for (const rating of ratings) histogram[String(rating)]! += 1;
  return histogram;
}

const mean = (ratings: number[]) => ratings.reduce((sum, r) => sum + r, 0) / ratings.length;

interface Player {
  client: RiffClient;
  id: string;
  token: string;
  username: string;
}

describeEachDialect('reviews and forums', (dialect) => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect, { clock });
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  async function player(): Promise<Player> {
    const client = server.client();
    const user = await client.signUp(newMusician({ first_name: 'Rita', last_name: randomTag() }));
    return { client, id: user.id, token: user.token, username: user.username! };
  }

  function album(by: Player, input: Partial<CreateAlbumInput> = {}): Promise<AlbumView> {
    return by.client.addAlbum({ title: `Album ${randomTag()}`, artist: `Band ${randomTag()}`, ...input });
  }

  /** `count` players who each review `albumId` with the rating at their index. */
  async function reviewedBy(albumId: string, ratings: number[]): Promise<void> {
    const players = await Promise.all(ratings.map(() => player()));
    await Promise.all(players.map((p, i) => p.client.review({ album_id: albumId, rating: ratings[i]! })));
  }

  async function admin(): Promise<Player> {
    const someone = await player();
    await server.riff.accounts.grantAdmin(server.riff.storage.db, someone.username);
    return someone;
  }

  describe('albums: POST /v1/albums, GET /v1/albums/{id}', () => {
    it('adds an album: 201 with title, artist, year, genres (slugs), cover_url and an empty score', async () => {
      const ann = await player();
      const title = `In Rainbows ${randomTag()}`;
      const { status, data } = await ann.client.request<AlbumView>('POST', '/v1/albums', {
        title,
        artist: 'Radiohead',
        year: 2007,
        genres: ['art-rock', 'alternative-rock'],
        cover_url: 'https://example.com/in-rainbows.jpg',
      });
      expect(status).toBe(201);
      expect(data).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        title,
        artist: 'Radiohead',
        year: 2007,
        genres: ['art-rock', 'alternative-rock'],
        cover_url: 'https://example.com/in-rainbows.jpg',
        added_by: ann.id,
        created_at: expect.stringMatching(ISO),
        rating: { count: 0, average: 0, weighted: expect.any(Number), histogram: emptyHistogram },
        forum_room_id: null,
      });
      expect(await ann.client.album(data.id)).toEqual(data);
    });

    it('the same artist and title ignoring case and whitespace is 409 album_exists with details [{resource: "album", id}]', async () => {
      const ann = await player();
      const tag = randomTag();
      const first = await ann.client.addAlbum({ title: `The Dark Side of the Moon ${tag}`, artist: 'Pink Floyd' });
      const bob = await player();
      for (const [title, artist] of [
        [`the dark side of the moon ${tag}`, 'pink floyd'],
        [`  THE  DARK SIDE OF THE MOON ${tag} `, 'Pink   Floyd'],
        [`TheDarkSideoftheMoon${tag}`, 'PinkFloyd'],
      ] as const) {
        const error = await refused(bob.client.addAlbum({ title, artist }), 409, 'album_exists');
        expect(error.body.details).toEqual([{ resource: 'album', id: first.id }]);
      }
      // Another artist's album of that title is another album.
      expect((await bob.client.addAlbum({ title: `The Dark Side of the Moon ${tag}`, artist: 'A Tribute Band' })).id).not.toBe(first.id);
    });

    it('two people adding the same album at once get one album and one 409 naming it', async () => {
      const [ann, bob] = await Promise.all([player(), player()]);
      const input = { title: `Blue ${randomTag()}`, artist: 'Joni Mitchell' };
      const results = await Promise.allSettled([ann.client.addAlbum(input), bob.client.addAlbum(input)]);
      const added = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const conflicts = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as RiffApiError] : []));
      expect(added).toHaveLength(1);
      expect(conflicts.map((e) => [e.status, e.code, e.body.details])).toEqual([[409, 'album_exists', [{ resource: 'album', id: added[0]!.id }]]]);
    });

    it('invalid albums are 400 naming the field: blank title, a year as text, a future year, a genre that is not a slug, a bad cover URL', async () => {
      const ann = await player();
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ title: '   ', artist: 'Someone' }, 'title'],
        [{ artist: 'Someone' }, 'title'],
        [{ title: 'Something', artist: 123 }, 'artist'],
        [{ title: 'Something', artist: 'Someone', year: '1999' }, 'year'],
        [{ title: 'Something', artist: 'Someone', year: 2999 }, 'year'],
        [{ title: 'Something', artist: 'Someone', genres: ['Hip Hop'] }, 'genres.0'],
        [{ title: 'Something', artist: 'Someone', genres: 'rock' }, 'genres'],
        [{ title: 'Something', artist: 'Someone', cover_url: 'not a url' }, 'cover_url'],
      ];
      for (const [body, field] of cases) {
        const error = await refused(ann.client.request('POST', '/v1/albums', body), 400, 'validation_failed');
        expect(error.body.details.map((d) => d.field), JSON.stringify(body)).toContain(field);
      }
    });

    it('an unknown album is 404', async () => {
      const ann = await player();
      await refused(ann.client.album('no-such-album'), 404, 'not_found');
      await refused(ann.client.albumReviews('no-such-album'), 404, 'not_found');
      await refused(ann.client.review({ album_id: 'no-such-album', rating: 4 }), 404, 'not_found');
    });

    it('guests get 403 on album, review and forum room routes; no token is 401', async () => {
      const ann = await player();
      const someAlbum = await album(ann);
      const guest = server.client();
      await guest.guest();
      await refused(guest.albums(), 403, 'guest_forbidden');
      await refused(guest.addAlbum({ title: 'x', artist: 'y' }), 403, 'guest_forbidden');
      await refused(guest.album(someAlbum.id), 403, 'guest_forbidden');
      await refused(guest.review({ album_id: someAlbum.id, rating: 4 }), 403, 'guest_forbidden');
      await refused(guest.albumReviews(someAlbum.id), 403, 'guest_forbidden');
      await refused(guest.openRoom({ room_type: 'album', album_id: someAlbum.id }), 403, 'guest_forbidden');
      await refused(guest.rooms(), 403, 'guest_forbidden');
      await refused(server.client().review({ album_id: someAlbum.id, rating: 4 }), 401, 'unauthorized');
    });
  });

  describe('finding albums: GET /v1/albums', () => {
    it('q matches part of the title or the artist in any case; artist part of the artist; genre a whole slug', async () => {
      const ann = await player();
      const tag = randomTag();
      const genre = `genre-${tag}`;
      const computer = await album(ann, { title: `OK Computer ${tag}`, artist: `Radiohead ${tag}`, genres: [genre] });
      const amnesiac = await album(ann, { title: `Amnesiac ${tag}`, artist: `Radiohead ${tag}`, genres: [`${genre}-extra`] });
      const mezzanine = await album(ann, { title: `Mezzanine ${tag}`, artist: `Massive Attack ${tag}`, genres: [genre] });
      const ids = async (filter: Parameters<RiffClient['albums']>[0]) => (await ann.client.albums(filter)).items.map((a) => a.id).sort();
      expect(await ids({ q: `COMPUTER ${tag}` })).toEqual([computer.id]);
      expect(await ids({ q: `head ${tag}` })).toEqual([computer.id, amnesiac.id].sort());
      expect(await ids({ q: tag })).toEqual([computer.id, amnesiac.id, mezzanine.id].sort());
      expect(await ids({ artist: `massive attack ${tag}` })).toEqual([mezzanine.id]);
      expect(await ids({ genre })).toEqual([computer.id, mezzanine.id].sort());
      expect(await ids({ genre, q: 'ok comp' })).toEqual([computer.id]);
      expect(await ids({ q: `100%_${tag}` })).toEqual([]);
      await refused(ann.client.albums({ genre: 'not a slug!' }), 400, 'validation_failed');
      await refused(ann.client.albums({ sort: 'best' as never }), 400, 'validation_failed');
    });

    it('sort=recent lists the newest first and sort=most_reviewed the most reviewed, paged with Link: rel="next"', async () => {
      const ann = await player();
      const genre = `paged-${randomTag()}`;
      const made: AlbumView[] = [];
      for (let i = 0; i < 5; i++) made.push(await album(ann, { genres: [genre] }));
      await reviewedBy(made[1]!.id, [3, 4, 5]);
      await reviewedBy(made[3]!.id, [1]);
      await reviewedBy(made[4]!.id, [2, 2]);

      const all = async (sort: 'recent' | 'most_reviewed' | 'top') => {
        const seen: string[] = [];
        let page = await ann.client.albums({ genre, sort, limit: 2 });
        for (;;) {
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((a) => a.id));
          if (!page.next) return seen;
          page = await ann.client.page<AlbumView>(page.next);
        }
      };
      expect(await all('recent')).toEqual(made.map((a) => a.id).reverse());
      const mostReviewed = await all('most_reviewed');
      expect(mostReviewed.slice(0, 3)).toEqual([made[1]!.id, made[4]!.id, made[3]!.id]);
      expect(new Set(mostReviewed.slice(3))).toEqual(new Set([made[0]!.id, made[2]!.id]));
      // Two albums tie at the prior (no reviews): the id breaks the tie, also across a page boundary.
      const top = (await ann.client.albums({ genre, sort: 'top', limit: 100 })).items.map((a) => a.id);
      expect(new Set(top)).toEqual(new Set(made.map((a) => a.id)));
      expect(await all('top')).toEqual(top);
    });

    it('sort=top orders by the weighted (Bayesian) score: one 5-star review does not top ten 5-star reviews, and weighted is pulled from the album’s average toward the mean of every review', async () => {
      const ann = await player();
      const genre = `top-${randomTag()}`;
      const once = await album(ann, { genres: [genre] });
      const loved = await album(ann, { genres: [genre] });
      const panned = await album(ann, { genres: [genre] });
      await reviewedBy(once.id, [5]);
      await reviewedBy(loved.id, Array.from({ length: 10 }, () => 5));
      await reviewedBy(panned.id, [1, 0.5, 1]);
      const { items } = await ann.client.albums({ genre, sort: 'top' });
      expect(items.map((a) => a.id)).toEqual([loved.id, once.id, panned.id]);
      const [lovedView, onceView, pannedView] = items;
      expect(onceView!.rating.average).toBe(5);
      expect(onceView!.rating.weighted).toBeLessThan(lovedView!.rating.weighted);
      expect(lovedView!.rating.weighted).toBeLessThan(5);
      expect(pannedView!.rating.weighted).toBeGreaterThan(pannedView!.rating.average);
      expect(typeof lovedView!.rating.weighted).toBe('number');
      expect((await ann.client.album(loved.id)).rating.weighted).toBe(lovedView!.rating.weighted);
    });
  });

  describe('reviews: POST /v1/reviews, PUT / DELETE /v1/reviews/{id}', () => {
    it('ratings are 0.5 to 5 in steps of 0.5: 0.5 and 5 are accepted and come back as JSON numbers', async () => {
      const someAlbum = await album(await player());
      const low = await player();
      const high = await player();
      const { status, data } = await low.client.request<{ rating: unknown }>('POST', '/v1/reviews', { album_id: someAlbum.id, rating: 0.5 });
      expect(status).toBe(201);
      expect(data.rating).toBe(0.5);
      expect((await high.client.review({ album_id: someAlbum.id, rating: 5, review_text: 'Perfect' })).rating).toBe(5);
      const { rating } = await low.client.album(someAlbum.id);
      expect(rating).toEqual({ count: 2, average: 2.75, weighted: expect.any(Number), histogram: { ...emptyHistogram, '0.5': 1, '5': 1 } });
    });

    it('0, 5.5, 3.3, -1, "4", "four", true and null are not ratings: 400 naming rating, nothing stored', async () => {
      const someAlbum = await album(await player());
      const critic = await player();
      for (const rating of [0, 5.5, 3.3, -1, 4.25, '4', 'four', true, null, [4], { stars: 4 }]) {
        const error = await refused(critic.client.request('POST', '/v1/reviews', { album_id: someAlbum.id, rating }), 400, 'validation_failed');
        expect(error.body.details.map((d) => d.field), JSON.stringify(rating)).toContain('rating');
      }
      await refused(critic.client.request('POST', '/v1/reviews', { album_id: someAlbum.id }), 400, 'validation_failed');
      expect((await critic.client.album(someAlbum.id)).rating.count).toBe(0);
      // The same rule on edits.
      const review = await critic.client.review({ album_id: someAlbum.id, rating: 3 });
      for (const rating of [0, 5.5, 3.3, '4']) await refused(critic.client.request('PUT', `/v1/reviews/${review.id}`, { rating }), 400, 'validation_failed');
      expect((await critic.client.album(someAlbum.id)).rating).toMatchObject({ count: 1, average: 3 });
    });

    it('review text is optional, kept exactly as sent, at most 10,000 characters; whitespace-only text is empty', async () => {
      const someAlbum = await album(await player());
      const [a, b, c, d] = await Promise.all([player(), player(), player(), player()]);
      expect((await a.client.review({ album_id: someAlbum.id, rating: 4 })).review_text).toBe('');
      const long = '🎸'.repeat(10_000);
      expect((await b.client.review({ album_id: someAlbum.id, rating: 4, review_text: long })).review_text).toBe(long);
      expect((await c.client.review({ album_id: someAlbum.id, rating: 4, review_text: '   ' })).review_text).toBe('');
      const error = await refused(d.client.review({ album_id: someAlbum.id, rating: 4, review_text: 'x'.repeat(10_001) }), 400, 'validation_failed');
      expect(error.body.details.map((e) => e.field)).toContain('review_text');
      await refused(d.client.request('POST', '/v1/reviews', { album_id: someAlbum.id, rating: 4, review_text: 42 }), 400, 'validation_failed');
    });

    it('a review shows its album, author, rating and text', async () => {
      const ann = await player();
      const someAlbum = await album(ann, { year: 1971 });
      const review = await ann.client.review({ album_id: someAlbum.id, rating: 4.5, review_text: 'Warm and strange' });
      expect(review).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        album_id: someAlbum.id,
        album: { id: someAlbum.id, title: someAlbum.title, artist: someAlbum.artist, year: 1971, cover_url: null },
        author: { id: ann.id, username: ann.username, first_name: 'Rita', last_name: expect.any(String), photo_url: null },
        rating: 4.5,
        review_text: 'Warm and strange',
        created_at: expect.stringMatching(ISO),
        edited_at: null,
      });
    });

    it('one review per user per album: a second is 409 review_exists with details [{resource: "review", id}]', async () => {
      const someAlbum = await album(await player());
      const critic = await player();
      const first = await critic.client.review({ album_id: someAlbum.id, rating: 4 });
      const error = await refused(critic.client.review({ album_id: someAlbum.id, rating: 2 }), 409, 'review_exists');
      expect(error.body.details).toEqual([{ resource: 'review', id: first.id }]);
      // At once, too: one of two concurrent reviews wins.
      const other = await album(await player());
      const results = await Promise.allSettled([critic.client.review({ album_id: other.id, rating: 1 }), critic.client.review({ album_id: other.id, rating: 5 })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as RiffApiError).code] : []))).toEqual(['review_exists']);
      expect((await critic.client.album(someAlbum.id)).rating.count).toBe(1);
      expect((await critic.client.album(other.id)).rating.count).toBe(1);
    });

    it('the average and the histogram are exact after creates, edits and deletes', async () => {
      const someAlbum = await album(await player());
      const critics = await Promise.all([player(), player(), player(), player()]);
      const reviews = [];
      const ratings = [3.5, 4, 5, 0.5];
      for (const [i, critic] of critics.entries()) reviews.push(await critic.client.review({ album_id: someAlbum.id, rating: ratings[i]! }));
      const score = async () => (await critics[0]!.client.album(someAlbum.id)).rating;
      expect(await score()).toMatchObject({ count: 4, average: mean(ratings), histogram: histogramOf(ratings) });

      await critics[1]!.client.editReview(reviews[1]!.id, { rating: 2.5 });
      expect(await score()).toMatchObject({ count: 4, average: mean([3.5, 2.5, 5, 0.5]), histogram: histogramOf([3.5, 2.5, 5, 0.5]) });

      // Editing only the text leaves the score alone.
      const edited = await critics[2]!.client.editReview(reviews[2]!.id, { review_text: 'Changed my mind about the words' });
      expect(edited).toMatchObject({ rating: 5, review_text: 'Changed my mind about the words', edited_at: expect.stringMatching(ISO) });
      expect(await score()).toMatchObject({ count: 4, average: mean([3.5, 2.5, 5, 0.5]) });

      await critics[3]!.client.deleteReview(reviews[3]!.id);
      expect(await score()).toMatchObject({ count: 3, average: mean([3.5, 2.5, 5]), histogram: histogramOf([3.5, 2.5, 5]) });

      for (const [i, critic] of critics.slice(0, 3).entries()) await critic.client.deleteReview(reviews[i]!.id);
      expect(await score()).toMatchObject({ count: 0, average: 0, histogram: emptyHistogram });
      // A deleted review can be written again.
      await critics[3]!.client.review({ album_id: someAlbum.id, rating: 1.5 });
      expect(await score()).toMatchObject({ count: 1, average: 1.5, histogram: histogramOf([1.5]) });
    });

    it('50 concurrent reviews of one album by 50 users: count 50, the exact average and histogram', async () => {
      const someAlbum = await album(await player());
      const critics = await Promise.all(Array.from({ length: 50 }, () => player()));
      const ratings = critics.map((_, i) => ((i * 7) % 10) / 2 + 0.5);
      const created = await Promise.all(critics.map((critic, i) => critic.client.review({ album_id: someAlbum.id, rating: ratings[i]! })));
      expect(new Set(created.map((r) => r.id)).size).toBe(50);
      const { rating } = await critics[0]!.client.album(someAlbum.id);
      expect(rating).toEqual({ count: 50, average: mean(ratings), weighted: expect.any(Number), histogram: histogramOf(ratings) });

      // Concurrent edits and deletes keep it exact as well.
      const edits = critics.slice(0, 25).map((critic, i) => critic.client.editReview(created[i]!.id, { rating: 5 }));
      const deletes = critics.slice(25, 40).map((critic, i) => critic.client.deleteReview(created[25 + i]!.id));
      await Promise.all([...edits, ...deletes]);
      const remaining = [...Array.from({ length: 25 }, () => 5), ...ratings.slice(40)];
      expect((await critics[0]!.client.album(someAlbum.id)).rating).toEqual({ count: 35, average: mean(remaining), weighted: expect.any(Number), histogram: histogramOf(remaining) });
    });

    it('only its author edits or deletes a review (403); an unknown review is 404', async () => {
      const someAlbum = await album(await player());
      const author = await player();
      const other = await player();
      const review = await author.client.review({ album_id: someAlbum.id, rating: 4 });
      await refused(other.client.editReview(review.id, { rating: 1 }), 403, 'forbidden');
      await refused(other.client.deleteReview(review.id), 403, 'forbidden');
      await refused(author.client.request('PUT', `/v1/reviews/${review.id}`, {}), 400, 'validation_failed');
      expect((await author.client.album(someAlbum.id)).rating).toMatchObject({ count: 1, average: 4 });
      expect(await author.client.deleteReview(review.id)).toEqual({ id: review.id, album_id: someAlbum.id });
      await refused(author.client.deleteReview(review.id), 404, 'not_found');
      await refused(author.client.editReview('no-such-review', { rating: 3 }), 404, 'not_found');
    });

    it('an album’s reviews at /v1/reviews/album/{albumId} and /v1/albums/{id}/reviews: newest first or by rating, paged with Link', async () => {
      const someAlbum = await album(await player());
      const critics = await Promise.all(Array.from({ length: 5 }, () => player()));
      const ratings = [2, 5, 3.5, 5, 1];
      const reviews = [];
      for (const [i, critic] of critics.entries()) reviews.push(await critic.client.review({ album_id: someAlbum.id, rating: ratings[i]! }));
      const reader = critics[0]!.client;

      const collect = async (path: string, query: Record<string, string | number>) => {
        const seen: Array<{ id: string; rating: number }> = [];
        let page = await reader.page<{ id: string; rating: number }>(path, query);
        for (;;) {
          seen.push(...page.items);
          if (!page.next) return seen;
          page = await reader.page<{ id: string; rating: number }>(page.next);
        }
      };
      const newestFirst = reviews.map((r) => r.id).reverse();
      for (const path of [`/v1/reviews/album/${someAlbum.id}`, `/v1/albums/${someAlbum.id}/reviews`]) {
        expect((await collect(path, { limit: 2 })).map((r) => r.id)).toEqual(newestFirst);
        expect((await collect(path, { sort: 'recent', limit: 3 })).map((r) => r.id)).toEqual(newestFirst);
        const byRating = await collect(path, { sort: 'rating', limit: 2 });
        expect(byRating.map((r) => r.rating)).toEqual([5, 5, 3.5, 2, 1]);
        expect(byRating.slice(0, 2).map((r) => r.id)).toEqual([reviews[3]!.id, reviews[1]!.id]);
      }
      await refused(reader.page(`/v1/albums/${someAlbum.id}/reviews`, { sort: 'loudest' }), 400, 'validation_failed');
      await refused(reader.page(`/v1/albums/${someAlbum.id}/reviews`, { sort: 'rating', after: 'garbage' }), 400, 'validation_failed');
    });

    it('a user’s reviews at /v1/users/{id}/reviews, newest first (me for mine); an unknown user is 404', async () => {
      const critic = await player();
      const albums = [await album(critic), await album(critic), await album(critic)];
      for (const [i, a] of albums.entries()) await critic.client.review({ album_id: a.id, rating: i + 1 });
      const reader = await player();
      const { items, next } = await reader.client.userReviews(critic.id, { limit: 2 });
      expect(items.map((r) => r.album.id)).toEqual([albums[2]!.id, albums[1]!.id]);
      expect(items.every((r) => r.author.id === critic.id)).toBe(true);
      expect((await reader.client.page<{ album_id: string }>(next!)).items.map((r) => r.album_id)).toEqual([albums[0]!.id]);
      expect((await critic.client.userReviews('me')).items.map((r) => r.album_id)).toEqual(albums.map((a) => a.id).reverse());
      expect((await reader.client.userReviews('me')).items).toEqual([]);
      await refused(reader.client.userReviews('no-such-user'), 404, 'not_found');
    });
  });

  describe('forum rooms: POST / GET /v1/forums/rooms, DELETE /v1/forums/rooms/{id}', () => {
    it('opens one room per album: 201 the first time, 200 with the same room after; it is a public channel of kind forum', async () => {
      const ann = await player();
      const someAlbum = await album(ann);
      const { status, data } = await ann.client.request<RoomView>('POST', '/v1/forums/rooms', { room_type: 'album', album_id: someAlbum.id });
      expect(status).toBe(201);
      expect(data).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
        channel_id: data.id,
        room_type: 'album',
        album_id: someAlbum.id,
        album: { id: someAlbum.id, title: someAlbum.title, artist: someAlbum.artist, year: null, cover_url: null },
        genre: null,
        name: `${someAlbum.title} by ${someAlbum.artist}`,
        creator_id: ann.id,
        created_at: expect.stringMatching(ISO),
        closed: false,
        closed_at: null,
        last_seq: 1,
        last_activity_at: expect.stringMatching(ISO),
        member_count: 1,
        online_count: 0,
      });
      const bob = await player();
      const again = await bob.client.openRoom({ room_type: 'album', album_id: someAlbum.id });
      expect(again).toMatchObject({ id: data.id, created: false });
      expect((await bob.client.album(someAlbum.id)).forum_room_id).toBe(data.id);
      const channel = (await bob.client.publicChannels()).find((c) => c.id === data.id);
      expect(channel).toMatchObject({ kind: 'forum', private: false, creator_id: ann.id });
      expect(await bob.client.room(data.id)).toEqual(data);
    });

    it('opens one room per genre, also when two ask at once', async () => {
      const [ann, bob] = await Promise.all([player(), player()]);
      const genre = `shoegaze-${randomTag()}`;
      const [first, second] = await Promise.all([ann.client.openRoom({ room_type: 'genre', genre }), bob.client.openRoom({ room_type: 'genre', genre })]);
      expect(first!.id).toBe(second!.id);
      expect([first!.created, second!.created].sort()).toEqual([false, true]);
      expect(first).toMatchObject({ room_type: 'genre', genre, album_id: null, album: null, name: `Genre: ${genre}` });
      expect((await ann.client.rooms({ limit: 100 })).items.filter((r) => r.genre === genre)).toHaveLength(1);
    });

    it('a room names what it is about: 400 naming album_id or genre when it is missing, doubled or malformed; 404 for an unknown album', async () => {
      const ann = await player();
      const someAlbum = await album(ann);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ room_type: 'album' }, 'album_id'],
        [{ room_type: 'genre' }, 'genre'],
        [{ room_type: 'album', album_id: someAlbum.id, genre: 'jazz' }, 'genre'],
        [{ room_type: 'genre', genre: 'jazz', album_id: someAlbum.id }, 'album_id'],
        [{ room_type: 'genre', genre: 'Free Jazz' }, 'genre'],
        [{ room_type: 'artist', genre: 'jazz' }, 'room_type'],
      ];
      for (const [body, field] of cases) {
        const error = await refused(ann.client.request('POST', '/v1/forums/rooms', body), 400, 'validation_failed');
        expect(error.body.details.map((d) => d.field), JSON.stringify(body)).toContain(field);
      }
      await refused(ann.client.openRoom({ room_type: 'album', album_id: 'no-such-album' }), 404, 'not_found');
    });

    it('a message sent in a forum room reaches a second socket, and the sender joins the room by posting', async () => {
      const ann = await player();
      const bob = await player();
      const room = await ann.client.openRoom({ room_type: 'album', album_id: (await album(ann)).id });
      const onAnn = await connect(server.url, { token: ann.token });
      const onBob = await connect(server.url, { token: bob.token });
      onBob.send({ type: 'subscribe', channel_id: room.id, after_seq: room.last_seq });
      onAnn.send({ type: 'send', channel_id: room.id, body: 'Side B is the best', nonce: 'n-1' });
      const ack = await onAnn.next('ack');
      const delivered = await onBob.next('message.created', (f) => f.channel_id === room.id);
      expect(delivered).toEqual({ type: 'message.created', channel_id: room.id, seq: ack.data.seq, data: { ...ack.data, reactions: [] } });
      expect(delivered.data.body).toBe('Side B is the best');

      // Bob answers over REST: he becomes a member, and Ann's socket gets it.
      const reply = await bob.client.post(room.id, { body: 'Side A, surely' });
      expect(await onAnn.next('message.created', (f) => f.channel_id === room.id && f.seq === reply.seq)).toMatchObject({ data: { body: 'Side A, surely' } });
      expect((await ann.client.members(room.id)).map((m) => m.id).sort()).toEqual([ann.id, bob.id].sort());
    });

    it('lists open rooms most recently active first, with online count (members with a socket open) and last activity', async () => {
      const ann = await player();
      const bob = await player();
      const quiet = await ann.client.openRoom({ room_type: 'genre', genre: `quiet-${randomTag()}` });
      clock.advance(60_000);
      const busy = await ann.client.openRoom({ room_type: 'genre', genre: `busy-${randomTag()}` });
      clock.advance(60_000);
      await bob.client.post(quiet.id, { body: 'anyone here?' });
      const onBob = await connect(server.url, { token: bob.token });
      const { items } = await ann.client.rooms({ limit: 100 });
      const order = items.map((r) => r.id);
      expect(order.indexOf(quiet.id)).toBeLessThan(order.indexOf(busy.id));
      expect(items.map((r) => Date.parse(r.last_activity_at))).toEqual(items.map((r) => Date.parse(r.last_activity_at)).sort((x, y) => y - x));
      const listed = items.find((r) => r.id === quiet.id)!;
      expect(listed).toMatchObject({ member_count: 2, online_count: 1, last_seq: 3, closed: false });
      expect(Date.parse(listed.last_activity_at)).toBe(clock.now());
      expect(items.find((r) => r.id === busy.id)).toMatchObject({ member_count: 1, online_count: 0 });
      await onBob.close();

      // Paged with Link: every open room once.
      const seen: string[] = [];
      let page = await ann.client.rooms({ limit: 1 });
      for (;;) {
        seen.push(...page.items.map((r) => r.id));
        if (!page.next) break;
        page = await ann.client.page<RoomView>(page.next);
      }
      expect(seen).toEqual(order);
    });

    it('closing a room (its creator): history stays readable with a channel_closed announcement; REST posts get 422 channel_closed and WebSocket sends an error frame; it leaves the list', async () => {
      const ann = await player();
      const bob = await player();
      const room = await ann.client.openRoom({ room_type: 'album', album_id: (await album(ann)).id });
      const said = await bob.client.post(room.id, { body: 'Before the close' });
      const onBob = await connect(server.url, { token: bob.token });

      await refused(bob.client.closeRoom(room.id), 403, 'forbidden');
      const closed = await ann.client.closeRoom(room.id);
      expect(closed).toMatchObject({ id: room.id, closed: true, closed_at: expect.stringMatching(ISO) });
      const frame = await onBob.next('channel.updated', (f) => f.channel_id === room.id);
      expect(frame.data).toMatchObject({ id: room.id, kind: 'forum', closed_at: closed.closed_at });
      expect(frame.announcement).toMatchObject({ kind: 'announcement', announcement: { type: 'channel_closed', user_id: ann.id } });

      await refused(bob.client.post(room.id, { body: 'After the close' }), 422, 'channel_closed');
      await refused(ann.client.post(room.id, { body: 'Not even the creator' }), 422, 'channel_closed');
      await refused(bob.client.editMessage(said.id, 'rewritten after the close'), 422, 'channel_closed');
      onBob.send({ type: 'send', channel_id: room.id, body: 'Over the socket', nonce: 'after-close' });
      expect(await onBob.next('error')).toEqual({ type: 'error', nonce: 'after-close', code: 'channel_closed', message: expect.any(String) });

      const history = (await bob.client.history(room.id)).items;
      expect(history.map((item) => item.body)).toContain('Before the close');
      expect(history.some((item) => item.body.includes('close') && item.kind === 'message' && item.body !== 'Before the close')).toBe(false);
      expect(history.filter(isAnnouncement).at(-1)!.announcement).toEqual({ type: 'channel_closed', user_id: ann.id });
      expect((await ann.client.rooms({ limit: 100 })).items.map((r) => r.id)).not.toContain(room.id);
      expect(await bob.client.room(room.id)).toMatchObject({ closed: true });
      // Closing again changes nothing; asking for the album's room answers with the closed one.
      expect(await ann.client.closeRoom(room.id)).toMatchObject({ closed: true, last_seq: closed.last_seq });
      expect(await bob.client.openRoom({ room_type: 'album', album_id: room.album_id! })).toMatchObject({ id: room.id, closed: true, created: false });
    });

    it('an admin may close anyone’s room; a forum room cannot be deleted through the channel API; an unknown room is 404', async () => {
      const ann = await player();
      const room = await ann.client.openRoom({ room_type: 'genre', genre: `drone-${randomTag()}` });
      await refused(ann.client.deleteChannel(room.id), 403, 'channel_protected');
      const moderator = await admin();
      expect(await moderator.client.closeRoom(room.id)).toMatchObject({ closed: true });
      await refused(moderator.client.closeRoom('no-such-room'), 404, 'not_found');
      await refused(moderator.client.room('no-such-room'), 404, 'not_found');
    });
  });
});
