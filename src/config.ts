import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** At most `max` hits per `windowMs`. */
export interface RateRule {
  max: number;
  windowMs: number;
}

export interface RateLimits {
  enabled: boolean;
  signUpsPerIp: RateRule;
  guestsPerIp: RateRule;
  /** Guest identities from an address a banned user used for Talk now. */
  guestsPerBannedIp: RateRule;
  reportsPerUser: RateRule;
  loginsPerIp: RateRule;
  /** Failed logins against one account before it is locked for the rest of the window. */
  failedLoginsPerAccount: RateRule;
  /** Message sends (REST and socket `send` frames share one count per user). */
  messagesPerUser: RateRule;
  messagesPerIp: RateRule;
  searchesPerUser: RateRule;
  searchesPerIp: RateRule;
  /** Talk-now queue entries asked for (`POST /v1/queue`). */
  queueJoinsPerUser: RateRule;
  queueJoinsPerIp: RateRule;
  reviewsPerUser: RateRule;
  reviewsPerIp: RateRule;
  /** Apps API applications created per address (creating one needs no account). */
  applicationsPerIp: RateRule;
  applicationsPerUser: RateRule;
}

export type RateLimitName = Exclude<keyof RateLimits, 'enabled'>;

/** The WebSocket gateway's bounds; tests shorten the times. */
export interface GatewayOptions {
  /** A socket whose unsent backlog passes this is cut off (slow consumer). */
  maxBufferedBytes: number;
  maxFrameBytes: number;
  authTimeoutMs: number;
  heartbeatMs: number;
  /** A resume further behind than this gets `resync_required` instead of a replay. */
  replayLimit: number;
  /** Frames one socket may send per window. */
  frameRate: RateRule;
  /** Sockets one user may have open on one node; lifted with the rate limits (`RATE_LIMITS=off`). */
  maxSocketsPerUser: number;
  typingIntervalMs: number;
  /** How long a row that arrived ahead of a missing one waits before the missing one is read from the log. */
  gapWaitMs: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://…` switches storage to PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  /** `redis://…` carries events between nodes; otherwise the bus is in-process. */
  busUrl: string | undefined;
  /** Namespaces Riff's Redis keys and channels, so several deployments (or test runs) can share one Redis. */
  busPrefix: string;
  logLevel: LogLevel;
  rateLimits: RateLimits;
  /** scrypt cost (N); lowered only by tests that sign up many users. */
  passwordCost: number;
  gateway: GatewayOptions;
  jobs: { pollMs: number; leaseMs: number; maxAttempts: number };
  matching: MatchingOptions;
  /** Browser origins allowed to call the API and open `/v1/ws` (CORS); empty = CORS off. */
  corsOrigins: string[];
  /** `musician-meetup` adds the fields the original Musician Meetup web client reads. */
  compat: Compat | undefined;
  /** Most people a private channel or group DM holds (public channels have no cap: General holds everyone). */
  privateChannelMemberCap: number;
  /** Lets Apps webhooks reach loopback, private and link-local addresses; off, so a webhook cannot probe the internal network. */
  allowPrivateWebhooks: boolean;
  /**
   * Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (addresses, CIDRs or
   * `loopback`); empty = none, and the client is the socket's peer.
   */
  trustProxy: string[];
  sessions: SessionOptions;
}

/** How long a session token works, on the shared clock. */
export interface SessionOptions {
  /** A session unused this long ends (each use moves its expiry forward). */
  idleMs: number;
  /** A session ends this long after it was opened, however much it is used. */
  absoluteMs: number;
  /** Guest sessions (Talk now) do not slide. */
  guestMs: number;
}

export type Compat = 'musician-meetup';

/** Talk now's waiting times, on the shared clock. */
export interface MatchingOptions {
  /** A vent or listen entry waiting this long may also pair with a talk entry. */
  fallbackMs: number;
  /** How long a user may be without a socket before leaving the queue (and, with the partner also gone, the room). */
  graceMs: number;
}

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const defaultConfig: Config = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: './data',
  databaseUrl: undefined,
  busUrl: undefined,
  busPrefix: 'riff:',
  logLevel: 'info',
  rateLimits: {
    enabled: true,
    signUpsPerIp: { max: 1000, windowMs: HOUR },
    guestsPerIp: { max: 1000, windowMs: HOUR },
    guestsPerBannedIp: { max: 3, windowMs: 24 * HOUR },
    reportsPerUser: { max: 30, windowMs: HOUR },
    loginsPerIp: { max: 1000, windowMs: 10 * MINUTE },
    failedLoginsPerAccount: { max: 10, windowMs: 15 * MINUTE },
    messagesPerUser: { max: 100, windowMs: 10 * SECOND },
    messagesPerIp: { max: 2000, windowMs: 10 * SECOND },
    searchesPerUser: { max: 120, windowMs: MINUTE },
    searchesPerIp: { max: 2000, windowMs: MINUTE },
    queueJoinsPerUser: { max: 60, windowMs: MINUTE },
    queueJoinsPerIp: { max: 1000, windowMs: MINUTE },
    reviewsPerUser: { max: 100, windowMs: HOUR },
    reviewsPerIp: { max: 1000, windowMs: HOUR },
    applicationsPerIp: { max: 1000, windowMs: HOUR },
    applicationsPerUser: { max: 100, windowMs: HOUR },
  },
  passwordCost: 16384,
  gateway: {
    maxBufferedBytes: 1_048_576,
    maxFrameBytes: 65_536,
    authTimeoutMs: 5_000,
    heartbeatMs: 30_000,
    replayLimit: 1_000,
    frameRate: { max: 200, windowMs: 10_000 },
    maxSocketsPerUser: 100,
    typingIntervalMs: 2_000,
    gapWaitMs: 50,
  },
  jobs: { pollMs: 1_000, leaseMs: 30_000, maxAttempts: 5 },
  matching: { fallbackMs: 10_000, graceMs: 30_000 },
  corsOrigins: [],
  compat: undefined,
  trustProxy: [],
  sessions: { idleMs: 30 * DAY, absoluteMs: 90 * DAY, guestMs: 7 * DAY },
  privateChannelMemberCap: 10_000,
  allowPrivateWebhooks: false,
};

export class ConfigError extends Error {}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The environment variables Riff reads, with the `riff serve` flag of each. */
const settings = {
  PORT: 'port',
  HOST: 'host',
  DATA_DIR: 'data-dir',
  DATABASE_URL: 'database-url',
  BUS_URL: 'bus-url',
  BUS_PREFIX: 'bus-prefix',
  LOG_LEVEL: 'log-level',
  RATE_LIMITS: 'rate-limits',
  CORS_ORIGINS: 'cors-origins',
  COMPAT: 'compat',
  TRUST_PROXY: 'trust-proxy',
  PRIVATE_WEBHOOKS: 'private-webhooks',
} as const;

export type SettingName = keyof typeof settings;
export const flagNames = Object.values(settings);

function parseUrl(name: string, value: string, schemes: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid ${name} "${redactUrl(value)}": not a URL`);
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) {
    throw new ConfigError(`invalid ${name} "${redactUrl(value)}": expected ${schemes.map((s) => `${s}://`).join(' or ')}`);
  }
  return value;
}

/** Hides a password in a connection URL before it is printed. */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/**
 * Reads settings from the environment, overridden by `riff serve` flags
 * (`--port 9000`). A bad value throws a ConfigError whose message is one line.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<string, string>> = {}): Config {
  const raw = (name: SettingName): string | undefined => {
    const value = flags[settings[name]] ?? env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const config: Config = structuredClone(defaultConfig);

  const port = raw('PORT');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new ConfigError(`invalid PORT "${port}": expected an integer from 0 to 65535`);
    }
    config.port = Number(port);
  }
  const host = raw('HOST');
  if (host !== undefined) {
    if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError(`invalid HOST "${host}": expected a host name or IP address`);
    config.host = host;
  }
  config.dataDir = path.resolve(raw('DATA_DIR') ?? config.dataDir);
  const databaseUrl = raw('DATABASE_URL');
  if (databaseUrl !== undefined) config.databaseUrl = parseUrl('DATABASE_URL', databaseUrl, ['postgres', 'postgresql']);
  const busUrl = raw('BUS_URL');
  if (busUrl !== undefined) config.busUrl = parseUrl('BUS_URL', busUrl, ['redis', 'rediss']);
  const busPrefix = raw('BUS_PREFIX');
  if (busPrefix !== undefined) {
    if (!/^[A-Za-z0-9:._-]{1,64}$/.test(busPrefix)) throw new ConfigError(`invalid BUS_PREFIX "${busPrefix}": expected up to 64 of A-Z a-z 0-9 : . _ -`);
    config.busPrefix = busPrefix;
  }
  const logLevel = raw('LOG_LEVEL');
  if (logLevel !== undefined) {
    if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
      throw new ConfigError(`invalid LOG_LEVEL "${logLevel}": expected one of ${LOG_LEVELS.join(', ')}`);
    }
    config.logLevel = logLevel as LogLevel;
  }
  const rateLimits = raw('RATE_LIMITS');
  if (rateLimits !== undefined) parseRateLimits(rateLimits, config.rateLimits);
  const corsOrigins = raw('CORS_ORIGINS');
  if (corsOrigins !== undefined) {
    config.corsOrigins = corsOrigins.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
    for (const origin of config.corsOrigins) {
      if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) throw new ConfigError(`invalid CORS_ORIGINS "${origin}": expected origins like https://meetup.example`);
    }
  }
  const compat = raw('COMPAT');
  if (compat !== undefined) {
    if (compat !== 'musician-meetup') throw new ConfigError(`invalid COMPAT "${compat}": expected musician-meetup`);
    config.compat = compat;
  }
  const trustProxy = raw('TRUST_PROXY');
  if (trustProxy !== undefined) {
    config.trustProxy = trustProxy.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    for (const entry of config.trustProxy) {
      if (!/^(loopback|linklocal|uniquelocal|[0-9A-Fa-f.:]+(\/\d{1,3})?)$/.test(entry)) {
        throw new ConfigError(`invalid TRUST_PROXY "${entry}": expected proxy addresses or CIDRs (or loopback)`);
      }
    }
  }
  const privateWebhooks = raw('PRIVATE_WEBHOOKS');
  if (privateWebhooks !== undefined) {
    if (privateWebhooks !== 'allow' && privateWebhooks !== 'refuse') throw new ConfigError(`invalid PRIVATE_WEBHOOKS "${privateWebhooks}": expected allow or refuse`);
    config.allowPrivateWebhooks = privateWebhooks === 'allow';
  }
  return config;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** `on`, `off`, or rules to change: `messagesPerUser=50/10s,searchesPerIp=500/1m`. */
function parseRateLimits(value: string, limits: RateLimits): void {
  if (value === 'on' || value === 'off') {
    limits.enabled = value === 'on';
    return;
  }
  const names = Object.keys(limits).filter((name) => name !== 'enabled');
  for (const part of value.split(',')) {
    const match = part.trim().match(/^([A-Za-z]+)=(\d{1,9})\/(\d{1,9})(ms|s|m|h|d)$/);
    const name = match?.[1];
    if (!match || !name || !names.includes(name) || Number(match[3]) === 0) {
      throw new ConfigError(`invalid RATE_LIMITS "${part.trim()}": expected on, off or rules like messagesPerUser=100/10s (rules: ${names.join(', ')})`);
    }
    limits[name as RateLimitName] = { max: Number(match[2]), windowMs: Number(match[3]) * DURATION_UNITS[match[4]!]! };
  }
}
