import { iso } from '../../platform/clock.js';
import type { BanRow, ReportRow } from '../../platform/storage/tables.js';
import type { BanView, ReportReceiptView, ReportView } from './schema.js';

/** The reporter's copy: which thing they reported, never who is behind it. */
export const presentReceipt = (row: ReportRow, namedUserId: string | null): ReportReceiptView => ({
  id: row.id,
  message_id: row.message_id,
  room_id: row.room_id,
  user_id: namedUserId,
  reason: row.reason,
  created_at: iso(row.created_at),
});

export const presentReport = (row: ReportRow): ReportView => ({
  id: row.id,
  reporter_id: row.reporter_id,
  reported_user_id: row.reported_user_id,
  message_id: row.message_id,
  room_id: row.room_id,
  reason: row.reason,
  message_text: row.message_text,
  transcript: row.transcript === null ? null : (JSON.parse(row.transcript) as ReportView['transcript']),
  created_at: iso(row.created_at),
});

export const presentBan = (row: BanRow): BanView => ({
  id: row.id,
  user_id: row.user_id,
  reason: row.reason,
  until: row.until === null ? null : iso(row.until),
  created_by: row.created_by,
  created_at: iso(row.created_at),
});
