/**
 * The bus carries what one node committed to every node (its own included), so each can
 * push it to its sockets. It is a notification channel, never the source of truth: a
 * node that misses a message catches up from the database's event log by `seq`.
 */
export interface Bus {
  publish(topic: string, message: BusMessage): void;
  /** Returns the function that ends this subscription. */
  subscribe(topic: string, handler: (message: BusMessage) => void): () => void;
  close(): Promise<void>;
}

/** A committed channel log row, as the frame every subscriber of the channel receives. */
export interface ChannelEventMessage {
  kind: 'channel_event';
  frame: { type: string; channel_id: string; seq?: number; data: unknown; announcement?: unknown };
}

/** A user joined or left a channel: their sockets start or stop following it. */
export interface MembershipMessage {
  kind: 'membership';
  user_id: string;
  channel_id: string;
  member: boolean;
}

export type BusMessage = ChannelEventMessage | MembershipMessage;

export const topics = {
  channel: (channelId: string) => `channel:${channelId}`,
  user: (userId: string) => `user:${userId}`,
};
