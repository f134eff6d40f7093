import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GatewayOptions } from '../../config.js';
import type { UserView } from '../../modules/accounts/schema.js';
import type { MessageView, TypistView } from '../../modules/channels/schema.js';
import type { Bus, BusMessage } from '../bus/index.js';
import { topics } from '../bus/index.js';
import type { Clock } from '../clock.js';
import { RiffError, envelope } from '../errors.js';
import { bearerToken, type Identity } from '../http/auth.js';
import type { Metrics } from '../http/metrics.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { HttpServer } from '../http/server.js';
import { assertCleanInput } from '../http/validation.js';
import { secretToken } from '../ids.js';
import { ApplicationConnection, Connection, Subscription, type Peer } from './connection.js';
import { ChannelFeeds, encodeFrame, type FeedSource } from './hub.js';
import type { PresenceStore } from './presence.js';
import { CloseCode, parseClientFrame, type ChannelEventFrame, type ChannelFrame, type ClientFrame, type UserFrame } from './protocol.js';

/** What the gateway needs from the modules, bound to the database by the composition root. */
export interface GatewayServices extends FeedSource {
  authenticate(token: string): Promise<Identity>;
  profile(identity: Identity): Promise<UserView>;
  memberships(userId: string): Promise<Array<{ id: string; last_seq: number }>>;
  /** The channel's head if the identity may follow it; throws a RiffError otherwise. */
  followable(identity: Identity, channelId: string): Promise<number>;
  send(identity: Identity, channelId: string, body: string, nonce: string): Promise<MessageView>;
  markRead(identity: Identity, channelId: string, seq: number, origin: string): Promise<unknown>;
  /** How a typing signal names the user in a channel (by alias in a conversation room). */
  typist(identity: Identity, username: string | null, channelId: string): Promise<TypistView>;
  /** Where a user's presence shows, and who must never see it (their Talk-now partners). */
  presenceAudience(userId: string): Promise<{ channelIds: string[]; hiddenFrom: string[] }>;
  /** The user's last socket on any node closed. */
  wentOffline(userId: string): Promise<void>;
  /** The Apps API application a token opens; throws a RiffError for an unknown token. */
  application(token: string): Promise<{ id: string; application_name: string; chats_count: number }>;
  /** How many messages a chat of the application has; throws a RiffError for an unknown chat. */
  chatHead(applicationId: string, chatNumber: number): Promise<number>;
}

export interface GatewayDeps {
  bus: Bus;
  presence: PresenceStore;
  services: GatewayServices;
  clock: Clock;
  metrics: Metrics;
  limiter: RateLimiter;
  options: GatewayOptions;
  /** Browser origins that may open sockets; empty = any (CORS off). Clients without an Origin are not browsers and always may. */
  allowedOrigins: string[];
  /** Decorates every channel frame once, before it is encoded for all its recipients (e.g. for a compatibility mode). */
  presentFrame?: <F extends ChannelFrame>(frame: F) => F;
}

export interface Gateway {
  /** Which of these users have a socket open on any node. */
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
}

/** `?resume=<channel_id>:<seq>,…` as a map. */
function parseResume(value: string | null): Record<string, number> {
  const resume: Record<string, number> = {};
  for (const part of value?.split(',') ?? []) {
    const match = part.match(/^([A-Za-z0-9._~-]{1,64}):(\d{1,15})$/);
    if (match) resume[match[1]!] = Number(match[2]);
  }
  return resume;
}

function refuseUpgrade(socket: Duplex, status: number, error: RiffError): void {
  const body = JSON.stringify(envelope(error.code, error.message, error.details));
  socket.end(
    `HTTP/1.1 ${status} ${{ 401: 'Unauthorized', 403: 'Forbidden' }[status] ?? 'Not Found'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * `/v1/ws` on the HTTP server's port. Each socket follows the channels of its user, gets
 * their log rows in seq order exactly once (replaying from the database on resume), and
 * can send, type and mark read.
 */
export function createGateway(http: HttpServer, deps: GatewayDeps): Gateway {
  const { bus, clock, metrics, limiter, options, presence, allowedOrigins } = deps;
  const presentFrame = deps.presentFrame;
  const services: GatewayServices = presentFrame
    ? {
        ...deps.services,
        replay: async (channelId, afterSeq, limit) => {
          const page = await deps.services.replay(channelId, afterSeq, limit);
          return { ...page, frames: page.frames.map(presentFrame) };
        },
      }
    : deps.services;
  const log = http.log.child({ component: 'gateway' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, perMessageDeflate: false });
  const feeds = new ChannelFeeds(bus, services, { gapWaitMs: options.gapWaitMs, present: presentFrame, onError: (error) => log.error({ err: error }, 'filling a gap in a channel feed failed') });
  const byUser = new Map<string, Set<Connection>>();
  const userTopics = new Map<string, () => void>();
  const connections = new Set<Connection>();
  const typists = new WeakMap<Subscription, TypistView>();
  const applicationConnections = new Set<ApplicationConnection>();
  /** Per application with sockets on this node: one bus subscription, shared by those sockets. */
  const byApplication = new Map<string, { sockets: Set<ApplicationConnection>; unsubscribe: () => void }>();
  const sendLimits = {
    maxBufferedBytes: options.maxBufferedBytes,
    onSent: () => metrics.framesOut.inc(),
    onSlow: () => metrics.slowConsumers.inc(),
  };

  // A plain GET (no upgrade) gets an answer instead of a 404, and the route shows in the API document.
  http.get('/v1/ws', { schema: { tags: ['real time'], summary: 'WebSocket endpoint (upgrade required)' } }, async () => {
    throw new RiffError('upgrade_required');
  });

  http.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over nothing else listens for its errors: a client that
    // resets while its token is checked (or its refusal is written) must not crash the node.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const url = new URL(request.url ?? '/', 'http://riff.invalid');
    if (url.pathname !== '/v1/ws') {
      refuseUpgrade(socket, 404, new RiffError('route_not_found'));
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && allowedOrigins.length > 0 && !allowedOrigins.includes(origin)) {
      refuseUpgrade(socket, 403, new RiffError('forbidden', 'This origin may not open sockets'));
      return;
    }
    const token = bearerToken(request.headers.authorization) ?? bearerToken(url.searchParams.get('auth') ?? undefined);
    const resume = parseResume(url.searchParams.get('resume'));
    if (!token) {
      socket.removeListener('error', onSocketError);
      wss.handleUpgrade(request, socket, head, (ws) => awaitAuthFrame(ws, socket, resume));
      return;
    }
    services.authenticate(token).then(
      (identity) => {
        socket.removeListener('error', onSocketError);
        wss.handleUpgrade(request, socket, head, (ws) => void open(ws, socket, identity, token, resume));
      },
      (error: unknown) => {
        if (error instanceof RiffError) refuseUpgrade(socket, 401, error);
        else {
          log.error({ err: error }, 'authenticating a socket failed');
          socket.destroy();
        }
      },
    );
  });

  function awaitAuthFrame(ws: WebSocket, stream: Duplex, resume: Record<string, number>): void {
    // ws emits protocol errors (an oversized first frame) as 'error': unheard, they crash the node.
    ws.on('error', () => ws.terminate());
    const timer = setTimeout(() => ws.close(CloseCode.authTimeout, `authenticate within ${options.authTimeoutMs} ms: send {"type":"auth","token":…}`), options.authTimeoutMs);
    ws.once('message', (data) => {
      clearTimeout(timer);
      const parsed = parseClientFrame(data.toString());
      if ('error' in parsed || parsed.frame.type !== 'auth') {
        ws.close(CloseCode.unauthorized, 'the first frame must be {"type":"auth","token":…}');
        return;
      }
      const frame = parsed.frame;
      if ('application_token' in frame) {
        openApplication(ws, stream, frame.application_token);
        return;
      }
      services.authenticate(frame.token).then(
        (identity) => void open(ws, stream, identity, frame.token, { ...resume, ...frame.resume }),
        () => ws.close(CloseCode.unauthorized, 'this session is not valid; sign in again'),
      );
    });
  }

  async function open(ws: WebSocket, stream: Duplex, identity: Identity, token: string, resume: Record<string, number>): Promise<void> {
    let user: UserView;
    try {
      user = await services.profile(identity);
    } catch {
      ws.close(CloseCode.unauthorized, 'no such user');
      return;
    }
    // The client left while its profile was read: its 'close' has passed and would never drop it.
    if (ws.readyState !== ws.OPEN) return;
    if ((byUser.get(identity.userId)?.size ?? 0) >= options.maxSocketsPerUser) {
      ws.close(CloseCode.tooManySockets, `too many sockets: at most ${options.maxSocketsPerUser} per user; close one first`);
      return;
    }
    const connection = new Connection(secretToken(), ws, stream, identity, token, user.username, sendLimits);
    connections.add(connection);
    metrics.openSockets.inc();
    ws.on('pong', () => (connection.alive = true));
    ws.on('message', (data, isBinary) => {
      metrics.framesIn.inc();
      void receive(connection, isBinary ? null : data.toString());
    });
    ws.on('close', () => drop(connection));
    ws.on('error', () => ws.terminate());

    track(connection);
    presence.connected(identity.userId).then(
      (first) => {
        if (first) void announcePresence(identity.userId, true);
      },
      (error: unknown) => log.warn({ err: error }, 'recording presence failed'),
    );

    try {
      const channels = await services.memberships(identity.userId);
      if (!connections.has(connection)) return;
      // A membership message may have subscribed one of them already while we were reading.
      const fresh = channels.filter(({ id }) => !connection.subscriptions.has(id));
      const subscriptions = await Promise.all(fresh.map(({ id }) => attach(connection, id)));
      const heads = new Map(channels.map(({ id, last_seq }) => [id, last_seq]));
      for (const { sub, head } of subscriptions) heads.set(sub.channelId, head);
      connection.send({ type: 'ready', data: { user, channels: [...heads].map(([id, last_seq]) => ({ id, last_seq })) } });
      await Promise.all(subscriptions.map(({ sub, head }) => catchUp(sub, head, resume[sub.channelId])));
    } catch (error) {
      log.error({ err: error }, 'opening a socket failed');
      ws.close(1011, 'could not load your channels');
    }
  }

  /** An Apps API socket: it follows chats of the application whose token it presented, and nothing else. */
  function openApplication(ws: WebSocket, stream: Duplex, token: string): void {
    services.application(token).then(
      (application) => {
        // The client left while its token was checked: its 'close' has passed and would never drop it.
        if (ws.readyState !== ws.OPEN) return;
        const connection = new ApplicationConnection(secretToken(), ws, stream, application.id, token, sendLimits);
        applicationConnections.add(connection);
        metrics.openSockets.inc();
        ws.on('pong', () => (connection.alive = true));
        ws.on('message', (data, isBinary) => {
          metrics.framesIn.inc();
          void receive(connection, isBinary ? null : data.toString());
        });
        ws.on('close', () => dropApplication(connection));
        let followers = byApplication.get(application.id);
        if (!followers) {
          const sockets = new Set<ApplicationConnection>();
          followers = { sockets, unsubscribe: bus.subscribe(topics.application(application.id), (message) => onApplicationMessage(sockets, message)) };
          byApplication.set(application.id, followers);
        }
        followers.sockets.add(connection);
        connection.send({ type: 'app.ready', data: { application_name: application.application_name, chats_count: application.chats_count } });
      },
      () => ws.close(CloseCode.unauthorized, 'this application token is not valid'),
    );
  }

  function dropApplication(connection: ApplicationConnection): void {
    if (!applicationConnections.delete(connection)) return;
    metrics.openSockets.dec();
    const followers = byApplication.get(connection.applicationId);
    followers?.sockets.delete(connection);
    if (followers?.sockets.size === 0) {
      followers.unsubscribe();
      byApplication.delete(connection.applicationId);
    }
  }

  function onApplicationMessage(sockets: Set<ApplicationConnection>, message: BusMessage): void {
    if (message.kind === 'application') {
      const bytes = encodeFrame(message.frame);
      for (const connection of sockets) if (connection.chats.has(message.frame.data.chat_number)) connection.sendBytes(bytes);
    } else if (message.kind === 'application_rotated') {
      for (const connection of sockets) void closeIfRotated(connection);
    }
  }

  /** Checked against the database rather than trusted, as sessions are: the message may come late. */
  async function closeIfRotated(connection: ApplicationConnection): Promise<void> {
    await services.application(connection.token).catch(() => connection.close(CloseCode.sessionEnded, 'this application token was rotated'));
  }

  function track(connection: Connection): void {
    const { userId } = connection.identity;
    let mine = byUser.get(userId);
    if (!mine) {
      byUser.set(userId, (mine = new Set()));
      userTopics.set(userId, bus.subscribe(topics.user(userId), (message) => void onUserMessage(userId, message)));
    }
    mine.add(connection);
  }

  function drop(connection: Connection): void {
    if (!connections.delete(connection)) return;
    metrics.openSockets.dec();
    for (const sub of connection.subscriptions.values()) feeds.leave(sub.channelId, sub);
    connection.subscriptions.clear();
    const { userId } = connection.identity;
    const mine = byUser.get(userId);
    mine?.delete(connection);
    if (mine && mine.size === 0) {
      byUser.delete(userId);
      userTopics.get(userId)?.();
      userTopics.delete(userId);
    }
    presence.disconnected(userId).then(
      (last) => {
        if (!last) return;
        void announcePresence(userId, false);
        services.wentOffline(userId).catch((error: unknown) => log.warn({ err: error }, 'noting a user went offline failed'));
      },
      (error: unknown) => log.warn({ err: error }, 'recording presence failed'),
    );
  }

  async function announcePresence(userId: string, online: boolean): Promise<void> {
    try {
      const { channelIds, hiddenFrom } = await services.presenceAudience(userId);
      bus.publish(topics.presence, { kind: 'presence', user_id: userId, online, channel_ids: channelIds, hidden_from: hiddenFrom });
    } catch (error) {
      log.warn({ err: error }, 'announcing presence failed');
    }
  }

  const stopPresence = bus.subscribe(topics.presence, (message) => {
    if (message.kind !== 'presence') return;
    const shared = new Set(message.channel_ids);
    for (const connection of connections) {
      if (connection.identity.userId === message.user_id || message.hidden_from?.includes(connection.identity.userId)) continue;
      for (const channelId of connection.subscriptions.keys()) {
        if (shared.has(channelId)) {
          connection.send({ type: 'presence', data: { user_id: message.user_id, online: message.online } });
          break;
        }
      }
    }
  });

  /** Adds a held subscription to the channel's feed; resolves to the head it joined at. */
  async function attach(connection: Connection, channelId: string): Promise<{ sub: Subscription; head: number }> {
    const sub = new Subscription(connection, channelId);
    connection.subscriptions.set(channelId, sub);
    const head = await feeds.join(channelId, sub);
    return { sub, head };
  }

  /** Replays what the socket missed after `afterSeq` (if it asked), then lets live rows through. */
  async function catchUp(sub: Subscription, head: number, afterSeq: number | undefined): Promise<void> {
    const from = afterSeq === undefined ? head : Math.min(afterSeq, head);
    sub.lastSent = sub.startedAfter = from;
    if (from < head) {
      const { frames, more } = await services.replay(sub.channelId, from, options.replayLimit);
      if (sub.connection.subscriptions.get(sub.channelId) !== sub) return;
      if (more) {
        sub.connection.send({ type: 'resync_required', channel_id: sub.channelId });
        sub.lastSent = sub.startedAfter = head;
      } else {
        metrics.replayedEvents.inc(frames.length);
        for (const frame of frames) await sub.replayed(frame);
      }
    }
    sub.goLive();
  }

  async function subscribe(connection: Connection, channelId: string, afterSeq: number | undefined, explicit = false): Promise<void> {
    // Closed meanwhile (while its access was checked): a subscription now would never be left.
    if (!connections.has(connection)) return;
    const existing = connection.subscriptions.get(channelId);
    if (existing) {
      existing.explicit ||= explicit;
      if (afterSeq !== undefined && afterSeq < existing.startedAfter) await backfill(existing, afterSeq);
      return;
    }
    const { sub, head } = await attach(connection, channelId);
    sub.explicit = explicit;
    await catchUp(sub, head, afterSeq);
  }

  /**
   * After a bus outage: feeds re-read their logs from the last seq delivered, and every
   * socket re-checks its session and its memberships, whose messages may have been lost.
   */
  async function recover(): Promise<void> {
    log.info('bus recovered: catching up from the event log');
    await feeds.catchUp();
    for (const connection of connections) {
      try {
        await services.authenticate(connection.token);
      } catch {
        connection.close(CloseCode.sessionEnded, 'this session has ended');
        continue;
      }
      const member = new Set((await services.memberships(connection.identity.userId)).map((c) => c.id));
      for (const [channelId, sub] of connection.subscriptions) if (!member.has(channelId) && !sub.explicit) unsubscribe(connection, channelId);
      for (const channelId of member) if (!connection.subscriptions.has(channelId)) await subscribe(connection, channelId, undefined);
    }
    for (const connection of applicationConnections) await closeIfRotated(connection);
  }
  bus.onRecovered(() => void recover().catch((error: unknown) => log.error({ err: error }, 'recovering from a bus outage failed')));

  /** On a live channel, sends the rows from before this connection started following it. */
  async function backfill(sub: Subscription, afterSeq: number): Promise<void> {
    const until = sub.startedAfter;
    const { frames, more } = await services.replay(sub.channelId, afterSeq, Math.min(until - afterSeq, options.replayLimit));
    if (more && until - afterSeq > options.replayLimit) {
      sub.connection.send({ type: 'resync_required', channel_id: sub.channelId });
      return;
    }
    sub.startedAfter = afterSeq;
    metrics.replayedEvents.inc(frames.length);
    for (const frame of frames as ChannelEventFrame[]) if (frame.seq <= until) sub.connection.send(frame);
  }

  function unsubscribe(connection: Connection, channelId: string): void {
    const sub = connection.subscriptions.get(channelId);
    if (!sub) return;
    connection.subscriptions.delete(channelId);
    feeds.leave(channelId, sub);
  }

  async function onUserMessage(userId: string, message: BusMessage): Promise<void> {
    const mine = [...(byUser.get(userId) ?? [])];
    switch (message.kind) {
      case 'membership':
        for (const connection of mine) {
          if (message.member) await subscribe(connection, message.channel_id, Math.max(0, message.seq - 1)).catch((error: unknown) => log.warn({ err: error }, 'following a new channel failed'));
          else unsubscribe(connection, message.channel_id);
        }
        return;
      case 'read':
        for (const connection of mine) {
          if (connection.id !== message.origin) connection.send({ type: 'read', channel_id: message.channel_id, data: { last_read_seq: message.last_read_seq } });
        }
        return;
      case 'session_ended':
        // Checked against the database rather than trusted: the message may arrive late (sent
        // again after a bus outage), after the user signed in anew.
        for (const connection of mine) {
          if (message.token_hash !== null && connection.identity.tokenHash !== message.token_hash) continue;
          await services.authenticate(connection.token).catch(() => connection.close(CloseCode.sessionEnded, 'this session has ended'));
        }
        return;
      case 'user_frame':
        for (const connection of mine) deliverToUser(connection, message.frame);
        return;
      case 'channel':
      case 'presence':
      case 'application':
      case 'application_rotated':
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled bus message ${JSON.stringify(unknown)}`);
      }
    }
  }

  function deliverToUser(connection: Connection, frame: UserFrame): void {
    switch (frame.type) {
      case 'queue.matched':
      case 'notification':
        connection.send(frame);
        return;
      case 'room.closed':
        // The room is gone with its log: its subscription ends with its last row.
        unsubscribe(connection, frame.channel_id);
        connection.send(frame);
        return;
      default: {
        const unknown: never = frame;
        throw new Error(`unhandled user frame ${JSON.stringify(unknown)}`);
      }
    }
  }

  function fail(connection: Peer, error: unknown, nonce?: string): void {
    if (!(error instanceof RiffError)) log.error({ err: error }, 'handling a frame failed');
    const known = error instanceof RiffError ? error : new RiffError('internal_error');
    connection.send({ type: 'error', ...(nonce !== undefined ? { nonce } : {}), code: known.code, message: known.message });
  }

  async function receive(connection: Connection | ApplicationConnection, text: string | null): Promise<void> {
    if (text === null) {
      fail(connection, new RiffError('invalid_frame', 'Frames are JSON text, not binary'));
      return;
    }
    try {
      await limiter.consume(`ws:${connection.id}`, options.frameRate);
    } catch (error) {
      fail(connection, error);
      return;
    }
    const parsed = parseClientFrame(text);
    if ('error' in parsed) {
      fail(connection, new RiffError('invalid_frame', parsed.error));
      return;
    }
    const frame = parsed.frame;
    try {
      assertCleanInput(frame, 'frame');
      if (connection instanceof ApplicationConnection) await handleApplication(connection, frame);
      else await handle(connection, frame);
    } catch (error) {
      fail(connection, error, frame.type === 'send' ? frame.nonce : undefined);
    }
  }

  async function handle(connection: Connection, frame: ClientFrame): Promise<void> {
    const { identity } = connection;
    switch (frame.type) {
      case 'auth':
        throw new RiffError('invalid_frame', 'This socket is already authenticated');
      case 'subscribe':
        if (!('channel_id' in frame)) throw chatsNeedApplication();
        if (!connection.subscriptions.has(frame.channel_id)) await services.followable(identity, frame.channel_id);
        await subscribe(connection, frame.channel_id, frame.after_seq, true);
        return;
      case 'unsubscribe':
        if (!('channel_id' in frame)) throw chatsNeedApplication();
        unsubscribe(connection, frame.channel_id);
        return;
      case 'send': {
        const message = await connection.inOrder(() => services.send(identity, frame.channel_id, frame.body, frame.nonce));
        connection.send({ type: 'ack', nonce: frame.nonce, data: message });
        return;
      }
      case 'typing': {
        const sub = connection.subscriptions.get(frame.channel_id);
        if (!sub) throw new RiffError('forbidden', 'Subscribe to the channel first');
        if (connection.mayType(frame.channel_id, clock.now(), options.typingIntervalMs)) {
          let typist = typists.get(sub);
          if (!typist) typists.set(sub, (typist = await services.typist(identity, connection.username, frame.channel_id)));
          bus.publish(topics.channel(frame.channel_id), { kind: 'channel', frame: { type: 'typing', channel_id: frame.channel_id, data: typist } });
        }
        return;
      }
      case 'read':
        await services.markRead(identity, frame.channel_id, frame.seq, connection.id);
        return;
      case 'ping':
        connection.send({ type: 'pong' });
        return;
      default: {
        const unknown: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(unknown)}`);
      }
    }
  }

  const chatsNeedApplication = () => new RiffError('forbidden', 'Chats are followed on a socket authenticated with {"type":"auth","application_token":…}');
  const channelsNeedSession = () => new RiffError('forbidden', 'An application socket only follows its chats: {"type":"subscribe","chat_number":…}');

  async function handleApplication(connection: ApplicationConnection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'auth':
        throw new RiffError('invalid_frame', 'This socket is already authenticated');
      case 'subscribe': {
        if (!('chat_number' in frame)) throw channelsNeedSession();
        const following = connection.chats.has(frame.chat_number);
        // Followed before the count is read, so every message after the count arrives live.
        connection.chats.add(frame.chat_number);
        try {
          const messagesCount = await services.chatHead(connection.applicationId, frame.chat_number);
          connection.send({ type: 'app.subscribed', data: { chat_number: frame.chat_number, messages_count: messagesCount } });
        } catch (error) {
          if (!following) connection.chats.delete(frame.chat_number);
          throw error;
        }
        return;
      }
      case 'unsubscribe':
        if (!('chat_number' in frame)) throw channelsNeedSession();
        connection.chats.delete(frame.chat_number);
        return;
      case 'send':
      case 'typing':
      case 'read':
        throw channelsNeedSession();
      case 'ping':
        connection.send({ type: 'pong' });
        return;
      default: {
        const unknown: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(unknown)}`);
      }
    }
  }

  const heartbeat = setInterval(() => {
    for (const connection of [...connections, ...applicationConnections]) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  http.addHook('preClose', async () => {
    clearInterval(heartbeat);
    stopPresence();
    await presence.close();
    for (const connection of [...connections, ...applicationConnections]) connection.close(CloseCode.shuttingDown, 'Riff is restarting');
    wss.close();
  });

  return { onlineAmong: (userIds) => presence.onlineAmong(userIds) };
}

