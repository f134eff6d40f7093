import type { Redis } from 'ioredis';

/**
 * Who has a socket open anywhere. `connected` and `disconnected` say whether this was the
 * user's first or last socket across all nodes, which is when presence is announced.
 */
export interface PresenceStore {
  connected(userId: string): Promise<boolean>;
  disconnected(userId: string): Promise<boolean>;
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

export function memoryPresence(): PresenceStore {
  const sockets = new Map<string, number>();
  return {
    async connected(userId) {
      const count = (sockets.get(userId) ?? 0) + 1;
      sockets.set(userId, count);
      return count === 1;
    },
    async disconnected(userId) {
      const count = (sockets.get(userId) ?? 1) - 1;
      if (count <= 0) sockets.delete(userId);
      else sockets.set(userId, count);
      return count <= 0;
    },
    async onlineAmong(userIds) {
      return new Set(userIds.filter((id) => sockets.has(id)));
    },
    close: async () => {},
  };
}

// KEYS[1] the user's hash of node → socket count; ARGV[1] this node, ARGV[2] +1 or -1,
// ARGV[3] the key prefix of node heartbeats. Returns the user's sockets on live nodes, after the change.
const CHANGE = `
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if count <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] == ARGV[1] or redis.call('EXISTS', ARGV[3] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
return total`;

const HEARTBEAT_MS = 10_000;
const NODE_TTL_MS = 30_000;

/**
 * Presence shared by every node: per user, a hash of node → socket count. Each node keeps
 * a heartbeat key alive; the counts of a node that died (no heartbeat) stop counting.
 */
export function redisPresence(redis: Redis, prefix: string, nodeId: string): PresenceStore {
  const nodeKey = `${prefix}node:`;
  const userKey = (userId: string) => `${prefix}presence:${userId}`;
  const beat = () => redis.set(nodeKey + nodeId, '1', 'PX', NODE_TTL_MS).catch(() => {});
  // The connection refuses commands until it is ready (no offline queue), so beat as soon as it
  // is, also after Redis came back: without the key this node's sockets count as on a dead node.
  redis.on('ready', () => void beat());
  void beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  const change = async (userId: string, delta: 1 | -1) => Number(await redis.eval(CHANGE, 1, userKey(userId), nodeId, delta, nodeKey));
  return {
    async connected(userId) {
      return (await change(userId, 1)) === 1;
    },
    async disconnected(userId) {
      return (await change(userId, -1)) === 0;
    },
    async onlineAmong(userIds) {
      if (userIds.length === 0) return new Set();
      const pipeline = redis.pipeline();
      for (const id of userIds) pipeline.hkeys(userKey(id));
      const results = (await pipeline.exec()) ?? [];
      const nodesOf = (i: number) => (results[i]?.[1] as string[] | null) ?? [];
      const nodes = [...new Set(userIds.flatMap((_, i) => nodesOf(i)))];
      const beats = nodes.length === 0 ? [] : await redis.mget(nodes.map((node) => nodeKey + node));
      const live = new Set(nodes.filter((_, i) => beats[i] !== null));
      return new Set(userIds.filter((_, i) => nodesOf(i).some((node) => live.has(node))));
    },
    async close() {
      clearInterval(timer);
      await redis.del(nodeKey + nodeId).catch(() => {});
    },
  };
}
