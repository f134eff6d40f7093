import { createRequire } from 'node:module';
import type { Config } from './config.js';
import { accountsRoutes, accountsService, presentUser, type AccountsService } from './modules/accounts/index.js';
import { appsRepository, appsRoutes, appsService, WEBHOOK_DELIVERY } from './modules/apps/index.js';
import { channelsRepository, channelsRoutes, channelsService } from './modules/channels/index.js';
import { compatibility } from './modules/compat/index.js';
import { matchingRepository, matchingRoutes, matchingService, QUEUE_FALLBACK, WENT_AWAY } from './modules/matching/index.js';
import { meetupsRepository, meetupsRoutes, meetupsService, POLL_DEADLINE } from './modules/meetups/index.js';
import { reviewsRepository, reviewsRoutes, reviewsService, type ReviewsService } from './modules/reviews/index.js';
import { topics } from './platform/bus/index.js';
import { localBus } from './platform/bus/local.js';
import { redisBus } from './platform/bus/redis.js';
import { memoryPresence, redisPresence } from './platform/gateway/presence.js';
import { createGateway } from './platform/gateway/gateway.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createGuards } from './platform/http/auth.js';
import { createMetrics } from './platform/http/metrics.js';
import { operationsRoutes } from './platform/http/operations.js';
import { RateLimiter, memoryCounters, redisCounters } from './platform/http/rate-limit.js';
import { createHttpServer, type HttpServer } from './platform/http/server.js';
import { webApp } from './platform/http/web.js';
import { timeOrderedIds } from './platform/ids.js';
import { Scheduler } from './platform/jobs/scheduler.js';
import { migrateToLatest, openStorage, type Storage } from './platform/storage/database.js';

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
  const http = await createHttpServer({ logLevel: config.logLevel, metrics, version, corsOrigins: config.corsOrigins });
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
  const presence = redis ? redisPresence(redis.connection, config.busPrefix, ids.next()) : memoryPresence();
  http.addHook('onClose', () => bus.close());
  const accounts = accountsService({
    clock,
    ids,
    passwordCost: config.passwordCost,
    limiter,
    failedLogins: config.rateLimits.failedLoginsPerAccount,
    onSignUp: (trx, user) => channels.joinGeneral(trx, user),
    onSessionsEnded: (userId, tokenHash) => bus.publish(topics.user(userId), { kind: 'session_ended', user_id: userId, token_hash: tokenHash }),
    assertMayLogIn: (trx, userId) => matching.assertMayLogIn(trx, userId),
  });
  const channels = channelsService({
    clock,
    ids,
    bus,
    accounts,
    repo: channelsRepository(storage.dialect),
    limiter,
    messageRate: config.rateLimits.messagesPerUser,
  });
  const guards = createGuards((token) => accounts.verify(storage.db, token));
  const { db } = storage;
  const jobs = new Scheduler(db, storage.dialect, clock, ids, {
    ...config.jobs,
    onError: (error, job) => http.log.error({ err: error, job: { kind: job.kind, key: job.key, attempts: job.attempts } }, 'a scheduled job failed'),
  });
  const meetups = meetupsService({ clock, ids, accounts, channels, jobs, repo: meetupsRepository(storage.dialect) });
  jobs.register(POLL_DEADLINE, (payload) => meetups.closePollAtDeadline(db, payload));
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
    options: config.gateway,
    services: {
      authenticate: (token) => accounts.verify(db, token),
      profile: async (identity) => presentUser(await accounts.profile(db, identity.userId, identity.userId), identity.userId),
      memberships: (userId) => channels.memberships(db, userId),
      followable: (identity, channelId) => channels.followable(db, identity, channelId),
      head: (channelId) => channels.head(db, channelId),
      replay: (channelId, afterSeq, limit) => channels.replay(db, channelId, afterSeq, limit),
      send: async (identity, channelId, body, nonce) => (await channels.post(db, identity, channelId, { body, nonce })).message,
      markRead: (identity, channelId, seq, origin) => channels.markRead(db, identity, channelId, seq, origin),
      typist: (identity, username, channelId) => channels.typist(db, identity.userId, username, channelId),
      presenceAudience: (userId) => channels.presenceAudience(db, userId),
      wentOffline: (userId) => matching.wentOffline(db, userId),
      application: (token) => apps.authenticate(db, token),
      chatHead: (applicationId, chatNumber) => apps.chatHead(db, applicationId, chatNumber),
    },
  });

  operationsRoutes(http, { storage, bus, metrics });
  accountsRoutes(http, { db, accounts, guards, limiter, limits: config.rateLimits, admitGuest: (ip) => matching.admitGuest(db, ip) });
  channelsRoutes(http, { db, channels, guards, presence: gateway });
  meetupsRoutes(http, { db, meetups, guards });
  matchingRoutes(http, { db, matching, guards });
  // After the gateway: a forum room's online count is its presence.
  const reviews = reviewsService({ clock, ids, accounts, channels, presence: gateway, repo: reviewsRepository(storage.dialect) });
  reviewsRoutes(http, { db, reviews, guards });
  appsRoutes(http, { db, apps, guards, limiter, creationRate: config.rateLimits.applicationsPerIp });
  await webApp(http);

  jobs.start();
  http.addHook('preClose', () => jobs.stop());

  await http.ready();
  return { http, storage, jobs, accounts, reviews };
}
