import type { RateRule, SessionOptions } from '../../config.js';
import type { Clock } from '../../platform/clock.js';
import { iso } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import { blankToEmpty } from '../../platform/http/validation.js';
import type { Identity } from '../../platform/http/auth.js';
import type { RateLimiter } from '../../platform/http/rate-limit.js';
import { hashSecret, secretToken, type IdGenerator } from '../../platform/ids.js';
import { afterCommit, inTransaction, uniqueViolation, type Database } from '../../platform/storage/database.js';
import type { Role, UserRow, UserUpdate } from '../../platform/storage/tables.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { accountsRepository as repo } from './repository.js';
import type { ChangePasswordInput, DirectoryFilter, LogInInput, ProfilePatchInput, ProfileView, SignUpInput, UserView } from './schema.js';

// Sliding sessions move their expiry forward at most this often, not on every request.
const EXTEND_EVERY = 3_600_000;

export interface AccountsDeps {
  clock: Clock;
  ids: IdGenerator;
  passwordCost: number;
  sessions: SessionOptions;
  limiter: RateLimiter;
  /** Failed logins one account takes before it is locked for the rest of the window. */
  failedLogins: RateRule;
  /** Runs in the sign-up transaction: other modules welcome the new user (General). */
  onSignUp?: (trx: Database, user: UserRow) => Promise<void>;
  /** Sessions ended (one, or all of the user's when `tokenHash` is null): their sockets close. */
  onSessionsEnded?: (userId: string, tokenHash: string | null) => void;
  /** Throws when the user may not log in now (banned); asked only once the password was right. */
  assertMayLogIn?: (db: Database, userId: string) => Promise<void>;
  /** Other modules remove what a deleted account leaves behind (reviews, RSVPs, memberships), before its profile goes. */
  onAccountDeleted?: (db: Database, identity: Identity) => Promise<void>;
}

/** What a deleted account's messages are signed with: the row stays, emptied, so they keep an author. */
const DELETED_USER = { first_name: 'Deleted', last_name: 'user' };

/** How other modules show a person: the public part of a profile. */
export type PublicProfile = ProfileView;

export const presentProfile = (row: UserRow): PublicProfile => ({
  id: row.id,
  username: row.username,
  first_name: row.first_name,
  last_name: row.last_name,
  photo_url: row.photo_url,
});

/** "Ann Lee", or the username when there is no name. */
export const displayName = (profile: PublicProfile): string =>
  [profile.first_name, profile.last_name].filter((part) => part.trim() !== '').join(' ') || profile.username || 'Someone';


/** The public profile; email and role only for its owner. One place, so private fields cannot leak by accident. */
export function presentUser(row: UserRow, viewerId?: string): UserView {
  const view: UserView = {
    id: row.id,
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    photo_url: row.photo_url,
    bio: row.bio,
    city: row.city,
    instruments: JSON.parse(row.instruments) as string[],
    genres: JSON.parse(row.genres) as string[],
    skill_level: row.skill_level as UserView['skill_level'],
    looking_for: row.looking_for,
    created_at: iso(row.created_at),
  };
  if (viewerId === row.id) {
    if (row.email !== null) view.email = row.email;
    view.role = row.role;
  }
  return view;
}

/** What a login names, lower-cased: an email or a username. */
const loginKey = (input: LogInInput) => (input.email ?? input.username ?? '').trim().toLowerCase();

export function accountsService(deps: AccountsDeps) {
  const { clock, ids } = deps;
  // Unknown logins are checked against this too, so both failures take the same time.
  const decoyHash = hashPassword('not a password of anyone', deps.passwordCost);

  const { sessions } = deps;

  async function openSession(db: Database, userId: string, role: Role): Promise<string> {
    const token = secretToken();
    const now = clock.now();
    const guest = role === 'guest';
    await repo.insertSession(db, {
      token_hash: hashSecret(token),
      user_id: userId,
      created_at: now,
      extended_at: now,
      expires_at: now + (guest ? sessions.guestMs : Math.min(sessions.idleMs, sessions.absoluteMs)),
      sliding: guest ? 0 : 1,
    });
    return token;
  }

  /** The caller's own password, checked like a login (wrong ones count towards the account's lock). */
  async function assertPassword(db: Database, userId: string, password: string): Promise<UserRow> {
    const user = await repo.findUserById(db, userId);
    if (!user?.password_hash) throw new RiffError('guest_forbidden');
    const failures = `failed-log-in:${user.id}`;
    await deps.limiter.check(failures, deps.failedLogins);
    if (!(await verifyPassword(password, user.password_hash))) {
      await deps.limiter.hit(failures, deps.failedLogins);
      throw new RiffError('invalid_credentials', 'Wrong password', [{ field: 'current_password' }]);
    }
    return user;
  }

  async function insertUnique(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint?.includes('username_key')) throw new RiffError('username_taken', undefined, [{ field: 'username' }]);
      if (constraint?.includes('email_key')) throw new RiffError('email_taken', undefined, [{ field: 'email' }]);
      throw error;
    }
  }

  return {
    async signUp(db: Database, input: SignUpInput): Promise<{ user: UserRow; token: string }> {
      if (input.password !== input.password_conf) {
        throw new RiffError('validation_failed', 'The passwords do not match', [{ field: 'password_conf', message: 'must equal password' }]);
      }
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      const now = clock.now();
      const id = ids.next();
      return inTransaction(db, async (trx) => {
        await insertUnique(() =>
          repo.insertUser(trx, {
            id,
            role: 'user',
            username: input.username,
            username_key: input.username.toLowerCase(),
            email: input.email,
            email_key: input.email.toLowerCase(),
            password_hash: passwordHash,
            first_name: blankToEmpty(input.first_name),
            last_name: blankToEmpty(input.last_name),
            photo_url: input.photo_url ?? null,
            created_at: now,
            updated_at: now,
          }),
        );
        const token = await openSession(trx, id, 'user');
        const user = (await repo.findUserById(trx, id))!;
        await deps.onSignUp?.(trx, user);
        return { user, token };
      });
    },

    async createGuest(db: Database): Promise<{ userId: string; token: string }> {
      const now = clock.now();
      const id = ids.next();
      return inTransaction(db, async (trx) => {
        await repo.insertUser(trx, { id, role: 'guest', created_at: now, updated_at: now });
        return { userId: id, token: await openSession(trx, id, 'guest') };
      });
    },

    async logIn(db: Database, input: LogInInput): Promise<{ user: UserRow; token: string }> {
      const key = loginKey(input);
      const user = key ? await repo.findUserByLogin(db, key) : undefined;
      // Counted per account, so every spelling of its login (email, username, any case) shares one limit.
      const failures = `failed-log-in:${user?.id ?? key}`;
      await deps.limiter.check(failures, deps.failedLogins);
      const matches = user?.password_hash
        ? await verifyPassword(input.password, user.password_hash)
        : (await verifyPassword(input.password, await decoyHash), false);
      if (!user || !matches) {
        await deps.limiter.hit(failures, deps.failedLogins);
        throw new RiffError('invalid_credentials');
      }
      await deps.assertMayLogIn?.(db, user.id);
      return { user, token: await openSession(db, user.id, user.role) };
    },

    /** Resolves a bearer token; expired sessions are removed as they are found. */
    async verify(db: Database, token: string): Promise<Identity> {
      const tokenHash = hashSecret(token);
      const session = await repo.findSession(db, tokenHash);
      if (!session) throw new RiffError('unauthorized', 'This session is not valid; sign in again');
      const now = clock.now();
      if (now >= session.expires_at) {
        await repo.deleteSession(db, tokenHash);
        throw new RiffError('session_expired');
      }
      if (session.sliding && now - session.extended_at >= EXTEND_EVERY) {
        await repo.extendSession(db, tokenHash, now, Math.min(now + sessions.idleMs, session.created_at + sessions.absoluteMs));
      }
      return { userId: session.user_id, role: session.role, tokenHash };
    },

    async logOut(db: Database, identity: Identity): Promise<void> {
      await repo.deleteSession(db, identity.tokenHash);
      deps.onSessionsEnded?.(identity.userId, identity.tokenHash);
    },

    /** Ends every session of a user (a ban), once the transaction commits: their sockets close then. */
    async endSessionsOf(db: Database, userId: string): Promise<number> {
      return inTransaction(db, async (trx) => {
        const ended = await repo.deleteSessionsOf(trx, userId);
        afterCommit(trx, () => deps.onSessionsEnded?.(userId, null));
        return ended;
      });
    },

    async logOutEverywhere(db: Database, identity: Identity): Promise<number> {
      const ended = await repo.deleteSessionsOf(db, identity.userId);
      deps.onSessionsEnded?.(identity.userId, null);
      return ended;
    },

    /**
     * A new password ends every session of the user, on every node (their sockets close);
     * the caller's session is replaced by a new one, whose token is returned.
     */
    async changePassword(db: Database, identity: Identity, input: ChangePasswordInput): Promise<{ user: UserRow; token: string; sessionsEnded: number }> {
      if (input.password !== input.password_conf) {
        throw new RiffError('validation_failed', 'The passwords do not match', [{ field: 'password_conf', message: 'must equal password' }]);
      }
      await assertPassword(db, identity.userId, input.current_password);
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      return inTransaction(db, async (trx) => {
        const user = (await repo.updateUser(trx, identity.userId, { password_hash: passwordHash, updated_at: clock.now() }))!;
        const ended = await repo.deleteSessionsOf(trx, identity.userId);
        const token = await openSession(trx, user.id, user.role);
        afterCommit(trx, () => deps.onSessionsEnded?.(identity.userId, null));
        // The caller's own session was replaced, not ended.
        return { user, token, sessionsEnded: ended - 1 };
      });
    },

    /**
     * Deletes an account: its sessions end, other modules remove its reviews, RSVPs and
     * memberships, and its profile is emptied (username and email freed). Its messages stay,
     * signed "Deleted user", as Slack and Discord do, so conversations keep their sense.
     */
    async deleteAccount(db: Database, identity: Identity, password: string): Promise<void> {
      await assertPassword(db, identity.userId, password);
      await deps.onAccountDeleted?.(db, identity);
      await inTransaction(db, async (trx) => {
        await repo.deleteSessionsOf(trx, identity.userId);
        await repo.updateUser(trx, identity.userId, {
          username: null,
          username_key: null,
          email: null,
          email_key: null,
          password_hash: null,
          ...DELETED_USER,
          photo_url: null,
          bio: '',
          city: '',
          instruments: '[]',
          genres: '[]',
          skill_level: null,
          looking_for: '',
          updated_at: clock.now(),
        });
        afterCommit(trx, () => deps.onSessionsEnded?.(identity.userId, null));
      });
    },

    /** A profile as `viewerId` may see it: guests and deleted accounts (no username) are nobody's to look up but their own. */
    async profile(db: Database, id: string, viewerId: string): Promise<UserRow> {
      const user = await repo.findUserById(db, id);
      if (!user || (user.username === null && user.id !== viewerId)) throw new RiffError('not_found', 'No such user');
      return user;
    },

    async updateProfile(db: Database, userId: string, patch: ProfilePatchInput): Promise<UserRow> {
      const changes: UserUpdate = { updated_at: clock.now() };
      for (const field of ['first_name', 'last_name', 'bio', 'city', 'looking_for'] as const) {
        if (patch[field] !== undefined) changes[field] = blankToEmpty(patch[field]);
      }
      if (patch.photo_url !== undefined) changes.photo_url = patch.photo_url;
      if (patch.skill_level !== undefined) changes.skill_level = patch.skill_level;
      if (patch.instruments !== undefined) changes.instruments = JSON.stringify(patch.instruments);
      if (patch.genres !== undefined) changes.genres = JSON.stringify(patch.genres);
      const user = await repo.updateUser(db, userId, changes);
      if (!user) throw new RiffError('not_found', 'No such user');
      return user;
    },

    directory: (db: Database, filter: DirectoryFilter & { limit: number }) => repo.listMusicians(db, filter),

    /** `riff admin grant`: makes a registered user an admin. */
    async grantAdmin(db: Database, username: string): Promise<UserRow> {
      const user = await repo.findUserByUsername(db, username);
      if (!user) throw new RiffError('not_found', `No user named ${username}`);
      await repo.setRole(db, user.id, 'admin');
      return { ...user, role: 'admin' };
    },

    findByUsername: (db: Database, username: string) => repo.findUserByUsername(db, username),

    /** Whole profiles of registered users by id, for `presentUser` (a meetup's organizer and attendees). */
    async users(db: Database, ids: Iterable<string>): Promise<Map<string, UserRow>> {
      const rows = await repo.findUsersByIds(db, [...new Set(ids)]);
      return new Map(rows.filter((row) => row.role !== 'guest').map((row) => [row.id, row]));
    },

    /** Public profiles of registered users (and guests, who show as nobody) by id. */
    async profiles(db: Database, ids: Iterable<string>): Promise<Map<string, PublicProfile & { role: Role }>> {
      const rows = await repo.findUsersByIds(db, [...new Set(ids)]);
      return new Map(rows.map((row) => [row.id, { ...presentProfile(row), role: row.role }]));
    },
  };
}

export type AccountsService = ReturnType<typeof accountsService>;
