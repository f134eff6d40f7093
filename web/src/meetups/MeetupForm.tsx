import { useState } from 'preact/hooks';
import type { CreateEventInput, EventView } from '../../../src/client/index.js';
import { ErrorNote, problem } from '../shared/ui.js';
import { instantToWallClock, longDateTime, sameClock, timeZones, viewerZone, wallClockToInstant } from './time.js';

const tags = (text: string) =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);

/** The form's fields as the API takes them; `ends_at` is null when the end was left empty. */
export type MeetupFields = Omit<CreateEventInput, 'ends_at' | 'capacity' | 'datetime'> & { ends_at: string | null; capacity: number | null };

/**
 * A meetup's details, for a new one or an edit. Dates are typed as wall-clock times of the chosen
 * zone (the meetup's own, by default the viewer's) and sent as the UTC instants they mean there.
 */
export function MeetupForm({ event, submitLabel, onSubmit, onCancel }: { event?: EventView; submitLabel: string; onSubmit: (fields: MeetupFields) => Promise<void>; onCancel?: () => void }) {
  const [zones] = useState(timeZones);
  const [timeZone, setTimeZone] = useState(event?.time_zone ?? viewerZone());
  const [starts, setStarts] = useState(event ? instantToWallClock(event.starts_at, event.time_zone) : '');
  const [ends, setEnds] = useState(event?.ends_at ? instantToWallClock(event.ends_at, event.time_zone) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const startsAt = starts ? wallClockToInstant(starts, timeZone) : undefined;
  const here = viewerZone();

  const submit = async (submitted: Event) => {
    submitted.preventDefault();
    const form = new FormData(submitted.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? '').trim();
    if (!startsAt) return setError('Say when the meetup starts');
    const endsAt = ends ? wallClockToInstant(ends, timeZone) : null;
    if (endsAt && endsAt <= startsAt) return setError('The end must come after the start');
    const capacity = field('capacity');
    setBusy(true);
    setError('');
    try {
      await onSubmit({
        title: field('title'),
        description: field('description'),
        starts_at: startsAt,
        ends_at: endsAt,
        time_zone: timeZone,
        location: field('location'),
        city: field('city'),
        capacity: capacity ? Number(capacity) : null,
        genres: tags(field('genres')),
        instruments_wanted: tags(field('instruments_wanted')),
      });
    } catch (caught) {
      setError(problem(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="meetup-form card" aria-label={submitLabel} onSubmit={submit}>
      <label>
        Title
        <input name="title" required maxLength={100} defaultValue={event?.title} />
      </label>
      <label>
        Description
        <textarea name="description" rows={4} maxLength={5000} defaultValue={event?.description} />
      </label>
      <div class="form-row">
        <label>
          Starts
          <input name="starts" type="datetime-local" required value={starts} onInput={(input) => setStarts(input.currentTarget.value)} />
        </label>
        <label>
          Ends (optional)
          <input name="ends" type="datetime-local" value={ends} min={starts || undefined} onInput={(input) => setEnds(input.currentTarget.value)} />
        </label>
        <label>
          Time zone
          <select name="time_zone" value={timeZone} onChange={(change) => setTimeZone(change.currentTarget.value)}>
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </label>
      </div>
      {startsAt && (
        <p class="zone-note" aria-live="polite">
          {sameClock(startsAt, timeZone, here) ? (
            <>Starts {longDateTime(startsAt, timeZone)}</>
          ) : (
            <>
              Starts {longDateTime(startsAt, timeZone)} there — {longDateTime(startsAt, here)} your time
            </>
          )}
        </p>
      )}
      <div class="form-row">
        <label>
          Place
          <input name="location" required maxLength={300} placeholder="Venue, address or room" defaultValue={event?.location} />
        </label>
        <label>
          City
          <input name="city" maxLength={100} defaultValue={event?.city} />
        </label>
        <label>
          Capacity (optional)
          <input name="capacity" type="number" min={1} max={100000} inputMode="numeric" defaultValue={event?.capacity ?? ''} />
        </label>
      </div>
      <div class="form-row">
        <label>
          Genres (comma separated)
          <input name="genres" placeholder="jazz, funk" defaultValue={event?.genres.join(', ')} />
        </label>
        <label>
          Instruments wanted (comma separated)
          <input name="instruments_wanted" placeholder="bass, drums" defaultValue={event?.instruments_wanted.join(', ')} />
        </label>
      </div>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
