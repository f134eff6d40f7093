import type { Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/auth.js';
import { blankToEmpty } from '../../platform/http/validation.js';
import type { IdGenerator } from '../../platform/ids.js';
import { inTransaction, uniqueViolation, type Database } from '../../platform/storage/database.js';
import type { AlbumRow, ForumRoomRow, ReviewRow } from '../../platform/storage/tables.js';
import { displayName, type AccountsService, type PublicProfile } from '../accounts/index.js';
import type { ChannelActivity, ChannelsService } from '../channels/index.js';
import { presentAlbum, presentReview, presentRoom, weightedScore } from './present.js';
import type { AlbumCursor, AlbumListing, Prior, ReviewCursor, ReviewsRepository } from './repository.js';
import type {
  AlbumFilter,
  AlbumSort,
  AlbumView,
  CreateAlbumInput,
  CreateReviewInput,
  CreateRoomInput,
  HalfStars,
  ReviewPage,
  ReviewSort,
  ReviewView,
  RoomView,
  UpdateReviewInput,
} from './schema.js';

export interface ReviewsDeps {
  clock: Clock;
  ids: IdGenerator;
  accounts: AccountsService;
  channels: ChannelsService;
  /** Who has a socket open on any node (the gateway knows): a room's online count. */
  presence: { onlineAmong(userIds: readonly string[]): Promise<Set<string>> };
  repo: ReviewsRepository;
}

/**
 * How many imagined reviews at the mean of every review an album's own reviews are weighed
 * against in the `top` sort: one 5-star review lifts an album a little, many lift it a lot.
 */
const PRIOR_REVIEWS = 5;
const DEFAULT_PAGE = 50;
const GENRE_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const invalid = (field: string, message: string) => new RiffError('validation_failed', `${field} ${message}`, [{ field, message }]);

/** What makes two albums the same: artist and title, ignoring case and whitespace. */
const identityKey = (text: string) => text.replace(/\s+/gu, '').toLowerCase();

/** Stars as validated at the edge (0.5..5 in steps of 0.5) as the half-stars Riff stores. */
const halfStarsOf = (stars: number) => Math.round(stars * 2) as HalfStars;

/** `<value>.<id>` cursors: the id (which has no dot) follows the last dot. */
function splitCursor(cursor: string): { value: string; id: string } {
  const dot = cursor.lastIndexOf('.');
  return { value: cursor.slice(0, dot), id: cursor.slice(dot + 1) };
}

const badCursor = () => invalid('after', 'is not a cursor of this list; follow the Link header');

function parseAlbumCursor(sort: AlbumSort, cursor: string | undefined): AlbumCursor | undefined {
  if (cursor === undefined) return undefined;
  if (sort === 'recent') {
    if (cursor.includes('.')) throw badCursor();
    return { sort, id: cursor };
  }
  const { value, id } = splitCursor(cursor);
  const number = value === '' ? NaN : Number(value);
  if (!Number.isFinite(number) || id === '') throw badCursor();
  return sort === 'top' ? { sort, weighted: number, id } : { sort, count: number, id };
}

function parseReviewCursor(sort: ReviewSort, cursor: string | undefined): ReviewCursor | undefined {
  if (cursor === undefined) return undefined;
  if (sort === 'recent') {
    if (cursor.includes('.')) throw badCursor();
    return { sort, id: cursor };
  }
  const { value, id } = splitCursor(cursor);
  if (!/^\d{1,2}$/.test(value) || id === '') throw badCursor();
  return { sort, rating: Number(value), id };
}

function parseRoomCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const dot = cursor.indexOf('.');
  return { at: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}

export function reviewsService(deps: ReviewsDeps) {
  const { clock, ids, accounts, channels, presence, repo } = deps;

  async function profileOf(db: Database, userId: string): Promise<PublicProfile> {
    const profile = (await accounts.profiles(db, [userId])).get(userId);
    if (!profile || profile.role === 'guest') throw new RiffError('not_found', 'No such user');
    const { role: _role, ...view } = profile;
    return view;
  }

  /** The mean of every review, the prior of each album's weighted score. */
  async function prior(db: Database): Promise<Prior> {
    const { sum, count } = await repo.globalScore(db);
    return { weight: PRIOR_REVIEWS, mean: count === 0 ? 0 : sum / (2 * count) };
  }

  async function albumView(db: Database, albumId: string): Promise<AlbumView> {
    const album = await repo.findAlbum(db, albumId);
    if (!album) throw new RiffError('not_found', 'No such album');
    return presentAlbum(album, await prior(db));
  }

  async function presentReviews(db: Database, rows: ReviewRow[]): Promise<ReviewView[]> {
    const albums = new Map((await repo.albumsByIds(db, [...new Set(rows.map((r) => r.album_id))])).map((a) => [a.id, a]));
    const authors = await accounts.profiles(db, rows.map((r) => r.author_id));
    return rows.map((row) => {
      const { role: _role, ...author } = authors.get(row.author_id)!;
      return presentReview(row, albums.get(row.album_id)!, author);
    });
  }

  const reviewView = async (db: Database, row: ReviewRow) => (await presentReviews(db, [row]))[0]!;

  /** A review and its album, the album locked and the review read again under that lock. */
  async function lockedReview(trx: Database, reviewId: string): Promise<ReviewRow> {
    const found = await repo.findReview(trx, reviewId);
    if (!found) throw new RiffError('not_found', 'No such review');
    await repo.lockAlbum(trx, found.album_id);
    const review = await repo.findReview(trx, reviewId);
    if (!review) throw new RiffError('not_found', 'No such review');
    return review;
  }

  function assertAuthor(me: Identity, review: ReviewRow, doing: string): void {
    if (review.author_id !== me.userId) throw new RiffError('forbidden', `Only its author can ${doing} a review`);
  }

  /** What a room is about, from `room_type` and the one field that goes with it. */
  function roomSubject(input: CreateRoomInput): { albumId: string } | { genre: string } {
    if (input.room_type === 'album') {
      if (input.genre !== undefined) throw invalid('genre', 'is for genre rooms; an album room names album_id');
      if (input.album_id === undefined) throw invalid('album_id', 'is required for an album room');
      return { albumId: input.album_id };
    }
    if (input.album_id !== undefined) throw invalid('album_id', 'is for album rooms; a genre room names genre');
    if (input.genre === undefined) throw invalid('genre', 'is required for a genre room');
    return { genre: input.genre };
  }

  /** Rooms as everyone sees them, with their channels' activity and who of their members is online. */
  async function presentRooms(db: Database, rooms: ForumRoomRow[], activity: Map<string, ChannelActivity>): Promise<RoomView[]> {
    const albumIds = rooms.flatMap((r) => (r.album_id ? [r.album_id] : []));
    const albums = new Map((await repo.albumsByIds(db, albumIds)).map((a) => [a.id, a]));
    const online = await presence.onlineAmong([...new Set([...activity.values()].flatMap((c) => c.member_ids))]);
    return rooms.flatMap((room) => {
      const channel = activity.get(room.channel_id);
      return channel ? [presentRoom(room, channel, room.album_id ? albums.get(room.album_id) : undefined, online)] : [];
    });
  }

  async function roomView(db: Database, room: ForumRoomRow): Promise<RoomView> {
    const [view] = await presentRooms(db, [room], await channels.activity(db, [room.channel_id]));
    if (!view) throw new RiffError('not_found', 'No such forum room');
    return view;
  }

  async function findRoom(db: Database, roomId: string): Promise<ForumRoomRow> {
    const room = await repo.findRoom(db, roomId);
    if (!room) throw new RiffError('not_found', 'No such forum room');
    return room;
  }

  /** Opens the room about `about` in one transaction; the room that is already there otherwise. */
  async function openRoomOnce(db: Database, me: Identity, about: { albumId: string } | { genre: string }): Promise<{ room: ForumRoomRow; created: boolean }> {
    return inTransaction(db, async (trx) => {
      let album: AlbumRow | undefined;
      if ('albumId' in about) {
        // Under the album's lock two people opening its room at once get one room.
        if (!(await repo.lockAlbum(trx, about.albumId))) throw new RiffError('not_found', 'No such album');
        album = (await repo.albumsByIds(trx, [about.albumId]))[0];
      }
      const existing = await repo.findRoomAbout(trx, about);
      if (existing) return { room: existing, created: false };
      const opener = await profileOf(trx, me.userId);
      const subject = album ? `${album.title} by ${album.artist}` : (about as { genre: string }).genre;
      const channelId = await channels.openOwnedChannel(trx, {
        kind: 'forum',
        name: album ? subject : `Genre: ${subject}`,
        description: `Talk about ${subject}`,
        creatorId: me.userId,
        announcement: `${displayName(opener)} opened the room about ${subject}`,
      });
      const room: ForumRoomRow = {
        channel_id: channelId,
        room_type: album ? 'album' : 'genre',
        album_id: album?.id ?? null,
        genre: album ? null : subject,
        creator_id: me.userId,
        created_at: clock.now(),
      };
      await repo.insertRoom(trx, room);
      return { room, created: true };
    });
  }

  return {
    /** Adds an album; the same artist and title (any case, any spacing) is a 409 naming the one there. */
    async addAlbum(db: Database, addedBy: string | null, input: CreateAlbumInput): Promise<AlbumView> {
      const now = clock.now();
      const year = input.year ?? null;
      if (year !== null && year > new Date(now).getUTCFullYear() + 1) throw invalid('year', 'must not be later than next year');
      const artistKey = identityKey(input.artist);
      const titleKey = identityKey(input.title);
      const conflict = (id: string) => new RiffError('album_exists', `${input.title} by ${input.artist} is already in Riff`, [{ resource: 'album', id }]);
      const id = ids.next();
      try {
        await inTransaction(db, async (trx) => {
          const existing = await repo.findAlbumByKey(trx, artistKey, titleKey);
          if (existing) throw conflict(existing.id);
          await repo.insertAlbum(trx, {
            id,
            title: input.title,
            artist: input.artist,
            title_key: titleKey,
            artist_key: artistKey,
            year,
            genres: JSON.stringify(input.genres ?? []),
            cover_url: input.cover_url ?? null,
            added_by: addedBy,
            created_at: now,
          });
        });
      } catch (error) {
        // Two people added it at once: the loser is told about the winner's album.
        if (!uniqueViolation(error)) throw error;
        const winner = await repo.findAlbumByKey(db, artistKey, titleKey);
        if (!winner) throw error;
        throw conflict(winner.id);
      }
      return albumView(db, id);
    },

    album: albumView,

    /** Albums by title or artist (partial, any case) and genre, in the order `sort` asks for. */
    async albums(db: Database, filter: AlbumFilter): Promise<{ items: AlbumView[]; next: string | undefined }> {
      const sort = filter.sort ?? 'recent';
      const limit = filter.limit ?? DEFAULT_PAGE;
      const genre = filter.genre?.trim().toLowerCase() || undefined;
      if (genre !== undefined && !GENRE_SLUG.test(genre)) throw invalid('genre', 'must be a genre slug such as hip-hop');
      const scores = await prior(db);
      const rows = await repo.listAlbums(db, {
        q: filter.q?.trim() || undefined,
        artist: filter.artist?.trim() || undefined,
        genre,
        sort,
        after: parseAlbumCursor(sort, filter.after),
        prior: scores,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      const cursorOf = (album: AlbumListing) =>
        sort === 'recent' ? album.id : `${sort === 'top' ? weightedScore(album, scores) : album.rating_count}.${album.id}`;
      return { items: items.map((album) => presentAlbum(album, scores)), next: rows.length > limit && last ? cursorOf(last) : undefined };
    },

    /** A review, counted into its album's score in the same transaction, under the album's lock. */
    async review(db: Database, me: Identity, input: CreateReviewInput): Promise<ReviewView> {
      const rating = halfStarsOf(input.rating);
      return inTransaction(db, async (trx) => {
        if (!(await repo.lockAlbum(trx, input.album_id))) throw new RiffError('not_found', 'No such album');
        const existing = await repo.findReviewOf(trx, input.album_id, me.userId);
        if (existing) throw new RiffError('review_exists', undefined, [{ resource: 'review', id: existing.id }]);
        const review: ReviewRow = {
          id: ids.next(),
          album_id: input.album_id,
          author_id: me.userId,
          rating,
          review_text: blankToEmpty(input.review_text ?? undefined),
          created_at: clock.now(),
          edited_at: null,
        };
        await repo.insertReview(trx, review);
        await repo.adjustScore(trx, review.album_id, { add: rating });
        return reviewView(trx, review);
      });
    },

    /** The author's edit; a new rating moves the album's score in the same transaction. */
    async editReview(db: Database, me: Identity, reviewId: string, patch: UpdateReviewInput): Promise<ReviewView> {
      return inTransaction(db, async (trx) => {
        const review = await lockedReview(trx, reviewId);
        assertAuthor(me, review, 'edit');
        const edited: ReviewRow = {
          ...review,
          rating: patch.rating === undefined ? review.rating : halfStarsOf(patch.rating),
          review_text: patch.review_text === undefined ? review.review_text : blankToEmpty(patch.review_text ?? undefined),
        };
        if (edited.rating === review.rating && edited.review_text === review.review_text) return reviewView(trx, review);
        edited.edited_at = clock.now();
        await repo.updateReview(trx, review.id, { rating: edited.rating, review_text: edited.review_text, edited_at: edited.edited_at });
        if (edited.rating !== review.rating) await repo.adjustScore(trx, review.album_id, { add: edited.rating as HalfStars, remove: review.rating as HalfStars });
        return reviewView(trx, edited);
      });
    },

    async deleteReview(db: Database, me: Identity, reviewId: string): Promise<{ id: string; album_id: string }> {
      return inTransaction(db, async (trx) => {
        const review = await lockedReview(trx, reviewId);
        assertAuthor(me, review, 'delete');
        await repo.deleteReview(trx, review.id);
        await repo.adjustScore(trx, review.album_id, { remove: review.rating as HalfStars });
        return { id: review.id, album_id: review.album_id };
      });
    },

    /** An album's reviews, newest or highest rated first. */
    async albumReviews(db: Database, albumId: string, page: ReviewPage): Promise<{ items: ReviewView[]; next: string | undefined }> {
      if (!(await repo.findAlbum(db, albumId))) throw new RiffError('not_found', 'No such album');
      const sort = page.sort ?? 'recent';
      const limit = page.limit ?? DEFAULT_PAGE;
      const rows = await repo.reviewsOfAlbum(db, albumId, { sort, after: parseReviewCursor(sort, page.after), limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      const next = rows.length > limit && last ? (sort === 'recent' ? last.id : `${last.rating}.${last.id}`) : undefined;
      return { items: await presentReviews(db, items), next };
    },

    /** A user's reviews, newest first. */
    async userReviews(db: Database, userId: string, page: Omit<ReviewPage, 'sort'>): Promise<{ items: ReviewView[]; next: string | undefined }> {
      await profileOf(db, userId);
      const limit = page.limit ?? DEFAULT_PAGE;
      const rows = await repo.reviewsByAuthor(db, userId, { after: parseReviewCursor('recent', page.after)?.id, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items: await presentReviews(db, items), next: rows.length > limit && last ? last.id : undefined };
    },

    /** Opens the forum room about an album or a genre, or answers with the one already there (created: false). */
    async openRoom(db: Database, me: Identity, input: CreateRoomInput): Promise<{ room: RoomView; created: boolean }> {
      const about = roomSubject(input);
      let opened: { room: ForumRoomRow; created: boolean };
      try {
        opened = await openRoomOnce(db, me, about);
      } catch (error) {
        // Two people opened a genre's room at once: the loser gets the winner's.
        if (!uniqueViolation(error)) throw error;
        const existing = await repo.findRoomAbout(db, about);
        if (!existing) throw error;
        opened = { room: existing, created: false };
      }
      return { room: await roomView(db, opened.room), created: opened.created };
    },

    async room(db: Database, roomId: string): Promise<RoomView> {
      return roomView(db, await findRoom(db, roomId));
    },

    /** Open rooms, most recently active first, with how many of their members are online. */
    async rooms(db: Database, page: { after?: string; limit?: number }): Promise<{ items: RoomView[]; next: string | undefined }> {
      const limit = page.limit ?? DEFAULT_PAGE;
      const { items, more } = await channels.activeChannels(db, 'forum', { after: parseRoomCursor(page.after), limit });
      const rooms = new Map((await repo.roomsByChannelIds(db, items.map((c) => c.id))).map((r) => [r.channel_id, r]));
      const ordered = items.flatMap((c) => (rooms.has(c.id) ? [rooms.get(c.id)!] : []));
      const last = items.at(-1);
      return {
        items: await presentRooms(db, ordered, new Map(items.map((c) => [c.id, c]))),
        next: more && last ? `${last.last_activity_at}.${last.id}` : undefined,
      };
    },

    /** Closes a room (its creator or an admin): history stays readable, posting is refused. */
    async closeRoom(db: Database, me: Identity, roomId: string): Promise<RoomView> {
      const room = await inTransaction(db, async (trx) => {
        const found = await findRoom(trx, roomId);
        if (found.creator_id !== me.userId && me.role !== 'admin') throw new RiffError('forbidden', 'Only the room’s creator or an admin can close it');
        const closer = await profileOf(trx, me.userId);
        await channels.closeOwnedChannel(trx, found.channel_id, me.userId, `${displayName(closer)} closed the room`);
        return found;
      });
      return roomView(db, room);
    },
  };
}

export type ReviewsService = ReturnType<typeof reviewsService>;
