import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RiffError } from '../../platform/errors.js';
import { bearerSecurity, caller, type Guards } from '../../platform/http/auth.js';
import { nextLink } from '../../platform/http/paging.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { Database } from '../../platform/storage/database.js';
import {
  Alert,
  Attendees,
  CalendarFeed,
  CreateEventBody,
  CreatePollBody,
  DiscoveryQuery,
  Event,
  EventParams,
  FeedQuery,
  JoinBody,
  MyEventsQuery,
  Poll,
  PollParams,
  Rsvp,
  RsvpBody,
  UpdateEventBody,
  VoteBody,
  type EventView,
} from './schema.js';
import type { MeetupsService } from './service.js';

export interface MeetupsRoutesDeps {
  db: Database;
  meetups: MeetupsService;
  guards: Guards;
}

const tags = ['meetups'];
const security = bearerSecurity;
const Ok = Type.Object({ ok: Type.Literal(true) });
const calendarResponse = { 200: { description: 'an RFC 5545 iCalendar file', content: { 'text/calendar': { schema: Type.String() } } } };

function sendCalendar(reply: FastifyReply, ics: string, filename: string) {
  return reply.type('text/calendar; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(ics);
}

/** A file name any client accepts: the title's letters and digits. */
const fileName = (title: string) => `${title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'meetup'}.ics`;

export function meetupsRoutes(app: HttpServer, { db, meetups, guards }: MeetupsRoutesDeps): void {
  function page(request: FastifyRequest, reply: FastifyReply, result: { items: EventView[]; next: string | undefined }) {
    if (result.next) reply.header('link', nextLink(request, { after: result.next }));
    return result.items;
  }

  app.get(
    '/v1/events',
    {
      schema: {
        tags,
        summary: 'Discover meetups: upcoming ones by default, soonest first, filtered by time, text, genre, instrument and city',
        security,
        querystring: DiscoveryQuery,
        response: { 200: Type.Array(Event) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await meetups.discover(db, caller(request), request.query)),
  );

  app.post(
    '/v1/events',
    {
      schema: { tags, summary: 'Create a meetup with its public channel; the organizer is going', security, body: CreateEventBody, response: { 201: Event } },
      onRequest: guards.registered,
    },
    async (request, reply) => reply.status(201).send(await meetups.create(db, caller(request), request.body)),
  );

  app.get(
    '/v1/events/join',
    {
      schema: {
        tags,
        summary: 'My meetups: going, maybe or waitlisted, soonest first, each with its channel_id',
        security,
        querystring: MyEventsQuery,
        response: { 200: Type.Array(Event) },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => page(request, reply, await meetups.mine(db, caller(request), request.query)),
  );

  app.post(
    '/v1/events/join',
    {
      schema: {
        tags,
        summary: 'Join a meetup: going, or waitlisted when it is full; joining again answers 200 with the current RSVP',
        security,
        body: JoinBody,
        response: { 200: Rsvp, 201: Rsvp },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => {
      const eventId = request.body.event_id ?? request.body.id;
      if (eventId === undefined) throw new RiffError('validation_failed', 'Say which meetup to join', [{ field: 'event_id', message: 'is required' }]);
      const { rsvp, created } = await meetups.join(db, caller(request), eventId);
      return reply.status(created ? 201 : 200).send(rsvp);
    },
  );

  app.get(
    '/v1/events/:id',
    { schema: { tags, summary: 'A meetup', security, params: EventParams, response: { 200: Event } }, onRequest: guards.registered },
    async (request) => meetups.get(db, caller(request), request.params.id),
  );

  app.patch(
    '/v1/events/:id',
    {
      schema: {
        tags,
        summary: 'Edit a meetup (organizer only); moving starts_at alone keeps its length, more capacity seats the waitlist',
        security,
        params: EventParams,
        body: UpdateEventBody,
        response: { 200: Event },
      },
      onRequest: guards.registered,
    },
    async (request) => meetups.update(db, caller(request), request.params.id, request.body),
  );

  app.delete(
    '/v1/events/:id',
    { schema: { tags, summary: 'Cancel a meetup (organizer only); members are told', security, params: EventParams, response: { 200: Event } }, onRequest: guards.registered },
    async (request) => meetups.cancel(db, caller(request), request.params.id),
  );

  app.put(
    '/v1/events/:id/rsvp',
    {
      schema: {
        tags,
        summary: 'RSVP going, maybe or not_going; going to a full meetup waitlists, and a freed seat goes to the earliest waitlisted',
        security,
        params: EventParams,
        body: RsvpBody,
        response: { 200: Rsvp },
      },
      onRequest: guards.registered,
    },
    async (request) => meetups.rsvp(db, caller(request), request.params.id, request.body.status),
  );

  app.get(
    '/v1/events/:id/attendees',
    { schema: { tags, summary: 'Who is going, maybe, and waitlisted (in order)', security, params: EventParams, response: { 200: Attendees } }, onRequest: guards.registered },
    async (request) => meetups.attendees(db, caller(request), request.params.id),
  );

  app.get(
    '/v1/events/:id/calendar.ics',
    { schema: { tags, summary: 'The meetup as an iCalendar file for calendar apps', security, params: EventParams, response: calendarResponse }, onRequest: guards.registered },
    async (request, reply) => {
      const { ics, title } = await meetups.eventCalendar(db, request.params.id);
      return sendCalendar(reply, ics, fileName(title));
    },
  );

  app.post(
    '/v1/events/:id/polls',
    {
      schema: {
        tags,
        summary: 'Open a poll (organizer only); its participants are the people going or maybe now',
        security,
        params: EventParams,
        body: CreatePollBody,
        response: { 201: Poll },
      },
      onRequest: guards.registered,
    },
    async (request, reply) => reply.status(201).send(await meetups.createPoll(db, caller(request), request.params.id, request.body)),
  );

  app.get(
    '/v1/events/:id/polls',
    { schema: { tags, summary: 'A meetup’s polls, oldest first, with counts and my vote', security, params: EventParams, response: { 200: Type.Array(Poll) } }, onRequest: guards.registered },
    async (request) => meetups.polls(db, caller(request), request.params.id),
  );

  app.put(
    '/v1/polls/:id/vote',
    {
      schema: { tags, summary: 'Vote (participants only), changeable while the poll is open', security, params: PollParams, body: VoteBody, response: { 200: Poll } },
      onRequest: guards.registered,
    },
    async (request) => meetups.vote(db, caller(request), request.params.id, request.body.option),
  );

  app.post(
    '/v1/polls/:id/close',
    { schema: { tags, summary: 'Close a poll early (organizer only)', security, params: PollParams, response: { 200: Poll } }, onRequest: guards.registered },
    async (request) => meetups.closePoll(db, caller(request), request.params.id),
  );

  app.get(
    '/v1/users/me/alerts',
    { schema: { tags, summary: 'Polls waiting for my vote', security, response: { 200: Type.Array(Alert) } }, onRequest: guards.registered },
    async (request) => meetups.alerts(db, caller(request)),
  );

  app.get(
    '/v1/users/me/calendar.ics',
    {
      schema: {
        tags,
        summary: 'My meetups as a calendar feed: with a bearer token, or `?token=` from POST /v1/users/me/calendar-feed for calendar apps',
        security,
        querystring: FeedQuery,
        response: calendarResponse,
      },
      // Calendar apps cannot send a bearer token: a feed token in the query stands in for it.
      onRequest: async function (request, reply) {
        if ((request.query as { token?: unknown }).token === undefined) await guards.registered.call(this, request, reply);
      },
    },
    async (request, reply) => {
      const userId = request.query.token === undefined ? caller(request).userId : await meetups.feedOwner(db, request.query.token);
      return sendCalendar(reply, await meetups.myCalendar(db, userId), 'riff-meetups.ics');
    },
  );

  app.post(
    '/v1/users/me/calendar-feed',
    {
      schema: { tags, summary: 'A new link to my calendar feed; the previous link stops working', security, response: { 201: CalendarFeed } },
      onRequest: guards.registered,
    },
    async (request, reply) => reply.status(201).send(await meetups.openFeed(db, caller(request))),
  );

  app.delete(
    '/v1/users/me/calendar-feed',
    { schema: { tags, summary: 'Revoke my calendar feed link', security, response: { 200: Ok } }, onRequest: guards.registered },
    async (request) => {
      await meetups.closeFeed(db, caller(request));
      return { ok: true as const };
    },
  );
}
