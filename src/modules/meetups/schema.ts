import { Type, type Static } from '@sinclair/typebox';
import { User } from '../accounts/index.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
const Instant = Type.String({ format: 'date-time', description: 'an ISO 8601 instant, e.g. 2026-11-23T19:30:00Z' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const Title = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Description = Type.String({ maxLength: 5000 });
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'an IANA time zone name, e.g. Europe/Berlin' });
const Place = Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' });
const City = Type.String({ maxLength: 100 });
const Capacity = Type.Integer({ minimum: 1, maximum: 100_000, description: 'everyone going, the organizer included' });
const Tag = Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' });
const Tags = Type.Array(Tag, { maxItems: 20 });
const ImageUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });

export const EventParams = Type.Object({ id: Id });
export const PollParams = Type.Object({ id: Id });

export const CreateEventBody = Type.Object({
  title: Title,
  description: Type.Optional(Description),
  starts_at: Instant,
  time_zone: TimeZone,
  ends_at: Type.Optional(Instant),
  location: Place,
  city: Type.Optional(City),
  capacity: Type.Optional(Capacity),
  genres: Type.Optional(Tags),
  instruments_wanted: Type.Optional(Tags),
  image_url: Type.Optional(ImageUrl),
  datetime: Type.Optional(
    Type.String({ description: 'Musician Meetup alias of `starts_at`: ISO 8601 or `YYYY-MM-DD HH:MM`, read in UTC; `time_zone` then defaults to UTC' }),
  ),
});
export type CreateEventInput = Static<typeof CreateEventBody>;

export const UpdateEventBody = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    starts_at: Type.Optional(Instant),
    time_zone: Type.Optional(TimeZone),
    ends_at: Type.Optional(Nullable(Instant)),
    location: Type.Optional(Place),
    city: Type.Optional(City),
    capacity: Type.Optional(Nullable(Capacity)),
    genres: Type.Optional(Tags),
    instruments_wanted: Type.Optional(Tags),
    image_url: Type.Optional(Nullable(ImageUrl)),
  },
  { minProperties: 1 },
);
export type UpdateEventInput = Static<typeof UpdateEventBody>;

export const DiscoveryQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'only meetups starting at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'only meetups starting at or before this instant' })),
  q: Type.Optional(Type.String({ maxLength: 100 })),
  genre: Type.Optional(Type.String({ maxLength: 50 })),
  instrument: Type.Optional(Type.String({ maxLength: 50 })),
  city: Type.Optional(Type.String({ maxLength: 100 })),
  include_past: Type.Optional(Type.Boolean({ description: 'also meetups that have already started' })),
  after: Type.Optional(Type.String({ pattern: '^\\d{1,16}\\.[A-Za-z0-9_~-]{1,64}$', description: 'the cursor of a `Link: rel="next"`' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type DiscoveryFilter = Static<typeof DiscoveryQuery>;

export const MyEventsQuery = Type.Pick(DiscoveryQuery, ['after', 'limit']);

export const JoinBody = Type.Object(
  { event_id: Type.Optional(Id), id: Type.Optional(Id) },
  { description: '`event_id`, or `id` as the Musician Meetup client sends it' },
);

export const rsvpChoices = ['going', 'maybe', 'not_going'] as const;
export const RsvpBody = Type.Object({ status: Type.Union(rsvpChoices.map((s) => Type.Literal(s))) });
export type RsvpChoice = (typeof rsvpChoices)[number];

const RsvpStatus = Type.Union(['going', 'maybe', 'not_going', 'waitlisted'].map((s) => Type.Literal(s)));

export const Rsvp = Type.Object({
  event_id: Type.String(),
  user_id: Type.String(),
  status: RsvpStatus,
  position: Type.Optional(Type.Integer({ minimum: 1, description: 'place on the waitlist, 1 is next' })),
});
export type RsvpView = Static<typeof Rsvp>;

export const Event = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  starts_at: Type.String({ format: 'date-time' }),
  ends_at: Nullable(Type.String({ format: 'date-time' })),
  time_zone: Type.String(),
  location: Type.String(),
  city: Type.String(),
  capacity: Nullable(Type.Integer()),
  genres: Type.Array(Type.String()),
  instruments_wanted: Type.Array(Type.String()),
  image_url: Nullable(Type.String()),
  organizer: User,
  channel_id: Type.String(),
  status: Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled')]),
  going_count: Type.Integer(),
  maybe_count: Type.Integer(),
  waitlisted_count: Type.Integer(),
  spots_left: Nullable(Type.Integer({ description: 'null when there is no capacity' })),
  my_rsvp: Type.Optional(Nullable(RsvpStatus)),
  created_at: Type.String({ format: 'date-time' }),
});
export type EventView = Static<typeof Event>;

export const Attendees = Type.Object({
  going: Type.Array(User),
  maybe: Type.Array(User),
  waitlisted: Type.Array(User, { description: 'in the order seats go to them' }),
});
export type AttendeesView = Static<typeof Attendees>;

export const pollKinds = ['generic', 'reschedule', 'relocate'] as const;
export const CreatePollBody = Type.Object({
  kind: Type.Union(pollKinds.map((k) => Type.Literal(k))),
  question: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }),
  options: Type.Array(Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }), {
    minItems: 2,
    maxItems: 10,
    description: 'reschedule: future ISO instants; relocate: places; generic: any answers',
  }),
  closes_at: Type.Optional(Instant),
});
export type CreatePollInput = Static<typeof CreatePollBody>;

export const VoteBody = Type.Object({ option: Type.Integer({ minimum: 0, description: '0-based index of the option' }) });

export const Poll = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  kind: Type.Union(pollKinds.map((k) => Type.Literal(k))),
  question: Type.String(),
  options: Type.Array(Type.Object({ index: Type.Integer(), label: Type.String(), votes: Type.Integer() })),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  closes_at: Nullable(Type.String({ format: 'date-time' })),
  participant_ids: Type.Array(Type.String()),
  my_vote: Type.Optional(Nullable(Type.Integer())),
  winner_index: Nullable(Type.Integer({ description: 'once closed: the single most-voted option, null on a tie' })),
  created_at: Type.String({ format: 'date-time' }),
  closed_at: Nullable(Type.String({ format: 'date-time' })),
});
export type PollView = Static<typeof Poll>;

export const alertTypes = { generic: 'pending_poll', reschedule: 'pending_reschedule_poll', relocate: 'pending_relocation_poll' } as const;
export const Alert = Type.Object({
  type: Type.Union(Object.values(alertTypes).map((t) => Type.Literal(t))),
  poll: Poll,
  event_id: Type.String(),
});
export type AlertView = Static<typeof Alert>;

export const FeedQuery = Type.Object({ token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });
export const CalendarFeed = Type.Object({
  token: Type.String(),
  url: Type.String({ description: 'the feed to give a calendar app (a path on this server)' }),
});
export type CalendarFeedView = Static<typeof CalendarFeed>;
