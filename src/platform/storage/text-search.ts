import { sql, type RawBuilder } from 'kysely';

/** Trigram indexes (FTS5 trigram, pg_trgm) need three characters; shorter queries scan instead. */
export const TRIGRAM_MIN = 3;

/** `%text%` for LIKE with `escape '\'`: `%`, `_` and `\` in the text match themselves. */
export const likeFragment = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** An FTS5 phrase: inside double quotes every character is literal (a quote is doubled). */
export const ftsPhrase = (text: string): string => `"${text.replaceAll('"', '""')}"`;

/** `column` contains `text`, ignoring case, on both dialects (SQLite has no LIKE escape unless told). */
export const containsIgnoringCase = (column: string, text: string): RawBuilder<boolean> =>
  sql<boolean>`lower(${sql.ref(column)}) like ${likeFragment(text.toLowerCase())} escape '\\'`;
