import type { EventView, RsvpView } from '../../../src/client/index.js';
import { dateTime } from '../shared/ui.js';

const RSVP_LABELS: Record<RsvpView['status'], string> = { going: 'You’re going', maybe: 'You might go', not_going: 'You’re not going', waitlisted: 'You’re on the waitlist' };

/** What the viewer answered, in words ("You’re going"), or nothing before they answer. */
export const rsvpLabel = (status: RsvpView['status'] | null | undefined) => (status ? RSVP_LABELS[status] : '');

/** "3 going · 10 places · 7 spots left", or how full it is. */
export function attendance(event: EventView): string {
  const parts = [`${event.going_count} going`];
  if (event.maybe_count) parts.push(`${event.maybe_count} maybe`);
  if (event.capacity !== null) {
    parts.push(`${event.capacity} places`);
    parts.push(event.spots_left ? `${event.spots_left} ${event.spots_left === 1 ? 'spot' : 'spots'} left` : 'full');
  }
  if (event.waitlisted_count) parts.push(`${event.waitlisted_count} waitlisted`);
  return parts.join(' · ');
}

export const place = (event: EventView) => [event.location, event.city].filter(Boolean).join(', ');

/** One meetup in a list: when (in the viewer's zone), where, how full, and my answer. */
/** A meetup's genres and the instruments it wants, as tags. */
export function MeetupTags({ event }: { event: EventView }) {
  return (
    <>
      {event.genres.map((genre) => (
        <span class="tag" key={`genre-${genre}`}>
          {genre}
        </span>
      ))}
      {event.instruments_wanted.map((instrument) => (
        <span class="tag wanted" key={`wanted-${instrument}`}>
          {instrument} wanted
        </span>
      ))}
    </>
  );
}

export function MeetupCard({ event }: { event: EventView }) {
  const mine = rsvpLabel(event.my_rsvp);
  return (
    <li class={event.status === 'cancelled' ? 'meetup-card cancelled' : 'meetup-card'}>
      <time class="when" dateTime={event.starts_at}>
        {dateTime(event.starts_at)}
      </time>
      <h2>
        <a href={`/meetups/${event.id}`}>{event.title}</a>
      </h2>
      <p class="where">{place(event)}</p>
      <p class="attendance">{attendance(event)}</p>
      <div class="tags">
        {event.status === 'cancelled' && <span class="tag alert">Cancelled</span>}
        {mine && <span class={`tag rsvp ${event.my_rsvp}`}>{mine}</span>}
        <MeetupTags event={event} />
      </div>
    </li>
  );
}
