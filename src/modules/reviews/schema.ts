import { Type, type Static, type TInteger } from '@sinclair/typebox';
import { Profile } from '../accounts/index.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Cursor = Type.String({ pattern: '^[0-9a-z.-]{1,100}$', description: 'the cursor of a `Link: rel="next"`' });
const Limit = Type.Integer({ minimum: 1, maximum: 100 });

/** The ten ratings a review can give, as the histogram names them: "0.5", "1", … "5". */
export const HALF_STARS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
export type HalfStars = (typeof HALF_STARS)[number];
export const starsLabel = (halfStars: HalfStars) => String(halfStars / 2);

const Genre = Type.String({ pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 50, description: 'a genre slug: lower-case words joined by hyphens, e.g. hip-hop' });
const AlbumText = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const CoverUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });

export const AlbumParams = Type.Object({ id: Id });
export const ReviewParams = Type.Object({ id: Id });
export const AlbumReviewsParams = Type.Object({ albumId: Id });
export const UserParams = Type.Object({ id: Id });
export const RoomParams = Type.Object({ id: Id });

export const CreateAlbumBody = Type.Object({
  title: AlbumText,
  artist: AlbumText,
  year: Type.Optional(Nullable(Type.Integer({ minimum: 1000, maximum: 9999, description: 'the year of release, at most next year' }))),
  genres: Type.Optional(Type.Array(Genre, { maxItems: 10, uniqueItems: true })),
  cover_url: Type.Optional(Nullable(CoverUrl)),
});
export type CreateAlbumInput = Static<typeof CreateAlbumBody>;

export const albumSorts = ['top', 'recent', 'most_reviewed'] as const;
export type AlbumSort = (typeof albumSorts)[number];

export const AlbumListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: 'part of the title or the artist, any case' })),
  genre: Type.Optional(Type.String({ maxLength: 50, description: 'a genre slug' })),
  artist: Type.Optional(Type.String({ maxLength: 200, description: 'part of the artist, any case' })),
  sort: Type.Optional(
    Type.Union(albumSorts.map((s) => Type.Literal(s)), {
      description: 'top: by weighted score (a Bayesian average over every review); recent: newest first (the default); most_reviewed: most reviews first',
    }),
  ),
  after: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type AlbumFilter = Static<typeof AlbumListQuery>;

const histogramProperties = Object.fromEntries(HALF_STARS.map((h) => [starsLabel(h), Type.Integer({ minimum: 0 })])) as Record<string, TInteger>;

export const Rating = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  average: Type.Number({ description: 'the mean rating in stars, 0 when there are no reviews' }),
  weighted: Type.Number({ description: 'the Bayesian average that the `top` sort uses: few reviews weigh little against the mean of every review' }),
  histogram: Type.Object(histogramProperties, { description: 'how many reviews gave each rating, "0.5" to "5"' }),
});
export type RatingView = Static<typeof Rating>;

export const Album = Type.Object({
  id: Type.String(),
  title: Type.String(),
  artist: Type.String(),
  year: Nullable(Type.Integer()),
  genres: Type.Array(Type.String()),
  cover_url: Nullable(Type.String()),
  added_by: Nullable(Type.String({ description: 'the user who added it' })),
  created_at: Instant,
  rating: Rating,
  forum_room_id: Nullable(Type.String({ description: 'its forum room, once someone opened one' })),
});
export type AlbumView = Static<typeof Album>;

/** Rating in stars: 0.5 to 5 in steps of 0.5; a JSON number, never a string. */
const Stars = Type.Number({ minimum: 0.5, maximum: 5, multipleOf: 0.5, description: 'stars: 0.5 to 5 in steps of 0.5' });
export const REVIEW_TEXT_MAX = 10_000;
const ReviewText = Type.String({ maxLength: REVIEW_TEXT_MAX });

export const CreateReviewBody = Type.Object({
  album_id: Id,
  rating: Stars,
  review_text: Type.Optional(Nullable(ReviewText)),
});
export type CreateReviewInput = Static<typeof CreateReviewBody>;

export const UpdateReviewBody = Type.Object({ rating: Type.Optional(Stars), review_text: Type.Optional(Nullable(ReviewText)) }, { minProperties: 1 });
export type UpdateReviewInput = Static<typeof UpdateReviewBody>;

export const reviewSorts = ['recent', 'rating'] as const;
export type ReviewSort = (typeof reviewSorts)[number];

export const ReviewListQuery = Type.Object({
  sort: Type.Optional(Type.Union(reviewSorts.map((s) => Type.Literal(s)), { description: 'recent: newest first (the default); rating: highest first' })),
  after: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type ReviewPage = Static<typeof ReviewListQuery>;

export const UserReviewsQuery = Type.Pick(ReviewListQuery, ['after', 'limit']);

export const AlbumSummary = Type.Object({ id: Type.String(), title: Type.String(), artist: Type.String(), year: Nullable(Type.Integer()), cover_url: Nullable(Type.String()) });

export const Review = Type.Object({
  id: Type.String(),
  album_id: Type.String(),
  album: AlbumSummary,
  author: Profile,
  rating: Type.Number({ description: 'stars, 0.5 to 5' }),
  review_text: Type.String(),
  created_at: Instant,
  edited_at: Nullable(Instant),
});
export type ReviewView = Static<typeof Review>;

export const DeletedReview = Type.Object({ id: Type.String(), album_id: Type.String() });

export const roomTypes = ['album', 'genre'] as const;
export const CreateRoomBody = Type.Object({
  room_type: Type.Union(roomTypes.map((t) => Type.Literal(t))),
  album_id: Type.Optional(Id),
  genre: Type.Optional(Genre),
});
export type CreateRoomInput = Static<typeof CreateRoomBody>;

export const RoomListQuery = Type.Object({
  after: Type.Optional(Type.String({ pattern: '^\\d{1,16}\\.[A-Za-z0-9_~-]{1,64}$', description: 'the cursor of a `Link: rel="next"`' })),
  limit: Type.Optional(Limit),
});

export const Room = Type.Object({
  id: Type.String({ description: 'the room, which is also its channel: post and follow it with the channel API and /v1/ws' }),
  channel_id: Type.String(),
  room_type: Type.Union(roomTypes.map((t) => Type.Literal(t))),
  album_id: Nullable(Type.String()),
  album: Nullable(AlbumSummary),
  genre: Nullable(Type.String()),
  name: Type.String(),
  creator_id: Nullable(Type.String()),
  created_at: Instant,
  closed: Type.Boolean(),
  closed_at: Nullable(Instant),
  last_seq: Type.Integer(),
  last_activity_at: Instant,
  member_count: Type.Integer(),
  online_count: Type.Integer({ description: 'members with a socket open now' }),
});
export type RoomView = Static<typeof Room>;
