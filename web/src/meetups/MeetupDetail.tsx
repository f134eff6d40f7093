import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { AttendeesView, EventView, PollView, RsvpChoice, UpdateEventInput, UserView } from '../../../src/client/index.js';
import { useFrames, useSession } from '../app/session.js';
import { ChannelRoom } from '../channels/ChannelRoom.js';
import { ErrorNote, Page, problem } from '../shared/ui.js';
import { attendance, MeetupTags, place, rsvpLabel } from './MeetupCard.js';
import { MeetupForm, type MeetupFields } from './MeetupForm.js';
import { Polls } from './Polls.js';
import { longDateTime, sameClock, viewerZone } from './time.js';

const CHOICES: { status: RsvpChoice; label: string }[] = [
  { status: 'going', label: 'Going' },
  { status: 'maybe', label: 'Maybe' },
  { status: 'not_going', label: 'Not going' },
];

/** One meetup: when and where, my answer, who comes, its polls and its chat — kept live by the meetup channel's frames. */
export function MeetupDetail() {
  const { client, me } = useSession();
  const { params } = useRoute();
  const id = params.id!;
  const [event, setEvent] = useState<EventView | undefined>();
  const [attendees, setAttendees] = useState<AttendeesView | undefined>();
  const [polls, setPolls] = useState<PollView[]>([]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState('');

  const reload = async () => {
    try {
      const [fresh, people, open] = await Promise.all([client.event(id), client.eventAttendees(id), client.polls(id)]);
      setEvent(fresh);
      setAttendees(people);
      setPolls(open);
    } catch (caught) {
      setError(problem(caught));
    }
  };
  const refreshPeople = async () => {
    const [fresh, people] = await Promise.all([client.event(id), client.eventAttendees(id)]);
    setEvent(fresh);
    setAttendees(people);
  };

  useEffect(() => {
    setEvent(undefined);
    setEditing(false);
    void reload();
  }, [id]);

  // Frames carry no per-viewer fields: my RSVP and my votes are kept from what this page knew.
  useFrames((frame) => {
    if (!event || frame.channel_id !== event.channel_id) return;
    switch (frame.type) {
      case 'event.updated':
        setEvent((known) => ({ ...(frame.data as EventView), my_rsvp: known?.my_rsvp ?? null }));
        return;
      case 'rsvp.updated':
        void refreshPeople().catch((caught: unknown) => setError(problem(caught)));
        return;
      case 'poll.updated':
      case 'poll.closed': {
        const poll = frame.data as PollView;
        setPolls((list) => upsert(list, { ...poll, my_vote: list.find((item) => item.id === poll.id)?.my_vote ?? null }));
        return;
      }
      case 'resync_required':
        void reload();
    }
  });

  if (!event) {
    return (
      <Page title="Meetup">
        <ErrorNote error={error} />
        {!error && <p class="meetups-muted">Loading the meetup…</p>}
      </Page>
    );
  }

  const organizing = event.organizer.id === me.id;
  const cancelled = event.status === 'cancelled';

  const answer = async (status: RsvpChoice) => {
    try {
      await client.rsvp(event.id, status);
      await refreshPeople();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  const save = async (fields: MeetupFields) => {
    const patch = changes(event, fields);
    if (Object.keys(patch).length) setEvent(await client.updateEvent(event.id, patch));
    setEditing(false);
  };

  return (
    <Page title={event.title} actions={<a class="meetups-back" href="/meetups">Back to meetups</a>}>
      <ErrorNote error={error} onDismiss={() => setError('')} />
      {cancelled && (
        <p class="cancelled-note" role="status">
          This meetup was cancelled.
        </p>
      )}
      {editing ? (
        <MeetupForm event={event} submitLabel="Save changes" onSubmit={save} onCancel={() => setEditing(false)} />
      ) : (
        <div class="meetup-detail">
          <div class="meetup-main">
            <When event={event} />
            <section class="meetup-facts" aria-label="Details">
              <p>
                <strong>Where:</strong> {place(event)}
              </p>
              <p>
                <strong>Organizer:</strong> {displayName(event.organizer)}
              </p>
              <p class="attendance">{attendance(event)}</p>
              {(event.genres.length > 0 || event.instruments_wanted.length > 0) && (
                <div class="tags">
                  <MeetupTags event={event} />
                </div>
              )}
              {event.description && <p class="description">{event.description}</p>}
            </section>
            {!cancelled && (
              <section class="meetup-rsvp" aria-labelledby="rsvp-heading">
                <h2 id="rsvp-heading">Your RSVP</h2>
                <p role="status">{organizing ? 'You’re organizing this meetup — you’re going.' : rsvpStatus(event, attendees, me.id)}</p>
                {!organizing && (
                  <div class="row wrap" role="group" aria-label="RSVP">
                    {CHOICES.map((choice) => (
                      <button
                        type="button"
                        key={choice.status}
                        class={rsvpPressed(event, choice.status) ? '' : 'secondary'}
                        aria-pressed={rsvpPressed(event, choice.status)}
                        onClick={() => void answer(choice.status)}
                      >
                        {choice.label}
                      </button>
                    ))}
                  </div>
                )}
              </section>
            )}
            <div class="row wrap">
              <CalendarButton event={event} onError={setError} />
              {organizing && !cancelled && (
                <>
                  <button type="button" class="secondary" onClick={() => setEditing(true)}>
                    Edit meetup
                  </button>
                  <CancelButton onCancel={async () => setEvent(await client.cancelEvent(event.id))} onError={setError} />
                </>
              )}
            </div>
            <Polls event={event} polls={polls} organizing={organizing} onPoll={(poll) => setPolls((list) => upsert(list, poll))} />
          </div>
          <aside class="meetup-side">
            {attendees && <Attendees attendees={attendees} />}
            <ChannelRoom channelId={event.channel_id} label={`#${event.title}`} header={<h2 class="room-head">Chat</h2>} />
          </aside>
        </div>
      )}
    </Page>
  );
}

/** When it is, in the viewer's zone, and in the meetup's own zone when its clocks show another time. */
function When({ event }: { event: EventView }) {
  const here = viewerZone();
  const differs = !sameClock(event.starts_at, event.time_zone, here);
  return (
    <section class="meetup-when" aria-label="When">
      <p class="starts">
        <time dateTime={event.starts_at}>{longDateTime(event.starts_at, here)}</time>
        {differs && <span class="meetups-muted"> (your time)</span>}
        {event.ends_at && (
          <>
            {' '}
            until <time dateTime={event.ends_at}>{longDateTime(event.ends_at, here)}</time>
          </>
        )}
      </p>
      {differs && (
        <p class="local">
          {longDateTime(event.starts_at, event.time_zone)} in {event.time_zone.replaceAll('_', ' ')}, where it happens
        </p>
      )}
    </section>
  );
}

/** The list with `poll` in its place, or added at the end when it is new. */
const upsert = (list: PollView[], poll: PollView) => (list.some((item) => item.id === poll.id) ? list.map((item) => (item.id === poll.id ? poll : item)) : [...list, poll]);

const displayName = (user: UserView) => [user.first_name, user.last_name].filter(Boolean).join(' ') || `@${user.username}`;

/** The RSVP button to show pressed: a waitlisted person asked to go. */
const rsvpPressed = (event: EventView, status: RsvpChoice) => event.my_rsvp === status || (status === 'going' && event.my_rsvp === 'waitlisted');

function rsvpStatus(event: EventView, attendees: AttendeesView | undefined, myId: string): string {
  if (event.my_rsvp === 'waitlisted') {
    const position = (attendees?.waitlisted.findIndex((user) => user.id === myId) ?? -1) + 1;
    return position ? `The meetup is full — you’re number ${position} on the waitlist.` : 'The meetup is full — you’re on the waitlist.';
  }
  if (event.my_rsvp) return `${rsvpLabel(event.my_rsvp)}.`;
  return event.spots_left === 0 ? 'The meetup is full: answer Going to join the waitlist.' : 'Will you come?';
}

/** Only what the organizer changed, so untouched fields (a start already passed, say) are not sent again. */
function changes(event: EventView, fields: MeetupFields): UpdateEventInput {
  const patch: UpdateEventInput = {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const sameInstant = (a: string | null, b: string | null) => (a === null || b === null ? a === b : Date.parse(a) === Date.parse(b));
  if (fields.title !== event.title) patch.title = fields.title;
  if (fields.description !== event.description) patch.description = fields.description;
  if (!sameInstant(fields.starts_at, event.starts_at)) patch.starts_at = fields.starts_at;
  if (!sameInstant(fields.ends_at, event.ends_at)) patch.ends_at = fields.ends_at;
  if (fields.time_zone !== event.time_zone) patch.time_zone = fields.time_zone;
  if (fields.location !== event.location) patch.location = fields.location;
  if ((fields.city ?? '') !== event.city) patch.city = fields.city;
  if (fields.capacity !== event.capacity) patch.capacity = fields.capacity;
  if (!same(fields.genres, event.genres)) patch.genres = fields.genres;
  if (!same(fields.instruments_wanted, event.instruments_wanted)) patch.instruments_wanted = fields.instruments_wanted;
  return patch;
}

function Attendees({ attendees }: { attendees: AttendeesView }) {
  const groups: { title: string; people: UserView[]; ordered?: boolean }[] = [
    { title: 'Going', people: attendees.going },
    { title: 'Maybe', people: attendees.maybe },
    { title: 'Waitlist', people: attendees.waitlisted, ordered: true },
  ];
  return (
    <section class="attendees" aria-labelledby="attendees-heading">
      <h2 id="attendees-heading">Attendees</h2>
      {groups.map((group) => {
        if (!group.people.length) return null;
        const List = group.ordered ? 'ol' : 'ul';
        return (
          <div key={group.title}>
            <h3>
              {group.title} ({group.people.length})
            </h3>
            <List aria-label={group.title}>
              {group.people.map((person) => (
                <li key={person.id}>
                  <a href={`/musicians/${person.id}`}>{displayName(person)}</a>
                  {displayName(person) !== `@${person.username}` && <span class="meetups-muted"> @{person.username}</span>}
                </li>
              ))}
            </List>
          </div>
        );
      })}
    </section>
  );
}

/**
 * The `.ics` route needs the session token, which a plain link cannot send: the file is fetched
 * by the client and handed to the browser as a download.
 */
function CalendarButton({ event, onError }: { event: EventView; onError: (error: string) => void }) {
  const { client } = useSession();
  const download = async () => {
    try {
      const ics = await client.eventCalendar(event.id);
      const url = URL.createObjectURL(new Blob([ics], { type: 'text/calendar' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${event.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'meetup'}.ics`;
      link.click();
      // The download has started once the click is handled; the URL is let go a little later.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (caught) {
      onError(problem(caught));
    }
  };
  return (
    <button type="button" class="secondary" onClick={() => void download()}>
      Add to calendar
    </button>
  );
}

function CancelButton({ onCancel, onError }: { onCancel: () => Promise<void>; onError: (error: string) => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="secondary" onClick={() => setAsking(true)}>
        Cancel meetup
      </button>
    );
  }
  return (
    <span class="row confirm" role="group" aria-label="Cancel the meetup?">
      <span>Cancel it for everyone?</span>
      <button type="button" class="danger" onClick={() => onCancel().catch((caught: unknown) => onError(problem(caught)))}>
        Yes, cancel it
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}
