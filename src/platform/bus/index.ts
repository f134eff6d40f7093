import type { ApplicationFrame, ChannelFrame, UserFrame } from '../gateway/protocol.js';

/**
 * The bus carries what one node committed to every node (its own included), so each can
 * push it to its sockets. It is a notification channel, never the source of truth: a
 * node that misses a message catches up from the database's event log by `seq`.
 */
export interface Bus {
  publish(topic: string, message: BusMessage): void;
  /** Returns the function that ends this subscription. */
  subscribe(topic: string, handler: (message: BusMessage) => void): () => void;
  readonly kind: 'in-process' | 'redis';
  /** Whether messages flow now; `/healthz` reports a node whose bus is down as degraded. */
  readonly up: boolean;
  /** Called after the bus comes back from an outage, during which messages may have been lost. */
  onRecovered(listener: () => void): void;
  close(): Promise<void>;
}

export type BusMessage =
  /** A committed channel log row (with seq), or a signal for the channel's subscribers (typing). */
  | { kind: 'channel'; frame: ChannelFrame }
  /** A user joined (at `seq`) or left a channel: their sockets start or stop following it. */
  | { kind: 'membership'; user_id: string; channel_id: string; member: boolean; seq: number }
  /** A user's read marker moved: their other sockets update their badges. */
  | { kind: 'read'; user_id: string; channel_id: string; last_read_seq: number; origin?: string }
  /** Sessions ended (one, or all of the user's when `token_hash` is null): their sockets close. */
  | { kind: 'session_ended'; user_id: string; token_hash: string | null }
  /** A user came online or went offline; `channel_ids` are where people can see it, `hidden_from` who must not (Talk-now partners). */
  | { kind: 'presence'; user_id: string; online: boolean; channel_ids: string[]; hidden_from?: string[] }
  /** A frame for every socket of one user (a Talk-now match, a room closed). */
  | { kind: 'user_frame'; user_id: string; frame: UserFrame }
  /** A committed change in one of an Apps API application's chats, for the sockets following that chat. */
  | { kind: 'application'; application_id: string; frame: ApplicationFrame }
  /** An application's token was rotated: sockets that authenticated with the old one close. */
  | { kind: 'application_rotated'; application_id: string };

export const topics = {
  channel: (channelId: string) => `channel:${channelId}`,
  user: (userId: string) => `user:${userId}`,
  presence: 'presence',
  application: (applicationId: string) => `app:${applicationId}`,
};
