import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import type { RouteLimits } from '../../platform/http/rate-limit.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import {
  Album,
  AlbumListQuery,
  AlbumParams,
  AlbumReviewsParams,
  CreateAlbumBody,
  CreateReviewBody,
  CreateRoomBody,
  DeletedReview,
  Review,
  ReviewListQuery,
  ReviewParams,
  Room,
  RoomListQuery,
  RoomParams,
  UpdateReviewBody,
  UserParams,
  UserReviewsQuery,
} from './schema.js';
import type { ReviewsService } from './service.js';

export interface ReviewsRoutesDeps {
  db: Database;
  reviews: ReviewsService;
  guards: Guards;
  limit: RouteLimits;
}

const tags = ['reviews and forums'];
const security = bearerSecurity;

export function reviewsRoutes(app: HttpServer, { db, reviews, guards, limit }: ReviewsRoutesDeps): void {
  function page<T>(request: FastifyRequest, reply: FastifyReply, result: { items: T[]; next: string | undefined }): T[] {
    if (result.next) reply.header('link', nextLink(request, { after: result.next }));
    return result.items;
  }

  app.get(
    '/v1/albums',
    {
      schema: {
        tags,
        summary: 'Find albums by title or artist (partial, any case) and genre; sort by top (weighted score), recent or most_reviewed',
        security,
        querystring: AlbumListQuery,
        response: { 200: Type.Array(Album) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await reviews.albums(db, request.query)),
  );

  app.post(
    '/v1/albums',
    {
      schema: {
        tags,
        summary: 'Add an album; the same artist and title (ignoring case and whitespace) is a 409 naming the existing album',
        security,
        body: CreateAlbumBody,
        response: { 201: Album },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => reply.status(201).send(await reviews.addAlbum(db, caller(request).userId, request.body)),
  );

  app.get(
    '/v1/albums/:id',
    { schema: { tags, summary: 'An album with its score: count, average, weighted and the histogram of ratings', security, params: AlbumParams, response: { 200: Album } }, onRequest: guards.registered },
    async (request) => reviews.album(db, request.params.id),
  );

  app.get(
    '/v1/albums/:id/reviews',
    {
      schema: { tags, summary: 'An album’s reviews, newest (sort=recent) or highest rated (sort=rating) first', security, params: AlbumParams, querystring: ReviewListQuery, response: { 200: Type.Array(Review) } },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await reviews.albumReviews(db, request.params.id, request.query)),
  );

  app.get(
    '/v1/reviews/album/:albumId',
    {
      schema: { tags, summary: 'An album’s reviews (the same list as /v1/albums/{id}/reviews)', security, params: AlbumReviewsParams, querystring: ReviewListQuery, response: { 200: Type.Array(Review) } },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await reviews.albumReviews(db, request.params.albumId, request.query)),
  );

  app.post(
    '/v1/reviews',
    {
      schema: {
        tags,
        summary: 'Review an album: rating 0.5 to 5 in steps of 0.5, text optional; one review per user per album (409 for a second)',
        security,
        body: CreateReviewBody,
        response: { 201: Review },
      },
      onRequest: [guards.registered, limit('review', { perIp: 'reviewsPerIp', perUser: 'reviewsPerUser' })],
    },
    async (request, reply) => reply.status(201).send(await reviews.review(db, caller(request), request.body)),
  );

  app.put(
    '/v1/reviews/:id',
    { schema: { tags, summary: 'Edit my review (its rating, its text or both)', security, params: ReviewParams, body: UpdateReviewBody, response: { 200: Review } }, onRequest: guards.registered },
    async (request) => reviews.editReview(db, caller(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/reviews/:id',
    { schema: { tags, summary: 'Delete my review', security, params: ReviewParams, response: { 200: DeletedReview } }, onRequest: guards.registered },
    async (request) => reviews.deleteReview(db, caller(request), request.params.id),
  );

  app.get(
    '/v1/users/:id/reviews',
    {
      schema: { tags, summary: 'A user’s reviews, newest first (`me` for mine)', security, params: UserParams, querystring: UserReviewsQuery, response: { 200: Type.Array(Review) } },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const userId = request.params.id === 'me' ? caller(request).userId : request.params.id;
      return page(request, reply, await reviews.userReviews(db, userId, request.query));
    },
  );

  app.post(
    '/v1/forums/rooms',
    {
      schema: {
        tags,
        summary: 'Open the forum room about an album (album_id) or a genre (genre): 201; the room already there: 200',
        security,
        body: CreateRoomBody,
        response: { 200: Room, 201: Room },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const { room, created } = await reviews.openRoom(db, caller(request), request.body);
      return reply.status(created ? 201 : 200).send(room);
    },
  );

  app.get(
    '/v1/forums/rooms',
    {
      schema: { tags, summary: 'Open forum rooms, most recently active first, with how many members are online', security, querystring: RoomListQuery, response: { 200: Type.Array(Room) } },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await reviews.rooms(db, request.query)),
  );

  app.get(
    '/v1/forums/rooms/:id',
    { schema: { tags, summary: 'A forum room (open or closed)', security, params: RoomParams, response: { 200: Room } }, onRequest: guards.registered },
    async (request) => reviews.room(db, request.params.id),
  );

  app.delete(
    '/v1/forums/rooms/:id',
    {
      schema: { tags, summary: 'Close a room (its creator or an admin): history stays readable, posting is refused with 422 channel_closed', security, params: RoomParams, response: { 200: Room } },
      onRequest: guards.registered,
    },
    async (request) => reviews.closeRoom(db, caller(request), request.params.id),
  );
}
