import { createRequire } from 'node:module';
import type { Config } from './config.js';
import { accountsRoutes, accountsService, presentUser, type AccountsService } from './modules/accounts/index.js';
import { appsRepository, appsRoutes, appsService, WEBHOOK_DELIVERY } from './modules/apps/index.js';
import { channelsRepository, channelsRoutes, channelsService, directRoutes } from './modules/channels/index.js';
import { notificationsRepository, notificationsRoutes, notificationsService } from './modules/notifications/index.js';
import { compatibility } from './modules/compat/index.js';
import { matchingRepository, matchingRoutes, matchingService, QUEUE_FALLBACK, WENT_AWAY } from './modules/matching/index.js';
import { MEETUP_REMINDER, meetupsRepository, meetupsRoutes, meetupsService, POLL_DEADLINE } from './modules/meetups/index.js';
import { reviewsRepository, reviewsRoutes, reviewsService, type ReviewsService } from './modules/reviews/index.js';
import { topics } from './platform/bus/index.js';
import { localBus } from './platform/bus/local.js';
import { redisBus } from './platform/bus/redis.js';
import { memoryPresence, redisPresence } from './platform/gateway/presence.js';
import { createGateway } from './platform/gateway/gateway.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createGuards, type Identity } from './platform/http/auth.js';
import { createMetrics } from './platform/http/metrics.js';
import { operationsRoutes } from './platform/http/operations.js';
import { MESSAGE_SEND, RateLimiter, limitKey, memoryCounters, redisCounters, routeLimits } from './platform/http/rate-limit.js';
import { createHttpServer, type HttpServer } from './platform/http/server.js';
import { webApp } from './platform/http/web.js';
import { timeOrderedIds } from './platform/ids.js';
import { Scheduler } from './platform/jobs/scheduler.js';
import { migrateToLatest, openStorage, type Database, type Storage } from './platform/storage/database.js';
import { GENERAL_CHANNEL_ID } from './platform/storage/migrations/0002_channels.js';

export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface AppOptions {
  /** Tests pass a ManualClock; everything time-dependent reads this one. */
  clock?: Clock;
}

export interface Riff {
  http: HttpServer;
  storage: Storage;
  /** Jobs due at a time, run by exactly one node; modules register their kinds. */
  jobs: Scheduler;
  /** The module services, for the CLI (seed-demo, admin grant). */
  accounts: AccountsService;
  reviews: ReviewsService;
}

/**
 * Builds a ready Riff node from config, without listening: the composition root, and the
 * only place that picks adapters (SQLite or PostgreSQL) and wires modules together.
 */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<Riff> {
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics();
  const http = await createHttpServer({ logLevel: config.logLevel, metrics, version, corsOrigins: config.corsOrigins, trustProxy: config.trustProxy });
  const storage = openStorage({ ...config, onConnectionError: (error) => http.log.warn({ err: error }, 'database connection lost') });
  http.addHook('onClose', () => storage.close());
  try {
    await migrateToLatest(storage);
  } catch (error) {
    await http.close();
    throw error;
  }

  const ids = timeOrderedIds(clock);
  // The only choice of adapters: one process keeps shared state in memory; a cluster in Redis.
  const redis = config.busUrl
    ? redisBus({ url: config.busUrl, prefix: config.busPrefix, onError: (error) => http.log.warn({ err: error }, 'bus connection problem') })
    : undefined;
  const bus = redis ?? localBus();
  const limiter = new RateLimiter(redis ? redisCounters(redis.connection, `${config.busPrefix}limit:`) : memoryCounters(clock), clock, config.rateLimits.enabled);
  const limit = routeLimits(limiter, config.rateLimits);
  const presence = redis ? redisPresence(redis.connection, config.busPrefix, ids.next()) : memoryPresence();
  http.addHook('onClose', () => bus.close());
  const accounts = accountsService({
    clock,
    ids,
    passwordCost: config.passwordCost,
    sessions: config.sessions,
    limiter,
    failedLogins: config.rateLimits.failedLoginsPerAccount,
    onSignUp: (trx, user) => channels.joinGeneral(trx, user),
    onSessionsEnded: (userId, tokenHash) => bus.publish(topics.user(userId), { kind: 'session_ended', user_id: userId, token_hash: tokenHash }),
    assertMayLogIn: (trx, userId) => matching.assertMayLogIn(trx, userId),
    onAccountDeleted: (db, identity) => removeAccountData(db, identity),
  });
  const channels = channelsService({
    clock,
    ids,
    bus,
    accounts,
    repo: channelsRepository(storage.dialect),
    privateMemberCap: config.rateLimits.enabled ? config.privateChannelMemberCap : Infinity,
    notify: (trx, notices) => notifications.notify(trx, notices),
  });
  const notifications = notificationsService({
    clock,
    ids,
    bus,
    repo: notificationsRepository(),
    isMember: (db, me, channelId) => channels.isMember(db, me, channelId),
  });
  const guards = createGuards((token) => accounts.verify(storage.db, token));
  const { db } = storage;
  const jobs = new Scheduler(db, storage.dialect, clock, ids, {
    ...config.jobs,
    onError: (error, job) => http.log.error({ err: error, job: { kind: job.kind, key: job.key, attempts: job.attempts } }, 'a scheduled job failed'),
  });
  const meetups = meetupsService({ clock, ids, accounts, channels, jobs, notify: notifications.notify, repo: meetupsRepository(storage.dialect) });
  jobs.register(POLL_DEADLINE, (payload) => meetups.closePollAtDeadline(db, payload));
  jobs.register(MEETUP_REMINDER, (payload) => meetups.remind(db, payload));
  const matching = matchingService({
    clock,
    ids,
    bus,
    accounts,
    channels,
    jobs,
    repo: matchingRepository(storage.dialect),
    limiter,
    presence,
    options: config.matching,
    limits: config.rateLimits,
  });
  jobs.register(QUEUE_FALLBACK, (payload) => matching.fallback(db, payload));
  jobs.register(WENT_AWAY, (payload) => matching.wentAway(db, payload));
  const apps = appsService({ clock, ids, bus, jobs, repo: appsRepository(storage.dialect), allowPrivateWebhooks: config.allowPrivateWebhooks });
  jobs.register(WEBHOOK_DELIVERY, (payload) => apps.deliverWebhook(db, payload));
  // Before every route: it rewrites input aliases ahead of their validation.
  const compat = compatibility(http, config.compat);
  const gateway = createGateway(http, {
    ...compat,
    allowedOrigins: config.corsOrigins,
    bus,
    presence,
    clock,
    metrics,
    // A socket lives on one node, so its frame rate is counted there, not in Redis per frame.
    limiter: new RateLimiter(memoryCounters(clock), clock, config.rateLimits.enabled),
    options: { ...config.gateway, maxSocketsPerUser: config.rateLimits.enabled ? config.gateway.maxSocketsPerUser : Infinity },
    services: {
      authenticate: (token) => accounts.verify(db, token),
      // The same as GET /v1/users/me, unread notifications included.
      profile: async (identity) => ({
        ...presentUser(await accounts.profile(db, identity.userId, identity.userId), identity.userId),
        unread_notifications: await notifications.unreadCount(db, identity.userId),
      }),
      memberships: (userId) => channels.memberships(db, userId),
      followable: (identity, channelId) => channels.followable(db, identity, channelId),
      head: (channelId) => channels.head(db, channelId),
      replay: (channelId, afterSeq, limit) => channels.replay(db, channelId, afterSeq, limit),
      send: async (identity, channelId, body, nonce) => {
        await limiter.consume(limitKey(MESSAGE_SEND, 'user', identity.userId), config.rateLimits.messagesPerUser);
        return (await channels.post(db, identity, channelId, { body, nonce })).message;
      },
      markRead: (identity, channelId, seq, origin) => channels.markRead(db, identity, channelId, seq, origin),
      typist: (identity, username, channelId) => channels.typist(db, identity.userId, username, channelId),
      presenceAudience: (userId) => channels.presenceAudience(db, userId),
      wentOffline: (userId) => matching.wentOffline(db, userId),
      application: (token) => apps.authenticate(db, token),
      chatHead: (applicationId, chatNumber) => apps.chatHead(db, applicationId, chatNumber),
    },
  });

  operationsRoutes(http, { storage, bus, metrics });
  accountsRoutes(http, {
    db,
    accounts,
    guards,
    limit,
    admitGuest: (ip) => matching.admitGuest(db, ip),
    unreadNotifications: (userId) => notifications.unreadCount(db, userId),
  });
  channelsRoutes(http, { db, channels, guards, limit, presence: gateway });
  directRoutes(http, { db, channels, guards, limit, presence: gateway });
  notificationsRoutes(http, { db, notifications, guards });
  meetupsRoutes(http, { db, meetups, guards });
  matchingRoutes(http, { db, matching, guards, limit });
  // After the gateway: a forum room's online count is its presence.
  const reviews = reviewsService({ clock, ids, accounts, channels, presence: gateway, repo: reviewsRepository(storage.dialect) });
  reviewsRoutes(http, { db, reviews, guards, limit });
  appsRoutes(http, { db, apps, guards, limit });
  await webApp(http);

  /**
   * What a deleted account leaves in other modules, removed through their own rules (scores
   * recounted, freed seats given to the waitlist, departures announced), before its profile goes.
   */
  async function removeAccountData(db: Database, identity: Identity): Promise<void> {
    const PAGE = { limit: 100 };
    for (let page = await reviews.userReviews(db, identity.userId, PAGE); page.items.length > 0; page = await reviews.userReviews(db, identity.userId, PAGE)) {
      for (const review of page.items) await reviews.deleteReview(db, identity, review.id);
    }
    const attending = [];
    for (let after: string | undefined, more = true; more; ) {
      const page = await meetups.mine(db, identity, { ...PAGE, after });
      attending.push(...page.items.filter((event) => event.status === 'scheduled'));
      after = page.next;
      more = after !== undefined;
    }
    for (const event of attending) {
      if (event.organizer.id === identity.userId) await meetups.cancel(db, identity, event.id);
      else await meetups.rsvp(db, identity, event.id, 'not_going');
    }
    await matching.leaveQueue(db, identity);
    // General keeps everyone, and meetup and conversation channels follow their own rules (above, and the room's grace period).
    for (const channel of await channels.list(db, identity)) {
      if ((channel.kind === 'channel' || channel.kind === 'forum') && channel.id !== GENERAL_CHANNEL_ID) await channels.removeMember(db, identity, channel.id, identity.userId);
    }
  }

  jobs.start();
  http.addHook('preClose', () => jobs.stop());

  await http.ready();
  return { http, storage, jobs, accounts, reviews };
}
