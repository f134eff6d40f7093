import { Route, Router } from 'preact-iso';
import { CreateMeetup } from './CreateMeetup.js';
import { Discover, MyMeetups } from './Discover.js';
import { MeetupDetail } from './MeetupDetail.js';
import './meetups.css';

/** Meetups: discover (`/meetups`, `/meetups/mine`), create (`/meetups/new`) and one meetup (`/meetups/:id`). */
export function MeetupsPage() {
  return (
    <Router>
      <Route path="/" component={Discover} />
      <Route path="/mine" component={MyMeetups} />
      <Route path="/new" component={CreateMeetup} />
      <Route path="/:id" component={MeetupDetail} />
    </Router>
  );
}
