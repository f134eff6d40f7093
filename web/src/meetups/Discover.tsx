import { useEffect, useState } from 'preact/hooks';
import type { DiscoveryFilter, EventView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { ErrorNote, formFields, Page, problem } from '../shared/ui.js';
import { MeetupCard } from './MeetupCard.js';
import { dayBoundary } from './time.js';

/** Upcoming meetups, soonest first, narrowed by the filters. */
export function Discover() {
  const { client } = useSession();
  const [filter, setFilter] = useState<DiscoveryFilter>({});
  const listing = useListing((after) => (after ? client.page<EventView>(after) : client.events(filter)), [filter]);

  const applyFilters = (event: Event) => {
    event.preventDefault();
    const field = formFields(event);
    const from = field('from');
    const to = field('to');
    setFilter({
      q: field('q') || undefined,
      city: field('city') || undefined,
      genre: field('genre') || undefined,
      instrument: field('instrument') || undefined,
      from: from ? dayBoundary(from, false) : undefined,
      to: to ? dayBoundary(to, true) : undefined,
      include_past: field('include_past') === 'on' || undefined,
    });
  };

  return (
    <Page title="Meetups" actions={<MeetupsNav current="discover" />}>
      <form class="meetup-filters" role="search" aria-label="Find meetups" onSubmit={applyFilters}>
        <label class="wide">
          Search
          <input name="q" type="search" placeholder="Jam, open mic, rehearsal…" maxLength={100} />
        </label>
        <label>
          City
          <input name="city" maxLength={100} />
        </label>
        <label>
          Genre
          <input name="genre" maxLength={50} />
        </label>
        <label>
          Instrument
          <input name="instrument" maxLength={50} />
        </label>
        <label>
          From
          <input name="from" type="date" />
        </label>
        <label>
          To
          <input name="to" type="date" />
        </label>
        <label class="check">
          <input name="include_past" type="checkbox" />
          Include past meetups
        </label>
        <button type="submit">Find meetups</button>
      </form>
      <Listing {...listing} empty="No meetups match — try fewer filters, or start one." label="Meetups found" />
    </Page>
  );
}

/** The meetups I joined (going, maybe or waitlisted), and the ones I organize. */
export function MyMeetups() {
  const { client } = useSession();
  const listing = useListing((after) => (after ? client.page<EventView>(after) : client.myEvents()), []);
  return (
    <Page title="My meetups" actions={<MeetupsNav current="mine" />}>
      <Listing {...listing} empty="You have not joined a meetup yet." label="My meetups" />
    </Page>
  );
}

function MeetupsNav({ current }: { current: 'discover' | 'mine' }) {
  return (
    <nav class="meetups-nav" aria-label="Meetups">
      <a href="/meetups" aria-current={current === 'discover' ? 'page' : undefined}>
        Discover
      </a>
      <a href="/meetups/mine" aria-current={current === 'mine' ? 'page' : undefined}>
        My meetups
      </a>
      <a class="button" href="/meetups/new">
        New meetup
      </a>
    </nav>
  );
}

interface ListingState {
  events: EventView[] | undefined;
  more: (() => void) | undefined;
  error: string;
}

/** A paged list of meetups: the first page again whenever `deps` change, the next ones on demand. */
function useListing(load: (after?: string) => Promise<{ items: EventView[]; next: string | undefined }>, deps: unknown[]): ListingState {
  const [events, setEvents] = useState<EventView[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    let current = true;
    setError('');
    load().then(
      (page) => {
        if (!current) return;
        setEvents(page.items);
        setNext(page.next);
      },
      (caught: unknown) => current && setError(problem(caught)),
    );
    return () => {
      current = false;
    };
  }, deps);
  const more = next
    ? () =>
        load(next).then(
          (page) => {
            setEvents((list) => [...(list ?? []), ...page.items]);
            setNext(page.next);
          },
          (caught: unknown) => setError(problem(caught)),
        )
    : undefined;
  return { events, more, error };
}

function Listing({ events, more, error, empty, label }: ListingState & { empty: string; label: string }) {
  return (
    <>
      <ErrorNote error={error} />
      {!events ? (
        <p class="meetups-muted">Loading meetups…</p>
      ) : events.length === 0 ? (
        <p class="meetups-muted">{empty}</p>
      ) : (
        <ul class="meetup-list" aria-label={label}>
          {events.map((event) => (
            <MeetupCard key={event.id} event={event} />
          ))}
        </ul>
      )}
      {more && (
        <button type="button" class="secondary more" onClick={more}>
          More meetups
        </button>
      )}
    </>
  );
}
