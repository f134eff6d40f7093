import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RiffApiError, type RiffClient, type SignedInView, type UserView } from '../../src/client/index.js';
import { defaultConfig } from '../../src/config.js';
import { ManualClock } from '../../src/platform/clock.js';
import { describeEachDialect, newMusician, startRiff, type TestRiff } from '../helpers/riff.js';
import { CloseCode } from '../../src/platform/gateway/protocol.js';
import { failure, randomTag, refused } from '../helpers/failures.js';
import { closeAllSockets, connect } from '../helpers/socket.js';

const DAY = 86_400_000;

describeEachDialect('accounts', (dialect) => {
  let server: TestRiff;
  const clock = new ManualClock();
  beforeAll(async () => {
    server = await startRiff(dialect, { clock });
  });
  afterAll(() => server.close());

  describe('sign-up: POST /v1/users', () => {
    it('creates the user, logs in at once: 201 with the token in the Authorization header and the body', async () => {
      const body = newMusician({ first_name: 'Ann', last_name: 'Lee' });
      const response = await fetch(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      const user = (await response.json()) as SignedInView;
      expect(response.headers.get('authorization')).toBe(`Bearer ${user.token}`);
      expect(user.token).toMatch(/^[A-Za-z0-9._~-]{43,}$/);
      expect(user).toMatchObject({ username: body.username, email: body.email, first_name: 'Ann', last_name: 'Lee', role: 'user', instruments: [] });
      expect(user.id).toMatch(/^[A-Za-z0-9._~-]+$/);
      expect(user).not.toHaveProperty('password');
      expect(user).not.toHaveProperty('password_hash');
      const me = await server.client(user.token).me();
      expect(me.id).toBe(user.id);
    });

    it('refuses a username or email that differs only in case: 409', async () => {
      const first = newMusician();
      await server.client().signUp(first);
      const sameName = await failure(server.client().signUp(newMusician({ username: first.username.toUpperCase() })));
      expect(sameName.status).toBe(409);
      expect(sameName.code).toBe('username_taken');
      const sameEmail = await failure(server.client().signUp(newMusician({ email: first.email.toUpperCase() })));
      expect(sameEmail.status).toBe(409);
      expect(sameEmail.code).toBe('email_taken');
    });

    it('takes exactly one of many simultaneous sign-ups of one username', async () => {
      const username = newMusician().username;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => server.client().signUp(newMusician({ username }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as RiffApiError).status).toBe(409);
    });

    it.each([
      ['a short password', { password: 'short', password_conf: 'short' }, 'password'],
      ['a whitespace-only password', { password: '         ', password_conf: '         ' }, 'password'],
      ['passwords that do not match', { password_conf: 'something else' }, 'password_conf'],
      ['a username with spaces', { username: 'two words' }, 'username'],
      ['a two-letter username', { username: 'ab' }, 'username'],
      ['a number as the username', { username: 123 }, 'username'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['a missing email', { email: undefined }, 'email'],
      ['a first name over 100 characters', { first_name: 'x'.repeat(101) }, 'first_name'],
      ['a photo URL that is not http(s)', { photo_url: 'javascript:alert(1)' }, 'photo_url'],
    ])('refuses %s: 400 naming the field', async (_name, overrides, field) => {
      const error = await failure(server.client().signUp(newMusician(overrides) as never));
      expect(error.status).toBe(400);
      expect(error.code).toBe('validation_failed');
      expect(error.body.details.map((d) => d.field)).toContain(field);
    });
  });

  describe('log in: POST /v1/sessions', () => {
    let body: ReturnType<typeof newMusician>;
    beforeAll(async () => {
      body = newMusician();
      await server.client().signUp(body);
    });

    it('logs in by email or by username, ignoring case: 201 with a new token', async () => {
      const byEmail = await server.client().logIn({ email: body.email.toUpperCase(), password: body.password });
      const byUsername = await server.client().logIn({ username: body.username.toUpperCase(), password: body.password });
      const usernameInEmailField = await server.client().logIn({ email: body.username, password: body.password });
      expect(byEmail.id).toBe(byUsername.id);
      expect(usernameInEmailField.id).toBe(byEmail.id);
      expect(byEmail.token).not.toBe(byUsername.token);
      const response = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: body.email, password: body.password }),
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('authorization')).toMatch(/^Bearer [A-Za-z0-9._~-]+$/);
    });

    it('answers an unknown user and a wrong password alike: 401 invalid_credentials', async () => {
      const unknown = await failure(server.client().logIn({ email: 'nobody@example.com', password: body.password }));
      const wrong = await failure(server.client().logIn({ email: body.email, password: 'wrong password' }));
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
    });

    it('refuses a login without a password: 400', async () => {
      const error = await failure(server.client().logIn({ email: body.email } as never));
      expect(error.status).toBe(400);
    });
  });

  describe('sessions', () => {
    it('logging out revokes this token at once and leaves my other sessions working', async () => {
      const body = newMusician();
      const phone = server.client();
      await phone.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ email: body.email, password: body.password });
      await phone.logOut();
      expect((await failure(phone.me())).status).toBe(401);
      expect((await laptop.me()).username).toBe(body.username);
    });

    it('DELETE /v1/sessions ends every session of mine', async () => {
      const body = newMusician();
      const phone = server.client();
      await phone.signUp(body);
      const laptop = server.client();
      await laptop.logIn({ email: body.email, password: body.password });
      expect(await laptop.logOutEverywhere()).toBe(2);
      expect((await failure(phone.me())).status).toBe(401);
      expect((await failure(laptop.me())).status).toBe(401);
    });

    it('refuses a missing, malformed or unknown token: 401', async () => {
      expect((await failure(server.client().me())).status).toBe(401);
      expect((await failure(server.client('not-a-real-token').me())).status).toBe(401);
      const response = await fetch(`${server.url}/v1/users/me`, { headers: { authorization: 'Basic abc' } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    });

    it('a session lasts 30 days and slides with use; an idle one expires', async () => {
      const active = server.client();
      await active.signUp(newMusician());
      const idle = server.client();
      await idle.signUp(newMusician());
      clock.advance(20 * DAY);
      await active.me();
      clock.advance(20 * DAY);
      expect((await active.me()).role).toBe('user');
      const expired = await failure(idle.me());
      expect(expired.status).toBe(401);
      expect(expired.code).toBe('session_expired');
    });
  });

  describe('guests: POST /v1/auth/anonymous', () => {
    it('gives a guest identity {user_id, token}: 201', async () => {
      const response = await fetch(`${server.url}/v1/auth/anonymous`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(201);
      const guest = (await response.json()) as { user_id: string; token: string };
      expect(guest).toEqual({ user_id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/), token: expect.stringMatching(/^[A-Za-z0-9._~-]+$/) });
      const me = await server.client(guest.token).me();
      expect(me).toMatchObject({ id: guest.user_id, role: 'guest', username: null });
    });

    it('also works with no body at all', async () => {
      const response = await fetch(`${server.url}/v1/auth/anonymous`, { method: 'POST' });
      expect(response.status).toBe(201);
    });

    it('guests may not use routes for registered users: 403 guest_forbidden', async () => {
      const guest = server.client();
      await guest.guest();
      const { id } = await guest.me();
      for (const call of [() => guest.musicians(), () => guest.updateProfile({ bio: 'hi' }), () => guest.user(id)]) {
        const error = await failure(call());
        expect(error.status).toBe(403);
        expect(error.code).toBe('guest_forbidden');
      }
      await guest.logOut();
      expect((await failure(guest.me())).status).toBe(401);
    });

    it('a guest token lasts 7 days and does not slide', async () => {
      const guest = server.client();
      await guest.guest();
      clock.advance(6 * DAY);
      await guest.me();
      clock.advance(1 * DAY + 1000);
      expect((await failure(guest.me())).code).toBe('session_expired');
    });

    it('guests are nobody else’s to look up: 404', async () => {
      const guest = server.client();
      const { user_id } = await guest.guest();
      const someone = server.client();
      await someone.signUp(newMusician());
      expect((await failure(someone.user(user_id))).status).toBe(404);
    });
  });

  describe('profiles', () => {
    let ann: RiffClient;
    let annId: string;
    let bob: RiffClient;
    beforeAll(async () => {
      ann = server.client();
      annId = (await ann.signUp(newMusician({ first_name: 'Ann' }))).id;
      bob = server.client();
      await bob.signUp(newMusician());
    });

    it('GET /v1/users/{id} shows a profile, with the email only to its owner', async () => {
      const seenByBob = await bob.user(annId);
      expect(seenByBob.first_name).toBe('Ann');
      expect(seenByBob).not.toHaveProperty('email');
      expect(seenByBob).not.toHaveProperty('role');
      expect(await ann.user(annId)).toHaveProperty('email');
    });

    it('an unknown user id is 404; an id with unsafe characters is 400', async () => {
      expect((await failure(bob.user('00000000000000000000000000'))).status).toBe(404);
      expect((await failure(bob.user('a b'))).status).toBe(400);
    });

    it('PATCH /v1/users/me persists the musician profile', async () => {
      const patch = {
        bio: 'Fado at heart ♥ — "quotes" and \\ backslashes',
        city: 'Lisbon',
        instruments: ['Portuguese guitar', 'vocals'],
        genres: ['fado'],
        skill_level: 'advanced' as const,
        looking_for: 'a bassist',
        photo_url: 'https://example.com/ann.png',
      };
      const updated = await ann.updateProfile(patch);
      expect(updated).toMatchObject(patch);
      expect(await bob.user(annId)).toMatchObject(patch);
      await ann.updateProfile({ photo_url: null, skill_level: null, first_name: '   ' });
      expect(await bob.user(annId)).toMatchObject({ ...patch, photo_url: null, skill_level: null, first_name: '' });
    });

    it.each([
      ['an unknown skill level', { skill_level: 'wizard' }],
      ['a string for a list', { instruments: 'guitar' }],
      ['a blank instrument', { instruments: ['  '] }],
      ['a number for a name', { first_name: 5 }],
      ['more than 20 genres', { genres: Array.from({ length: 21 }, (_, i) => `g${i}`) }],
    ])('refuses %s: 400', async (_name, patch) => {
      const error = await failure(ann.updateProfile(patch as never));
      expect(error.status).toBe(400);
    });
  });

  describe('the musician directory: GET /v1/users', () => {
    const tag = Math.random().toString(36).slice(2, 8);
    let ids: Record<string, string>;
    let viewer: RiffClient;
    beforeAll(async () => {
      ids = {};
      const people = [
        { key: 'drummer', first_name: `Dora${tag}`, city: `Porto${tag}`, instruments: ['Drums'], genres: ['jazz', 'funk'] },
        { key: 'bassist', first_name: `Basil${tag}`, city: `Porto${tag}`, instruments: ['bass', 'Double bass'], genres: ['jazz'] },
        { key: 'singer', first_name: `Sia${tag}`, city: `Braga${tag}`, instruments: ['vocals'], genres: ['100%_pop'] },
      ];
      for (const { key, first_name, ...profile } of people) {
        const client = server.client();
        ids[key] = (await client.signUp(newMusician({ first_name }))).id;
        await client.updateProfile(profile);
      }
      viewer = server.client();
      await viewer.signUp(newMusician());
      await server.client().guest();
    });

    const found = async (filter: Record<string, string | number>) =>
      (await viewer.musicians(filter)).items.map((u) => u.id).sort();

    it('filters by city, instrument (partial, any case), genre and name', async () => {
      expect(await found({ city: `porto${tag}` })).toEqual([ids.drummer, ids.bassist].sort());
      expect(await found({ city: `porto${tag}`, instrument: 'BASS' })).toEqual([ids.bassist]);
      expect(await found({ city: `porto${tag}`, genre: 'funk' })).toEqual([ids.drummer]);
      expect(await found({ q: `sia${tag}` })).toEqual([ids.singer]);
    });

    it('treats % and _ in a filter as plain characters', async () => {
      expect(await found({ q: tag, genre: '100%_pop' })).toEqual([ids.singer]);
      expect(await found({ q: tag, genre: '%' })).toEqual([ids.singer]);
      expect(await found({ q: tag, genre: '%_p' })).toEqual([ids.singer]);
      expect(await found({ q: tag, genre: 'j_zz' })).toEqual([]);
    });

    it('pages with limit and a Link to the next page, and never lists guests', async () => {
      const all: string[] = [];
      let page = await viewer.musicians({ limit: 2 });
      all.push(...page.items.map((u) => u.id));
      while (page.next) {
        expect(page.items).toHaveLength(2);
        page = await viewer.page<UserView>(page.next);
        all.push(...page.items.map((u) => u.id));
      }
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual(expect.arrayContaining(Object.values(ids)));
      const everyone = await viewer.musicians({ limit: 100 });
      expect(everyone.items.every((u) => u.username !== null)).toBe(true);
    });

    it('refuses a limit over 100 or not a number: 400', async () => {
      expect((await failure(viewer.musicians({ limit: 101 }))).status).toBe(400);
      expect((await failure(viewer.musicians({ limit: 'many' } as never))).status).toBe(400);
    });

    it('needs a session: 401', async () => {
      expect((await failure(server.client().musicians())).status).toBe(401);
    });
  });

  describe('a restart', () => {
    it('keeps users, profiles and sessions', async () => {
      const body = newMusician();
      const client = server.client();
      const user = await client.signUp(body);
      await client.updateProfile({ city: 'Oslo' });
      await server.restart();
      const again = server.client(user.token);
      expect(await again.me()).toMatchObject({ id: user.id, city: 'Oslo' });
      expect((await server.client().logIn({ email: body.email, password: body.password })).id).toBe(user.id);
    });
  });
});

describe('abuse limits', () => {
  const clock = new ManualClock();
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff('sqlite', {
      clock,
      config: {
        rateLimits: {
          ...defaultConfig.rateLimits,
          signUpsPerIp: { max: 3, windowMs: 60_000 },
          guestsPerIp: { max: 2, windowMs: 60_000 },
          loginsPerIp: { max: 6, windowMs: 60_000 },
          failedLoginsPerAccount: { max: 2, windowMs: 60_000 },
        },
      },
    });
  });
  afterAll(() => server.close());

  it('sign-ups per IP: 429 with Retry-After, lifted when the window passes', async () => {
    for (let i = 0; i < 3; i++) await server.client().signUp(newMusician());
    const limited = await failure(server.client().signUp(newMusician()));
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(60_000);
    await server.client().signUp(newMusician());
  });

  it('guest identities per IP: 429', async () => {
    await server.client().guest();
    await server.client().guest();
    expect((await failure(server.client().guest())).status).toBe(429);
  });

  it('failed logins lock the account, even for the right password, while other accounts log in', async () => {
    clock.advance(60_000);
    const victim = newMusician();
    const other = newMusician();
    await server.client().signUp(victim);
    await server.client().signUp(other);
    for (let i = 0; i < 2; i++) expect((await failure(server.client().logIn({ email: victim.email, password: 'wrong password' }))).status).toBe(401);
    const locked = await failure(server.client().logIn({ username: victim.username, password: victim.password }));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBeTruthy();
    await server.client().logIn({ email: other.email, password: other.password });
    clock.advance(60_000);
    await server.client().logIn({ email: victim.email, password: victim.password });
  });

  it('logins per IP: 429 with Retry-After', async () => {
    clock.advance(60_000);
    const body = newMusician();
    await server.client().signUp(body);
    for (let i = 0; i < 6; i++) await server.client().logIn({ email: body.email, password: body.password });
    const limited = await failure(server.client().logIn({ email: body.email, password: body.password }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });
});

describeEachDialect('password change and account deletion', (dialect) => {
  let server: TestRiff;
  beforeAll(async () => {
    server = await startRiff(dialect);
  });
  afterAll(() => server.close());
  afterEach(() => closeAllSockets());

  describe('PUT /v1/users/me/password', () => {
    it('ends every other session (their sockets close), replaces this one, and only the new password logs in', async () => {
      const body = newMusician();
      const here = server.client();
      const signedUp = await here.signUp(body);
      const elsewhere = server.client();
      await elsewhere.logIn({ email: body.email, password: body.password });
      const socket = await connect(server.url, { token: elsewhere.token! });

      const changed = await here.changePassword({ current_password: body.password, password: 'a new passphrase', password_conf: 'a new passphrase' });
      expect(changed.sessions_ended).toBe(1);
      expect(changed.token).not.toBe(signedUp.token);
      expect((await socket.closed).code).toBe(CloseCode.sessionEnded);
      expect((await failure(server.client(signedUp.token).me())).status).toBe(401);
      expect((await failure(elsewhere.me())).status).toBe(401);
      expect((await here.me()).id).toBe(signedUp.id);
      expect((await failure(server.client().logIn({ email: body.email, password: body.password }))).status).toBe(401);
      await server.client().logIn({ email: body.email, password: 'a new passphrase' });
    });

    it('refuses a wrong current password (401) and a repeat that does not match (400), changing nothing', async () => {
      const body = newMusician();
      const me = server.client();
      await me.signUp(body);
      await refused(me.changePassword({ current_password: 'not my password', password: 'a new passphrase', password_conf: 'a new passphrase' }), 401, 'invalid_credentials');
      const mismatch = await refused(me.changePassword({ current_password: body.password, password: 'a new passphrase', password_conf: 'another one' }), 400, 'validation_failed');
      expect(mismatch.body.details).toEqual([expect.objectContaining({ field: 'password_conf' })]);
      await refused(me.changePassword({ current_password: body.password, password: 'short', password_conf: 'short' }), 400, 'validation_failed');
      await me.me();
      await server.client().logIn({ email: body.email, password: body.password });
    });

    it('is for registered users: 403 for a guest', async () => {
      const guest = server.client();
      await guest.guest();
      await refused(guest.changePassword({ current_password: 'whatever1', password: 'a new passphrase', password_conf: 'a new passphrase' }), 403);
    });
  });

  describe('DELETE /v1/users/me', () => {
    it('refuses a wrong password: 401, and the account stays', async () => {
      const me = server.client();
      await me.signUp(newMusician());
      await refused(me.deleteAccount('not my password'), 401, 'invalid_credentials');
      await me.me();
    });

    it('ends the sessions, removes profile, reviews, RSVPs and memberships, keeps messages as "Deleted user", frees the username', async () => {
      const body = newMusician({ first_name: 'Gone', last_name: 'Soon' });
      const leaving = server.client();
      const user = await leaving.signUp(body);
      const other = server.client();
      await other.signUp(newMusician());

      const message = await leaving.post('general', { body: `before I go ${randomTag()}` });
      const album = await other.addAlbum({ title: `Farewell ${randomTag()}`, artist: 'Deletion' });
      await leaving.review({ album_id: album.id, rating: 5 });
      const meetup = await other.createEvent({ title: `Jam ${randomTag()}`, starts_at: new Date(Date.now() + 2 * DAY).toISOString(), time_zone: 'Europe/Berlin', location: 'Room 3' });
      await leaving.joinEvent(meetup.id);
      const own = await leaving.createEvent({ title: `Mine ${randomTag()}`, starts_at: new Date(Date.now() + 3 * DAY).toISOString(), time_zone: 'Europe/Berlin', location: 'Room 4' });
      const band = await other.createChannel({ name: `band-${randomTag()}` });
      await other.addMember(band.id, user.id);
      const socket = await connect(server.url, { token: leaving.token! });

      await leaving.deleteAccount(body.password);

      expect((await socket.closed).code).toBe(CloseCode.sessionEnded);
      expect((await failure(server.client(user.token).me())).status).toBe(401);
      expect((await failure(server.client().logIn({ email: body.email, password: body.password }))).status).toBe(401);
      expect((await failure(other.user(user.id))).status).toBe(404);
      expect((await other.musicians({ q: body.username })).items).toEqual([]);

      const kept = (await other.history('general', { limit: 100 })).items.find((item) => item.id === message.id);
      expect(kept).toMatchObject({ body: message.body, creator: { id: user.id, username: null, first_name: 'Deleted', last_name: 'user', photo_url: null } });

      const rated = await other.album(album.id);
      expect(rated.rating.count).toBe(0);
      expect(Object.values(rated.rating.histogram).every((count) => count === 0)).toBe(true);
      expect((await other.event(meetup.id)).going_count).toBe(1);
      expect((await other.eventAttendees(meetup.id)).going.map((u) => u.id)).not.toContain(user.id);
      expect((await other.event(own.id)).status).toBe('cancelled');
      expect((await other.members(band.id)).map((m) => m.id)).not.toContain(user.id);

      // The username and email are free again.
      await server.client().signUp(newMusician({ username: body.username, email: body.email }));
    });
  });
});
