import { sql, type Insertable, type RawBuilder, type Updateable } from 'kysely';
import type { Database, DialectName } from '../../platform/storage/database.js';
import type { AlbumRow, AlbumsTable, ForumRoomsTable, ReviewRow, ReviewsTable } from '../../platform/storage/tables.js';
import type { AlbumSort, HalfStars, ReviewSort } from './schema.js';

/**
 * `column` contains `text`, ignoring case, on both dialects: `%`, `_` and `\` in the text
 * match themselves (SQLite has no LIKE escape character unless told).
 */
const containsIgnoringCase = (column: string, text: string) =>
  sql<boolean>`lower(${sql.ref(column)}) like ${`%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`;

type HalfStarColumn = `half_stars_${HalfStars}`;
export const halfStarColumn = (halfStars: HalfStars): HalfStarColumn => `half_stars_${halfStars}`;

/** The prior of the Bayesian average: `weight` reviews at the `mean` of every review, in stars. */
export interface Prior {
  weight: number;
  mean: number;
}

/**
 * The weighted score in SQL, computed with the same floating-point steps as `weightedScore`
 * in JavaScript, so that a page's cursor compares equal to the row it came from.
 */
const weightedSql = (prior: Prior) =>
  sql<number>`(cast(${prior.weight * prior.mean} as double precision) + cast(albums.rating_sum as double precision) / 2) / (${prior.weight} + albums.rating_count)`;

/** An album with its forum room, if it has one. */
export interface AlbumListing extends AlbumRow {
  forum_room_id: string | null;
}

/** Where a page starts: after this row in the list's order. */
export type AlbumCursor =
  | { sort: 'recent'; id: string }
  | { sort: 'most_reviewed'; count: number; id: string }
  | { sort: 'top'; weighted: number; id: string };

export interface AlbumQuery {
  q?: string;
  genre?: string;
  artist?: string;
  sort: AlbumSort;
  after?: AlbumCursor;
  prior: Prior;
  limit: number;
}

export type ReviewCursor = { sort: 'recent'; id: string } | { sort: 'rating'; rating: number; id: string };

export function reviewsRepository(dialect: DialectName) {
  const listings = (db: Database) =>
    db.selectFrom('albums').leftJoin('forum_rooms', 'forum_rooms.album_id', 'albums.id').selectAll('albums').select('forum_rooms.channel_id as forum_room_id');

  return {
    insertAlbum: (db: Database, album: Insertable<AlbumsTable>) => db.insertInto('albums').values(album).execute(),

    findAlbum: (db: Database, id: string): Promise<AlbumListing | undefined> => listings(db).where('albums.id', '=', id).executeTakeFirst(),

    findAlbumByKey: (db: Database, artistKey: string, titleKey: string) =>
      db.selectFrom('albums').select('id').where('artist_key', '=', artistKey).where('title_key', '=', titleKey).executeTakeFirst(),

    /**
     * Takes the album's row lock until commit: every change to its reviews (and so to its
     * score) is made one at a time on every node. SQLite transactions already hold the write lock.
     */
    async lockAlbum(db: Database, id: string): Promise<boolean> {
      const query = db.selectFrom('albums').select('id').where('id', '=', id);
      return (await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst()) !== undefined;
    },

    albumsByIds: (db: Database, ids: readonly string[]) =>
      ids.length === 0 ? Promise.resolve([]) : db.selectFrom('albums').selectAll().where('id', 'in', ids).execute(),

    /** Every review's rating summed over the albums' running scores (one row per album, not per review). */
    async globalScore(db: Database): Promise<{ sum: number; count: number }> {
      const row = await db
        .selectFrom('albums')
        .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('rating_sum'), sql<number>`0`).as('sum'), eb.fn.coalesce(eb.fn.sum<number>('rating_count'), sql<number>`0`).as('count')])
        .executeTakeFirstOrThrow();
      return { sum: Number(row.sum), count: Number(row.count) };
    },

    /** Moves the album's score by one review given (`add`), taken back (`remove`), or both (an edit). */
    async adjustScore(db: Database, albumId: string, change: { add?: HalfStars; remove?: HalfStars }): Promise<void> {
      const { add, remove } = change;
      const histogram: Partial<Record<HalfStarColumn, RawBuilder<number>>> = {};
      if (add !== remove) {
        if (add) histogram[halfStarColumn(add)] = sql<number>`${sql.ref(halfStarColumn(add))} + 1`;
        if (remove) histogram[halfStarColumn(remove)] = sql<number>`${sql.ref(halfStarColumn(remove))} - 1`;
      }
      await db
        .updateTable('albums')
        .set({
          rating_count: sql<number>`rating_count + ${(add ? 1 : 0) - (remove ? 1 : 0)}`,
          rating_sum: sql<number>`rating_sum + ${(add ?? 0) - (remove ?? 0)}`,
          ...histogram,
        })
        .where('id', '=', albumId)
        .execute();
    },

    /** Albums matching every given filter, in the order of `sort`. */
    listAlbums(db: Database, query: AlbumQuery): Promise<AlbumListing[]> {
      let select = listings(db);
      const { q, genre, artist, after } = query;
      if (q) select = select.where((eb) => eb.or([containsIgnoringCase('albums.title', q), containsIgnoringCase('albums.artist', q)]));
      if (artist) select = select.where(containsIgnoringCase('albums.artist', artist));
      // Genres are slugs in a JSON list: the quoted slug is one whole element.
      if (genre) select = select.where('albums.genres', 'like', `%"${genre}"%`);
      const weighted = weightedSql(query.prior);
      if (after?.sort === 'recent') select = select.where('albums.id', '<', after.id);
      if (after?.sort === 'most_reviewed') {
        select = select.where((eb) => eb.or([eb('albums.rating_count', '<', after.count), eb.and([eb('albums.rating_count', '=', after.count), eb('albums.id', '<', after.id)])]));
      }
      if (after?.sort === 'top') select = select.where(sql<boolean>`(${weighted} < ${after.weighted} or (${weighted} = ${after.weighted} and albums.id < ${after.id}))`);
      if (query.sort === 'top') select = select.orderBy(weighted, 'desc');
      if (query.sort === 'most_reviewed') select = select.orderBy('albums.rating_count', 'desc');
      return select.orderBy('albums.id', 'desc').limit(query.limit).execute();
    },

    insertReview: (db: Database, review: Insertable<ReviewsTable>) => db.insertInto('reviews').values(review).execute(),

    findReview: (db: Database, id: string) => db.selectFrom('reviews').selectAll().where('id', '=', id).executeTakeFirst(),

    findReviewOf: (db: Database, albumId: string, authorId: string) =>
      db.selectFrom('reviews').selectAll().where('album_id', '=', albumId).where('author_id', '=', authorId).executeTakeFirst(),

    updateReview: (db: Database, id: string, changes: Updateable<ReviewsTable>) => db.updateTable('reviews').set(changes).where('id', '=', id).execute(),

    deleteReview: (db: Database, id: string) => db.deleteFrom('reviews').where('id', '=', id).execute(),

    /** An album's reviews, newest first or highest rated first. */
    reviewsOfAlbum(db: Database, albumId: string, page: { sort: ReviewSort; after?: ReviewCursor; limit: number }): Promise<ReviewRow[]> {
      let select = db.selectFrom('reviews').selectAll().where('album_id', '=', albumId);
      const { after } = page;
      if (after?.sort === 'recent') select = select.where('id', '<', after.id);
      if (after?.sort === 'rating') select = select.where((eb) => eb.or([eb('rating', '<', after.rating), eb.and([eb('rating', '=', after.rating), eb('id', '<', after.id)])]));
      if (page.sort === 'rating') select = select.orderBy('rating', 'desc');
      return select.orderBy('id', 'desc').limit(page.limit).execute();
    },

    /** A user's reviews, newest first. */
    reviewsByAuthor(db: Database, authorId: string, page: { after?: string; limit: number }): Promise<ReviewRow[]> {
      let select = db.selectFrom('reviews').selectAll().where('author_id', '=', authorId);
      if (page.after) select = select.where('id', '<', page.after);
      return select.orderBy('id', 'desc').limit(page.limit).execute();
    },

    insertRoom: (db: Database, room: Insertable<ForumRoomsTable>) => db.insertInto('forum_rooms').values(room).execute(),

    findRoom: (db: Database, channelId: string) => db.selectFrom('forum_rooms').selectAll().where('channel_id', '=', channelId).executeTakeFirst(),

    findRoomAbout: (db: Database, about: { albumId: string } | { genre: string }) =>
      db
        .selectFrom('forum_rooms')
        .selectAll()
        .where('albumId' in about ? 'album_id' : 'genre', '=', 'albumId' in about ? about.albumId : about.genre)
        .executeTakeFirst(),

    roomsByChannelIds: (db: Database, channelIds: readonly string[]) =>
      channelIds.length === 0 ? Promise.resolve([]) : db.selectFrom('forum_rooms').selectAll().where('channel_id', 'in', channelIds).execute(),
  };
}

export type ReviewsRepository = ReturnType<typeof reviewsRepository>;
