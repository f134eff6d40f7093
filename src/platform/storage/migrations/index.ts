import type { Migration } from 'kysely';
import * as accounts from './0001_accounts.js';

/** Applied in key order, on SQLite and PostgreSQL alike. Never edit one that has shipped; add the next. */
export const migrations: Record<string, Migration> = {
  '0001_accounts': accounts,
};
