import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** The histogram: how many reviews gave n half-stars (1 = ½ star … 10 = 5 stars), one column per value. */
const HALF_STAR_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

/** Albums with their running scores, reviews, forum rooms, and the closed state of channels. */
export function reviewsMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      let albums = db.schema
        .createTable('albums')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('artist', 'text', (c) => c.notNull())
        // Lower-cased without whitespace: "OK Computer" and " ok  computer " are one album.
        .addColumn('title_key', 'text', (c) => c.notNull())
        .addColumn('artist_key', 'text', (c) => c.notNull())
        .addColumn('year', 'integer')
        .addColumn('genres', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('cover_url', 'text')
        .addColumn('added_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        // The score, kept in the transaction of every review change under this row's lock.
        .addColumn('rating_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rating_sum', 'integer', (c) => c.notNull().defaultTo(0));
      for (const n of HALF_STAR_VALUES) albums = albums.addColumn(`half_stars_${n}`, 'integer', (c) => c.notNull().defaultTo(0));
      await albums.execute();
      await db.schema.createIndex('albums_identity').on('albums').columns(['artist_key', 'title_key']).unique().execute();
      await db.schema.createIndex('albums_most_reviewed').on('albums').columns(['rating_count', 'id']).execute();
      if (dialect === 'postgres') {
        // Partial-match search on title and artist (pg_trgm was created with the channels).
        await sql`create index albums_title_trgm on albums using gin (lower(title) gin_trgm_ops)`.execute(db);
        await sql`create index albums_artist_trgm on albums using gin (lower(artist) gin_trgm_ops)`.execute(db);
      }

      await db.schema
        .createTable('reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('album_id', 'text', (c) => c.notNull().references('albums.id').onDelete('cascade'))
        .addColumn('author_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        // Half-stars, 1..10: ratings are never stored as floats.
        .addColumn('rating', 'integer', (c) => c.notNull())
        .addColumn('review_text', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('edited_at', 'bigint')
        .addCheckConstraint('reviews_rating_half_stars', sql`rating between 1 and 10`)
        .execute();
      await db.schema.createIndex('reviews_one_per_author').on('reviews').columns(['album_id', 'author_id']).unique().execute();
      await db.schema.createIndex('reviews_album_recent').on('reviews').columns(['album_id', 'id']).execute();
      await db.schema.createIndex('reviews_album_rating').on('reviews').columns(['album_id', 'rating', 'id']).execute();
      await db.schema.createIndex('reviews_author').on('reviews').columns(['author_id', 'id']).execute();

      await db.schema
        .createTable('forum_rooms')
        .addColumn('channel_id', 'text', (c) => c.primaryKey().references('channels.id').onDelete('cascade'))
        .addColumn('room_type', 'text', (c) => c.notNull())
        // One room per album and one per genre: the other column is null.
        .addColumn('album_id', 'text', (c) => c.unique().references('albums.id').onDelete('cascade'))
        .addColumn('genre', 'text', (c) => c.unique())
        .addColumn('creator_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // A closed channel (a closed forum room) keeps its history readable and takes no new posts.
      await db.schema.alterTable('channels').addColumn('closed_at', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('channels').dropColumn('closed_at').execute();
      for (const table of ['forum_rooms', 'reviews', 'albums']) await db.schema.dropTable(table).execute();
    },
  };
}
