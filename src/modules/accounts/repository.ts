import type { Database } from '../../platform/storage/database.js';
import { prepared } from '../../platform/storage/prepared.js';
import { containsIgnoringCase } from '../../platform/storage/text-search.js';
import type { NewUser, Role, SessionRow, UserRow, UserUpdate } from '../../platform/storage/tables.js';

// Every authenticated request reads its session, and every presented message its author.
const usersByIds = prepared((db, a: { ids: readonly string[] }) => db.selectFrom('users').selectAll().where('id', 'in', a.ids));
const sessionByToken = prepared((db, a: { tokenHash: string }) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.user_id', 'sessions.created_at', 'sessions.expires_at', 'sessions.extended_at', 'sessions.sliding', 'users.role'])
    .where('sessions.token_hash', '=', a.tokenHash),
);

export const accountsRepository = {
  insertUser: (db: Database, user: NewUser) => db.insertInto('users').values(user).execute(),

  findUserById: (db: Database, id: string) => usersByIds.first(db, { ids: [id] }),

  findUserByLogin: (db: Database, loginKey: string) =>
    db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb.or([eb('email_key', '=', loginKey), eb('username_key', '=', loginKey)]))
      .executeTakeFirst(),

  findUsersByIds: (db: Database, ids: readonly string[]) => (ids.length === 0 ? Promise.resolve([]) : usersByIds.all(db, { ids })),

  findUserByUsername: (db: Database, username: string) =>
    db.selectFrom('users').selectAll().where('username_key', '=', username.toLowerCase()).executeTakeFirst(),

  async updateUser(db: Database, id: string, changes: UserUpdate): Promise<UserRow | undefined> {
    await db.updateTable('users').set(changes).where('id', '=', id).execute();
    return accountsRepository.findUserById(db, id);
  },

  setRole: (db: Database, id: string, role: Role) => db.updateTable('users').set({ role }).where('id', '=', id).execute(),

  /** Registered users matching every given filter, in username order, after the `after` username. */
  listMusicians(db: Database, filter: { q?: string; instrument?: string; genre?: string; city?: string; after?: string; limit: number }) {
    let query = db.selectFrom('users').selectAll().where('role', '!=', 'guest').where('username_key', 'is not', null);
    const { q, instrument, genre, city, after } = filter;
    if (q) {
      query = query.where((eb) =>
        eb.or(['username_key', 'first_name', 'last_name'].map((column) => containsIgnoringCase(column, q))),
      );
    }
    // Lists are JSON text: match the JSON-encoded form of the text, so `"` and `\` cannot break out of an element.
    const encoded = (text: string) => JSON.stringify(text).slice(1, -1);
    if (instrument) query = query.where(containsIgnoringCase('instruments', encoded(instrument)));
    if (genre) query = query.where(containsIgnoringCase('genres', encoded(genre)));
    if (city) query = query.where(containsIgnoringCase('city', city));
    if (after) query = query.where('username_key', '>', after.toLowerCase());
    return query.orderBy('username_key').limit(filter.limit).execute();
  },

  insertSession: (db: Database, session: Omit<SessionRow, 'sliding'> & { sliding: number }) =>
    db.insertInto('sessions').values(session).execute(),

  findSession: (db: Database, tokenHash: string) => sessionByToken.first(db, { tokenHash }),

  extendSession: (db: Database, tokenHash: string, now: number, expiresAt: number) =>
    db.updateTable('sessions').set({ extended_at: now, expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute(),

  deleteSession: (db: Database, tokenHash: string) => db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute(),

  async deleteSessionsOf(db: Database, userId: string): Promise<number> {
    const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
