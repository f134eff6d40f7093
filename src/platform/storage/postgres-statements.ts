import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * PostgreSQL parses and plans an unnamed statement on every run. The hot statements (those
 * `prepared()` compiles once, `hotStatement` names them) go as named statements instead, which
 * each connection parses once and then only binds; everything else stays unnamed, so what a
 * connection keeps is bounded by the hot statements' shapes.
 */
export function namedStatementPool(pool: pg.Pool): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  // Kysely's (sql, parameters) form is the only one called: Riff gives the dialect no cursor.
  const query = async (client: pg.PoolClient, text: string, values: readonly unknown[]) => {
    const name = names.get(text);
    if (!name) return client.query({ text, values: [...values] });
    try {
      return await client.query({ name, text, values: [...values] });
    } catch (error) {
      // A migration changed a table that a `select *` reads (a rolling upgrade): the statement's
      // plan no longer fits. It is parsed afresh under a new name; the transaction is retried.
      if (isStalePlan(error)) names.set(text, `${name}_${++renamed}`);
      throw error;
    }
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((text: string, values: readonly unknown[]) => query(client, text, values)) as unknown as PostgresPoolClient['query'],
    release: (destroy) => client.release(destroy),
  });
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) clients.set(client, (wrapped = wrap(client)));
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/** A named statement whose table changed shape under it; running it again in a new transaction works. */
export const isStalePlan = (error: unknown): boolean =>
  (error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((error as Error).message);

const names = new Map<string, string>();
let renamed = 0;

/** Marks compiled SQL as hot: on PostgreSQL it runs as a named statement. */
export function hotStatement(text: string): void {
  if (!names.has(text)) names.set(text, `riff_${names.size}`);
}
