import { topics, type Bus } from '../../platform/bus/index.js';
import { iso, type Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/auth.js';
import type { IdGenerator } from '../../platform/ids.js';
import { afterCommit, type Database } from '../../platform/storage/database.js';
import type { NotificationRow, NotificationSettingsRow, NotificationType } from '../../platform/storage/tables.js';
import type { NotificationsRepository } from './repository.js';
import type { MarkReadInput, NotificationsPage, NotificationView, SettingsInput, SettingsView } from './schema.js';

/** Something a module tells one person, inside the transaction of what caused it. */
export interface Notice {
  userId: string;
  type: NotificationType;
  channelId?: string;
  messageId?: string;
  eventId?: string;
  actorId?: string;
  data: Record<string, unknown>;
  /** Makes it happen once, however often it is asked for (a reminder sent by a retried job). */
  dedupeKey?: string;
  /** Meant for everyone in the channel (`@channel`, meetup news), not for this person by name. */
  broad?: boolean;
}

export interface NotificationsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: Bus;
  repo: NotificationsRepository;
  /** Whether `me` is in the channel; throws the channel's REST errors when they may not see it. */
  isMember: (db: Database, me: Identity, channelId: string) => Promise<boolean>;
}

const DEFAULT_PAGE = 50;

export function presentNotification(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type,
    channel_id: row.channel_id,
    message_id: row.message_id,
    event_id: row.event_id,
    actor_id: row.actor_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    created_at: iso(row.created_at),
    read: row.read_at !== null,
  };
}

const presentSettings = (channelId: string, row: Pick<NotificationSettingsRow, 'level' | 'muted_until'> | undefined): SettingsView => ({
  channel_id: channelId,
  level: row?.level ?? 'all',
  muted_until: row?.muted_until != null ? iso(row.muted_until) : null,
});

/** Whether someone's settings for a channel let this notice through. */
function wanted(settings: NotificationSettingsRow | undefined, notice: Notice, now: number): boolean {
  if (!settings) return true;
  if (settings.muted_until !== null && settings.muted_until > now) return false;
  if (settings.level === 'none') return false;
  if (settings.level === 'mentions') return (notice.type === 'mention' || notice.type === 'reply') && !notice.broad;
  return true;
}

const cursorOf = (row: NotificationRow) => `${row.read_at === null ? 'u' : 'r'}.${row.id}`;

export function notificationsService(deps: NotificationsDeps) {
  const { clock, ids, bus, repo } = deps;

  return {
    /**
     * Records notices as notifications, each pushed to its person's sockets once committed —
     * unless their settings for the channel say otherwise or they blocked whoever caused it.
     */
    async notify(trx: Database, notices: Notice[]): Promise<void> {
      if (notices.length === 0) return;
      const now = clock.now();
      const kept: Notice[] = [];
      for (const channelId of new Set(notices.map((notice) => notice.channelId))) {
        const group = notices.filter((notice) => notice.channelId === channelId);
        const settings = channelId === undefined ? new Map() : new Map((await repo.settingsOf(trx, channelId, group.map((n) => n.userId))).map((row) => [row.user_id, row]));
        kept.push(...group.filter((notice) => wanted(settings.get(notice.userId), notice, now)));
      }
      const delivered: Notice[] = [];
      for (const actorId of new Set(kept.map((notice) => notice.actorId))) {
        const group = kept.filter((notice) => notice.actorId === actorId);
        const blockers = actorId === undefined ? new Set<string>() : await repo.blockersOf(trx, actorId, group.map((n) => n.userId));
        delivered.push(...group.filter((notice) => !blockers.has(notice.userId)));
      }
      const rows: NotificationRow[] = delivered.map((notice) => ({
        id: ids.next(),
        user_id: notice.userId,
        type: notice.type,
        channel_id: notice.channelId ?? null,
        message_id: notice.messageId ?? null,
        event_id: notice.eventId ?? null,
        actor_id: notice.actorId ?? null,
        data: JSON.stringify(notice.data),
        dedupe_key: notice.dedupeKey ?? null,
        created_at: now,
        read_at: null,
      }));
      const inserted = await repo.insert(trx, rows);
      afterCommit(trx, () => {
        for (const row of rows) {
          if (inserted.has(row.id)) bus.publish(topics.user(row.user_id), { kind: 'user_frame', user_id: row.user_id, frame: { type: 'notification', data: presentNotification(row) } });
        }
      });
    },

    /** My notifications, unread first, newest first within each. */
    async list(db: Database, me: Identity, page: NotificationsPage): Promise<{ items: NotificationView[]; next: string | undefined }> {
      const limit = page.limit ?? DEFAULT_PAGE;
      const after = page.after ? { read: page.after.startsWith('r.'), id: page.after.slice(2) } : undefined;
      const rows = await repo.list(db, me.userId, { unreadOnly: page.unread === true, after, limit: limit + 1 });
      const items = rows.slice(0, limit);
      return { items: items.map(presentNotification), next: rows.length > limit ? cursorOf(items.at(-1)!) : undefined };
    },

    async markRead(db: Database, me: Identity, input: MarkReadInput): Promise<{ unread_count: number }> {
      await repo.markRead(db, me.userId, 'all' in input ? 'all' : input.ids, clock.now());
      return { unread_count: await repo.unreadCount(db, me.userId) };
    },

    unreadCount: (db: Database, userId: string) => repo.unreadCount(db, userId),

    async settings(db: Database, me: Identity, channelId: string): Promise<SettingsView> {
      await deps.isMember(db, me, channelId);
      return presentSettings(channelId, await repo.findSettings(db, channelId, me.userId));
    },

    /** My notification level for a channel I am in, and a mute until some time. */
    async saveSettings(db: Database, me: Identity, channelId: string, input: SettingsInput): Promise<SettingsView> {
      if (!(await deps.isMember(db, me, channelId))) throw new RiffError('forbidden', 'Join the channel to choose its notifications');
      const mutedUntil = input.muted_until ? Date.parse(input.muted_until) : null;
      const row = { channel_id: channelId, user_id: me.userId, level: input.level, muted_until: mutedUntil };
      await repo.saveSettings(db, row);
      return presentSettings(channelId, row);
    },
  };
}

export type NotificationsService = ReturnType<typeof notificationsService>;
