import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Every table, declared once. Times are epoch milliseconds (bigint on PostgreSQL,
 * integer on SQLite); lists are JSON text, so the same queries run on both dialects.
 */
export interface Tables {
  users: UsersTable;
  sessions: SessionsTable;
}

export type Role = 'user' | 'guest' | 'admin';

export interface UsersTable {
  id: string;
  role: Role;
  /** Null for guests. `username_key` and `email_key` are lower-cased for case-insensitive uniqueness. */
  username: string | null;
  username_key: string | null;
  email: string | null;
  email_key: string | null;
  password_hash: string | null;
  first_name: Generated<string>;
  last_name: Generated<string>;
  photo_url: string | null;
  bio: Generated<string>;
  city: Generated<string>;
  instruments: Generated<string>;
  genres: Generated<string>;
  skill_level: string | null;
  looking_for: Generated<string>;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** sha256 of the bearer token: a leaked database holds no usable credential. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Sliding sessions are extended at most once per hour, not on every request. */
  extended_at: number;
  sliding: Generated<number>;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
