import { iso } from '../../platform/clock.js';
import type { PollParticipantRow, PollRow, RsvpRow } from '../../platform/storage/tables.js';
import type { UserView } from '../accounts/index.js';
import type { EventListing } from './repository.js';
import type { EventView, PollView, RsvpView } from './schema.js';

/**
 * A meetup as the API shows it. With a viewer it carries `my_rsvp`; frames, encoded once for
 * every subscriber, are presented without one.
 */
export function presentEvent(row: EventListing, organizer: UserView, viewer: boolean): EventView {
  const going = Number(row.going_count);
  const view: EventView = {
    id: row.id,
    title: row.title,
    description: row.description,
    starts_at: iso(row.starts_at),
    ends_at: row.ends_at === null ? null : iso(row.ends_at),
    time_zone: row.time_zone,
    location: row.location,
    city: row.city,
    capacity: row.capacity,
    genres: JSON.parse(row.genres) as string[],
    instruments_wanted: JSON.parse(row.instruments_wanted) as string[],
    image_url: row.image_url,
    organizer,
    channel_id: row.channel_id,
    status: row.status,
    going_count: going,
    maybe_count: Number(row.maybe_count),
    waitlisted_count: Number(row.waitlisted_count),
    spots_left: row.capacity === null ? null : Math.max(0, row.capacity - going),
    created_at: iso(row.created_at),
  };
  if (viewer) view.my_rsvp = row.my_rsvp;
  return view;
}

/** `position` is the place on the waitlist, for those on it. */
export function presentRsvp(row: RsvpRow, position: number | undefined): RsvpView {
  return { event_id: row.event_id, user_id: row.user_id, status: row.status, ...(position !== undefined ? { position } : {}) };
}

export const pollLabels = (poll: PollRow): string[] => JSON.parse(poll.options) as string[];

/** Votes per option, in option order. */
export const tally = (poll: PollRow, participants: readonly PollParticipantRow[]): number[] =>
  pollLabels(poll).map((_, index) => participants.filter((p) => p.poll_id === poll.id && p.vote === index).length);

/** A poll with its counts; with a viewer also `my_vote` (frames carry none). */
export function presentPoll(poll: PollRow, participants: readonly PollParticipantRow[], viewerId?: string): PollView {
  const own = participants.filter((p) => p.poll_id === poll.id);
  const votes = tally(poll, own);
  const view: PollView = {
    id: poll.id,
    event_id: poll.event_id,
    kind: poll.kind,
    question: poll.question,
    options: pollLabels(poll).map((label, index) => ({ index, label, votes: votes[index] ?? 0 })),
    status: poll.status,
    closes_at: poll.closes_at === null ? null : iso(poll.closes_at),
    participant_ids: own.map((p) => p.user_id),
    winner_index: poll.winner_index,
    created_at: iso(poll.created_at),
    closed_at: poll.closed_at === null ? null : iso(poll.closed_at),
  };
  if (viewerId !== undefined) view.my_vote = own.find((p) => p.user_id === viewerId)?.vote ?? null;
  return view;
}
