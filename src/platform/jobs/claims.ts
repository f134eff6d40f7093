import type { Clock } from '../clock.js';
import type { Database } from '../storage/database.js';

/**
 * Atomic, expiring claims on a key, shared by every node through the database: at most
 * one owner holds a key until it releases it or the lease runs out (so a node that dies
 * holding one does not hold it forever). The Talk-now queue claims both people of a
 * match before pairing them, so nobody is matched twice across nodes.
 */
export function claims(clock: Clock) {
  return {
    /** True when `owner` now holds `key` (newly, or renewed); false when someone else does. */
    async acquire(db: Database, key: string, owner: string, ttlMs: number): Promise<boolean> {
      const now = clock.now();
      const result = await db
        .insertInto('claims')
        .values({ key, owner, expires_at: now + ttlMs })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({ owner, expires_at: now + ttlMs })
            .where((eb) => eb.or([eb('claims.expires_at', '<=', now), eb('claims.owner', '=', owner)])),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async release(db: Database, key: string, owner: string): Promise<void> {
      await db.deleteFrom('claims').where('key', '=', key).where('owner', '=', owner).execute();
    },
  };
}

export type Claims = ReturnType<typeof claims>;
