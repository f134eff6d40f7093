import type { Migration } from 'kysely';
import type { DialectName } from '../database.js';
import * as accounts from './0001_accounts.js';
import { channelsMigration } from './0002_channels.js';
import * as jobs from './0003_jobs.js';
import * as meetups from './0004_meetups.js';
import * as matching from './0005_matching.js';
import { reviewsMigration } from './0006_reviews.js';
import { appsMigration } from './0007_apps.js';
import * as chatDepth from './0008_chat_depth.js';
import { searchByRowidMigration } from './0009_search_by_rowid.js';
import { messagesByChannelMigration } from './0010_messages_by_channel.js';

/** Applied in key order, on SQLite and PostgreSQL alike. Never edit one that has shipped; add the next. */
export const migrationsFor = (dialect: DialectName): Record<string, Migration> => ({
  '0001_accounts': accounts,
  '0002_channels': channelsMigration(dialect),
  '0003_jobs': jobs,
  '0004_meetups': meetups,
  '0005_matching': matching,
  '0006_reviews': reviewsMigration(dialect),
  '0007_apps': appsMigration(dialect),
  '0008_chat_depth': chatDepth,
  '0009_search_by_rowid': searchByRowidMigration(dialect),
  '0010_messages_by_channel': messagesByChannelMigration(dialect),
});
