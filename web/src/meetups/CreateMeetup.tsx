import { useLocation } from 'preact-iso';
import { useSession } from '../app/session.js';
import { Page } from '../shared/ui.js';
import { MeetupForm, type MeetupFields } from './MeetupForm.js';

/** Starts a meetup, then opens it. */
export function CreateMeetup() {
  const { client } = useSession();
  const { route } = useLocation();
  const create = async ({ ends_at, capacity, ...fields }: MeetupFields) => {
    const event = await client.createEvent({ ...fields, ...(ends_at ? { ends_at } : {}), ...(capacity ? { capacity } : {}) });
    route(`/meetups/${event.id}`);
  };
  return (
    <Page title="New meetup" actions={<a class="meetups-back" href="/meetups">Back to meetups</a>}>
      <MeetupForm submitLabel="Create meetup" onSubmit={create} />
    </Page>
  );
}
