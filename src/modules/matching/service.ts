import type { MatchingOptions, RateRule } from '../../config.js';
import { topics, type Bus } from '../../platform/bus/index.js';
import { iso, type Clock } from '../../platform/clock.js';
import { RiffError } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/auth.js';
import type { RateLimiter } from '../../platform/http/rate-limit.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { Scheduler } from '../../platform/jobs/scheduler.js';
import { afterCommit, inTransaction, type Database } from '../../platform/storage/database.js';
import type { QueueEntryRow, ReportRow, TalkMode, TalkParticipantRow } from '../../platform/storage/tables.js';
import type { AccountsService } from '../accounts/index.js';
import type { ChannelsService } from '../channels/index.js';
import type { AliasView } from '../channels/schema.js';
import { roomAliases } from './aliases.js';
import { presentBan, presentReceipt, presentReport } from './present.js';
import type { MatchingRepository } from './repository.js';
import type { BanInput, BanView, MatchView, QueueStateView, ReportInput, ReportReceiptView, ReportsCursor, ReportView } from './schema.js';

export interface MatchingDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: Bus;
  accounts: AccountsService;
  channels: ChannelsService;
  jobs: Pick<Scheduler, 'schedule' | 'cancel'>;
  repo: MatchingRepository;
  limiter: RateLimiter;
  /** Who has a socket open on any node. */
  presence: { onlineAmong(userIds: readonly string[]): Promise<Set<string>> };
  options: MatchingOptions;
  limits: { guestsPerBannedIp: RateRule; reportsPerUser: RateRule };
}

/** The scheduler's job kind that lets a vent or listen entry take a talk partner once it has waited `fallbackMs`. */
export const QUEUE_FALLBACK = 'matching.queue_fallback';
/** The job kind that runs `graceMs` after a user's last socket closed: they leave the queue, and rooms both left behind go. */
export const WENT_AWAY = 'matching.went_away';
const fallbackJob = (userId: string) => `talk-fallback:${userId}`;
const awayJob = (userId: string) => `talk-away:${userId}`;

/** Whom each mode pairs with at once, and whom also once a vent or listen entry has waited `fallbackMs`. */
const partnerModes: Record<TalkMode, TalkMode[]> = { vent: ['listen'], listen: ['vent'], talk: ['talk'] };
const fallbackModes: Record<TalkMode, TalkMode[]> = { vent: ['talk'], listen: ['talk'], talk: ['vent', 'listen'] };

const TRANSCRIPT_LINES = 50;
const DEFAULT_PAGE = 50;

const invalid = (field: string, message: string, sentence: string) => new RiffError('validation_failed', sentence, [{ field, message }]);

export function matchingService(deps: MatchingDeps) {
  const { clock, ids, bus, accounts, channels, jobs, repo, options } = deps;

  /** The partner `entry` may take now: its own partner mode first, then (after the fallback wait) the other; oldest first. */
  async function partnerFor(trx: Database, entry: QueueEntryRow, now: number): Promise<QueueEntryRow | undefined> {
    const preferred = await repo.findPartner(trx, entry, partnerModes[entry.mode]);
    if (preferred) return preferred;
    if (entry.mode === 'talk') return repo.findPartner(trx, entry, fallbackModes.talk, now - options.fallbackMs);
    return now - entry.queued_at >= options.fallbackMs ? repo.findPartner(trx, entry, fallbackModes[entry.mode]) : undefined;
  }

  function matchView(roomId: string, me: Pick<TalkParticipantRow, 'user_id' | 'mode'>, partner: Pick<TalkParticipantRow, 'user_id' | 'mode'>, aliases: Map<string, AliasView>): MatchView {
    const mine = aliases.get(me.user_id);
    const theirs = aliases.get(partner.user_id);
    if (!mine || !theirs) throw new Error(`room ${roomId} has no alias for one of its people`);
    return { room_id: roomId, partner_alias: theirs.alias, partner_alias_id: theirs.id, partner_mode: partner.mode, alias: mine.alias, alias_id: mine.id, mode: me.mode };
  }

  /** Pairs two waiting people in a new room, under the queue's lock; both are told after commit. Returns `a`'s view. */
  async function pair(trx: Database, a: QueueEntryRow, b: QueueEntryRow): Promise<MatchView> {
    // Under the lock both entries are still there; if not, the pairing rolls back rather than pair someone twice.
    if ((await repo.deleteEntries(trx, [a.user_id, b.user_id])) !== 2) throw new Error('a queue entry was taken by another pairing');
    const now = clock.now();
    const [aliasA, aliasB] = roomAliases();
    const { channelId, aliases } = await channels.openConversation(trx, [
      { userId: a.user_id, alias: aliasA },
      { userId: b.user_id, alias: aliasB },
    ]);
    const online = await deps.presence.onlineAmong([a.user_id, b.user_id]);
    // Someone paired while away counts as gone from now on, so the room cannot outlive both of them.
    await repo.insertParticipants(
      trx,
      [a, b].map((entry) => ({ room_id: channelId, user_id: entry.user_id, mode: entry.mode, joined_at: now, left_at: null, disconnected_at: online.has(entry.user_id) ? null : now })),
    );
    for (const entry of [a, b]) await jobs.cancel(trx, fallbackJob(entry.user_id));
    const views = [matchView(channelId, a, b, aliases), matchView(channelId, b, a, aliases)] as const;
    afterCommit(trx, () => {
      for (const [userId, view] of [[a.user_id, views[0]], [b.user_id, views[1]]] as const) {
        bus.publish(topics.user(userId), { kind: 'user_frame', user_id: userId, frame: { type: 'queue.matched', data: view } });
      }
    });
    return views[0];
  }

  async function queuedState(db: Database, entry: QueueEntryRow): Promise<QueueStateView> {
    return { state: 'queued', mode: entry.mode, position: await repo.position(db, entry), waited_s: Math.max(0, Math.floor((clock.now() - entry.queued_at) / 1000)) };
  }

  /** Matched (in a room not yet left), queued, or idle. */
  async function stateOf(db: Database, userId: string): Promise<QueueStateView> {
    const [room] = await repo.roomsOf(db, userId);
    if (room) {
      const people = await repo.participants(db, room.room_id);
      const partner = people.find((p) => p.user_id !== userId);
      if (partner) return { state: 'matched', ...matchView(room.room_id, room, partner, await channels.aliases(db, room.room_id)) };
    }
    const entry = await repo.findEntry(db, userId);
    return entry ? queuedState(db, entry) : { state: 'idle' };
  }

  /** Leaves the queue, if `userId` is in it; inside the queue's lock. */
  async function dequeue(trx: Database, userId: string): Promise<void> {
    if ((await repo.deleteEntries(trx, [userId])) > 0) await jobs.cancel(trx, fallbackJob(userId));
  }

  /** `userId` leaves a room they are in; the last one out deletes it (with `room.closed`). True when it was deleted. */
  async function leave(trx: Database, roomId: string, userId: string): Promise<boolean> {
    const people = await repo.lockRoom(trx, roomId);
    if (!people.some((p) => p.user_id === userId && p.left_at === null)) throw new RiffError('not_found', 'No such room');
    await repo.markLeft(trx, roomId, userId, clock.now());
    if ((await channels.leaveConversation(trx, roomId, userId)) > 0) return false;
    // Its participants go with the channel.
    await channels.closeConversation(trx, roomId);
    return true;
  }

  /** The people of a room `me` is in (or was, when `evenIfLeft`); anything else is 404. */
  async function roomOf(db: Database, me: Identity, roomId: string, evenIfLeft = false): Promise<TalkParticipantRow[]> {
    const people = await repo.participants(db, roomId);
    if (!people.some((p) => p.user_id === me.userId && (evenIfLeft || p.left_at === null))) throw new RiffError('not_found', 'No such room');
    return people;
  }

  return {
    /** Queues `me` and pairs them at once if someone fits; asking again answers the current state. */
    async enqueue(db: Database, me: Identity, mode: TalkMode, ip: string): Promise<QueueStateView> {
      return inTransaction(db, async (trx) => {
        await repo.lockQueue(trx);
        const current = await stateOf(trx, me.userId);
        if (current.state !== 'idle') return current;
        const now = clock.now();
        const entry: QueueEntryRow = { user_id: me.userId, id: ids.next(), mode, queued_at: now };
        await repo.insertEntry(trx, entry);
        await repo.recordAddress(trx, me.userId, ip, now);
        const partner = await partnerFor(trx, entry, now);
        if (partner) return { state: 'matched', ...(await pair(trx, entry, partner)) };
        if (mode !== 'talk') await jobs.schedule(trx, { kind: QUEUE_FALLBACK, key: fallbackJob(me.userId), runAt: now + options.fallbackMs, payload: { user_id: me.userId } });
        return queuedState(trx, entry);
      });
    },

    state: (db: Database, me: Identity) => stateOf(db, me.userId),

    async leaveQueue(db: Database, me: Identity): Promise<QueueStateView> {
      return inTransaction(db, async (trx) => {
        await repo.lockQueue(trx);
        await dequeue(trx, me.userId);
        return stateOf(trx, me.userId);
      });
    },

    /** The fallback job: a vent or listen entry that waited `fallbackMs` may now take a talk partner. */
    async fallback(db: Database, payload: unknown): Promise<void> {
      const { user_id: userId } = payload as { user_id: string };
      await inTransaction(db, async (trx) => {
        await repo.lockQueue(trx);
        const entry = await repo.findEntry(trx, userId);
        if (!entry) return;
        const partner = await partnerFor(trx, entry, clock.now());
        if (partner) await pair(trx, entry, partner);
      });
    },

    /** A user's last socket anywhere closed: if they wait or talk, they are given `graceMs` to come back. */
    async wentOffline(db: Database, userId: string): Promise<void> {
      const [entry, rooms] = await Promise.all([repo.findEntry(db, userId), repo.roomsOf(db, userId)]);
      if (!entry && rooms.length === 0) return;
      const now = clock.now();
      await inTransaction(db, async (trx) => {
        if (rooms.length > 0) await repo.markDisconnected(trx, userId, now);
        await jobs.schedule(trx, { kind: WENT_AWAY, key: awayJob(userId), runAt: now + options.graceMs, payload: { user_id: userId, since: now } });
      });
    },

    /**
     * The grace period after a disconnect ran out (a later disconnect moves this job): if the user
     * is still away they leave the queue, and each room whose people are all gone or left is deleted.
     */
    async wentAway(db: Database, payload: unknown): Promise<void> {
      const { user_id: userId, since } = payload as { user_id: string; since: number };
      if ((await deps.presence.onlineAmong([userId])).has(userId)) return;
      await inTransaction(db, async (trx) => {
        await repo.lockQueue(trx);
        const entry = await repo.findEntry(trx, userId);
        if (entry && entry.queued_at <= since) await dequeue(trx, userId);
      });
      const awaySince = clock.now() - options.graceMs;
      for (const room of await repo.roomsOf(db, userId)) {
        const online = await deps.presence.onlineAmong((await repo.participants(db, room.room_id)).map((p) => p.user_id));
        const gone = (p: TalkParticipantRow) => p.left_at !== null || (p.disconnected_at !== null && p.disconnected_at <= awaySince && !online.has(p.user_id));
        await inTransaction(db, async (trx) => {
          // Decided on the locked rows: someone may have left, or the room gone, meanwhile.
          const people = await repo.lockRoom(trx, room.room_id);
          if (people.length > 0 && people.every(gone)) await channels.closeConversation(trx, room.room_id);
        });
      }
    },

    async leaveRoom(db: Database, me: Identity, roomId: string): Promise<{ ok: true; room_closed: boolean }> {
      return { ok: true, room_closed: await inTransaction(db, (trx) => leave(trx, roomId, me.userId)) };
    },

    /** Never matched with the partner of that room again (in either direction). */
    async blockPartner(db: Database, me: Identity, roomId: string): Promise<void> {
      const people = await roomOf(db, me, roomId);
      for (const partner of people) if (partner.user_id !== me.userId) await repo.insertBlock(db, me.userId, partner.user_id, clock.now());
    },

    async report(db: Database, me: Identity, input: ReportInput): Promise<ReportReceiptView> {
      const named = (['message_id', 'room_id', 'user_id'] as const).filter((field) => input[field] !== undefined);
      if (named.length !== 1) {
        const sentence = 'Report exactly one of message_id, room_id or user_id';
        throw named.length === 0 ? invalid('message_id', 'is required (or room_id or user_id)', sentence) : invalid(named[1]!, `cannot be given with ${named[0]}`, sentence);
      }
      await deps.limiter.consume(`reports:${me.userId}`, deps.limits.reportsPerUser);
      const report: ReportRow = {
        id: ids.next(),
        reporter_id: me.userId,
        reported_user_id: null,
        message_id: null,
        room_id: null,
        reason: input.reason,
        message_text: null,
        transcript: null,
        created_at: clock.now(),
      };
      if (input.message_id !== undefined) {
        const message = await channels.reportedMessage(db, me, input.message_id);
        Object.assign(report, { message_id: message.id, room_id: message.conversation ? message.channelId : null, reported_user_id: message.authorId, message_text: message.body });
      } else if (input.room_id !== undefined) {
        const people = await roomOf(db, me, input.room_id, true);
        const lines = await channels.transcript(db, input.room_id, TRANSCRIPT_LINES);
        report.room_id = input.room_id;
        report.reported_user_id = people.find((p) => p.user_id !== me.userId)?.user_id ?? null;
        report.transcript = JSON.stringify(lines.map((line) => ({ from: line.authorId === me.userId ? 'reporter' : 'reported', body: line.body, created_at: iso(line.createdAt) })));
      } else {
        const userId = input.user_id!;
        if (userId === me.userId) throw invalid('user_id', 'is you', 'You cannot report yourself');
        if (!(await accounts.profiles(db, [userId])).has(userId)) throw new RiffError('not_found', 'No such user');
        report.reported_user_id = userId;
      }
      await repo.insertReport(db, report);
      return presentReceipt(report, input.user_id ?? null);
    },

    /** Newest first; `next` is the cursor of the page after this one. */
    async reports(db: Database, cursor: ReportsCursor): Promise<{ items: ReportView[]; next: string | undefined }> {
      const limit = cursor.limit ?? DEFAULT_PAGE;
      const rows = await repo.reports(db, { ...(cursor.before ? { before: cursor.before } : {}), limit });
      return { items: rows.map(presentReport), next: rows.length === limit ? rows.at(-1)?.id : undefined };
    },

    /** Bans a user: out of the queue and their rooms, every session ended (their sockets close). */
    async ban(db: Database, admin: Identity, input: BanInput): Promise<BanView> {
      if (input.user_id === admin.userId) throw invalid('user_id', 'is you', 'You cannot ban yourself');
      const now = clock.now();
      const until = input.until === undefined ? null : Date.parse(input.until);
      if (until !== null && !(until > now)) throw invalid('until', 'must be in the future', 'A ban ends in the future');
      if (!(await accounts.profiles(db, [input.user_id])).has(input.user_id)) throw new RiffError('not_found', 'No such user');
      return inTransaction(db, async (trx) => {
        const ban = { id: ids.next(), user_id: input.user_id, reason: input.reason, until, created_by: admin.userId, created_at: now };
        await repo.insertBan(trx, ban);
        await repo.lockQueue(trx);
        await dequeue(trx, input.user_id);
        for (const room of await repo.roomsOf(trx, input.user_id)) await leave(trx, room.room_id, input.user_id);
        await accounts.endSessionsOf(trx, input.user_id);
        return presentBan(ban);
      });
    },

    /** For logging in: a banned user may not, until the ban ends. */
    async assertMayLogIn(db: Database, userId: string): Promise<void> {
      const ban = await repo.activeBan(db, userId, clock.now());
      if (!ban) return;
      const until = ban.until === null ? null : iso(ban.until);
      throw new RiffError('account_banned', until ? `This account is banned until ${until}` : 'This account is banned', [{ until }]);
    },

    /** New guest identities from an address a banned user used are limited more tightly. */
    async admitGuest(db: Database, ip: string): Promise<void> {
      if (await repo.bannedAddress(db, ip, clock.now())) await deps.limiter.consume(`guests-from-banned-ip:${ip}`, deps.limits.guestsPerBannedIp);
    },
  };
}

export type MatchingService = ReturnType<typeof matchingService>;
