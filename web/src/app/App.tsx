import { useEffect, useMemo, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { RiffClient, type UserView } from '../../../src/client/index.js';
import { Welcome } from '../accounts/Welcome.js';
import { AppsPage } from '../apps/AppsPage.js';
import { ChannelsPage } from '../channels/ChannelsPage.js';
import { MeetupsPage } from '../meetups/MeetupsPage.js';
import { NotificationsPage } from '../notifications/NotificationsPage.js';
import { Bell, UnreadProvider } from '../notifications/unread.js';
import { DirectoryPage } from '../people/DirectoryPage.js';
import { ProfilePage } from '../people/ProfilePage.js';
import { ReviewsPage } from '../reviews/ReviewsPage.js';
import { Live } from '../shared/live.js';
import { TalkPage } from '../talk/TalkPage.js';
import { SessionContext, useLinkState, useSession, type Session } from './session.js';

const TOKEN_KEY = 'riff.token';

/** The sections of the app, in the order of the navigation bar. */
const SECTIONS = [
  { path: '/channels', label: 'Channels' },
  { path: '/meetups', label: 'Meetups' },
  { path: '/talk', label: 'Talk now' },
  { path: '/albums', label: 'Reviews' },
  { path: '/musicians', label: 'Musicians' },
  { path: '/apps', label: 'Apps' },
];

export function App() {
  const [client] = useState(() => new RiffClient(location.origin, localStorage.getItem(TOKEN_KEY) ?? undefined));
  const [me, setMe] = useState<UserView | undefined>();
  const [checking, setChecking] = useState(Boolean(client.token));

  useEffect(() => {
    if (!client.token) return;
    client
      .me()
      .then(setMe)
      .catch(() => {
        localStorage.removeItem(TOKEN_KEY);
        client.token = undefined;
      })
      .finally(() => setChecking(false));
  }, []);

  const signedIn = (user: UserView, token: string) => {
    localStorage.setItem(TOKEN_KEY, token);
    client.token = token;
    setMe(user);
  };
  const signedOut = () => {
    localStorage.removeItem(TOKEN_KEY);
    client.token = undefined;
    setMe(undefined);
  };

  if (checking) return <p class="loading">Tuning up…</p>;
  if (!me || !client.token) return <Welcome client={client} onSignedIn={signedIn} />;
  return <SignedIn client={client} token={client.token} me={me} setMe={setMe} onSignedOut={signedOut} />;
}

function SignedIn({ client, token, me, setMe, onSignedOut }: { client: RiffClient; token: string; me: UserView; setMe: (user: UserView) => void; onSignedOut: () => void }) {
  const live = useMemo(() => new Live(token), [token]);
  useEffect(() => () => live.stop(), [live]);
  useEffect(() => {
    client.blocks().then((people) => people.forEach((person) => live.setBlocked(person.id, true)), () => undefined);
  }, [live]);
  const session: Session = {
    client,
    me,
    live,
    setMe,
    async signOut() {
      live.stop();
      await client.logOut().catch(() => undefined);
      onSignedOut();
    },
  };
  return (
    <SessionContext.Provider value={session}>
      <UnreadProvider>
        <LocationProvider>
          <div class="shell">
            <NavigationBar />
            <ConnectionBanner />
            <Router>
              <Route path="/channels/:id?" component={ChannelsPage} />
              <Route path="/meetups/*" component={MeetupsPage} />
              <Route path="/meetups" component={MeetupsPage} />
              <Route path="/talk" component={TalkPage} />
              <Route path="/albums/*" component={ReviewsPage} />
              <Route path="/albums" component={ReviewsPage} />
              <Route path="/musicians/:id?" component={DirectoryPage} />
              <Route path="/profile" component={ProfilePage} />
              <Route path="/apps" component={AppsPage} />
              <Route path="/notifications" component={NotificationsPage} />
              <Route default component={Home} />
            </Router>
          </div>
        </LocationProvider>
      </UnreadProvider>
    </SessionContext.Provider>
  );
}

/** `/` and unknown paths open the channels, where most visits start. */
function Home() {
  const { route } = useLocation();
  useEffect(() => route('/channels', true), []);
  return null;
}

function NavigationBar() {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const link = useLinkState();
  return (
    <header class="topbar">
      <a class="brand small" href="/channels">
        Riff<span aria-hidden="true"> ♪</span>
      </a>
      <nav aria-label="Sections">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.path}>
              <a href={section.path} aria-current={path.startsWith(section.path) ? 'page' : undefined}>
                {section.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Bell current={path === '/notifications'} />
      <span class={`link-state ${link}`} role="status" aria-label={`Connection: ${link}`} title={`Connection: ${link}`} />
      <a class="me" href="/profile" aria-current={path === '/profile' ? 'page' : undefined}>
        @{me.username}
      </a>
      <button type="button" class="link" onClick={() => void signOut()}>
        Log out
      </button>
    </header>
  );
}

/** Says so while the socket is down: what is typed meanwhile is sent when it is back. */
function ConnectionBanner() {
  const link = useLinkState();
  if (link === 'live') return null;
  return (
    <p class="banner" role="status">
      {link === 'connecting' ? 'Connecting…' : 'Offline — reconnecting…'}
    </p>
  );
}
