import { iso } from '../../platform/clock.js';
import type { AlbumRow, ForumRoomRow, ReviewRow } from '../../platform/storage/tables.js';
import type { PublicProfile } from '../accounts/index.js';
import type { ChannelActivity } from '../channels/index.js';
import { halfStarColumn, type AlbumListing, type Prior } from './repository.js';
import { HALF_STARS, starsLabel, type AlbumView, type RatingView, type ReviewView, type RoomView } from './schema.js';

/** Stars as the API writes them (4.5) from the half-stars Riff stores (9). */
export const stars = (halfStars: number) => halfStars / 2;

/**
 * The Bayesian average: the album's reviews plus `prior.weight` imagined reviews at the mean of
 * every review, so that one 5-star review does not top the chart. The same steps as the SQL
 * that sorts by it (see the repository), so cursors compare equal to their rows.
 */
export const weightedScore = (album: Pick<AlbumRow, 'rating_sum' | 'rating_count'>, prior: Prior) =>
  (prior.weight * prior.mean + album.rating_sum / 2) / (prior.weight + album.rating_count);

export function presentRating(album: AlbumRow, prior: Prior): RatingView {
  const count = album.rating_count;
  return {
    count,
    // Sums of half-stars are exact integers: the mean is one division, with no drift.
    average: count === 0 ? 0 : album.rating_sum / (2 * count),
    weighted: weightedScore(album, prior),
    histogram: Object.fromEntries(HALF_STARS.map((h) => [starsLabel(h), album[halfStarColumn(h)]])),
  };
}

export function presentAlbum(album: AlbumListing, prior: Prior): AlbumView {
  return {
    id: album.id,
    title: album.title,
    artist: album.artist,
    year: album.year,
    genres: JSON.parse(album.genres) as string[],
    cover_url: album.cover_url,
    added_by: album.added_by,
    created_at: iso(album.created_at),
    rating: presentRating(album, prior),
    forum_room_id: album.forum_room_id,
  };
}

export const presentAlbumSummary = (album: AlbumRow) => ({ id: album.id, title: album.title, artist: album.artist, year: album.year, cover_url: album.cover_url });

export function presentReview(review: ReviewRow, album: AlbumRow, author: PublicProfile): ReviewView {
  return {
    id: review.id,
    album_id: review.album_id,
    album: presentAlbumSummary(album),
    author,
    rating: stars(review.rating),
    review_text: review.review_text,
    created_at: iso(review.created_at),
    edited_at: review.edited_at === null ? null : iso(review.edited_at),
  };
}

export function presentRoom(room: ForumRoomRow, channel: ChannelActivity, album: AlbumRow | undefined, online: ReadonlySet<string>): RoomView {
  return {
    id: room.channel_id,
    channel_id: room.channel_id,
    room_type: room.room_type,
    album_id: room.album_id,
    album: album ? presentAlbumSummary(album) : null,
    genre: room.genre,
    name: channel.name,
    creator_id: room.creator_id,
    created_at: iso(room.created_at),
    closed: channel.closed_at !== null,
    closed_at: channel.closed_at === null ? null : iso(channel.closed_at),
    last_seq: channel.last_seq,
    last_activity_at: iso(channel.last_activity_at),
    member_count: channel.member_ids.length,
    online_count: channel.member_ids.filter((id) => online.has(id)).length,
  };
}
