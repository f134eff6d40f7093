import type SQLite from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/**
 * SQLite for Riff: one connection whose users take turns, and group commit.
 *
 * With `synchronous = FULL` a commit waits for the disk, and better-sqlite3 waits on the main
 * thread, so one commit per transaction caps every node at one fsync per send. Here a
 * transaction is a savepoint inside a shared physical transaction: when it ends, the next one
 * in line runs in the same physical transaction, and once nobody is waiting a single COMMIT
 * makes all of them durable. `durable()` is what a transaction's caller awaits before it
 * answers or publishes, so nothing is acknowledged before it is on disk.
 */
export class GroupCommitSqliteDialect implements Dialect {
  readonly driver: GroupCommitDriver;
  constructor(sqlite: SQLite.Database) {
    this.driver = new GroupCommitDriver(sqlite);
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    // SQLite's DDL is transactional: migrations run in a transaction, which is what makes them
    // safe to start from several processes at once (each waits for the write lock).
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl(): boolean {
        return true;
      }
    })();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

interface Batch {
  durable: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function openBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const durable = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
  // Work outside inTransaction (migrations) does not wait for its batch; its failure is theirs too.
  durable.catch(() => {});
  return { durable, resolve, reject };
}

class GroupCommitDriver implements Driver {
  readonly #sqlite: SQLite.Database;
  readonly #connection: StatementCachingConnection;
  readonly #turns = new Turns();
  /** The physical transaction now open, shared by every transaction since it began. */
  #batch: Batch | undefined;
  #commitQueued = false;

  constructor(sqlite: SQLite.Database) {
    this.#sqlite = sqlite;
    this.#connection = new StatementCachingConnection(sqlite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#turns.take();
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    if (!this.#batch) {
      // `immediate` takes the write lock now: a transaction that read and then wrote would fail
      // outright if another process (`riff migrate`) committed in between; this one waits its turn.
      this.#connection.run('begin immediate');
      this.#batch = openBatch();
    }
    this.#connection.run('savepoint riff_work');
  }

  async commitTransaction(): Promise<void> {
    this.#connection.run('release riff_work');
  }

  async rollbackTransaction(): Promise<void> {
    if (this.#sqlite.inTransaction) {
      this.#connection.run('rollback to riff_work');
      this.#connection.run('release riff_work');
      return;
    }
    // SQLite rolled the whole physical transaction back itself (an I/O error, a full disk):
    // the work that shared it is gone too, and nobody was told it was done.
    this.#batch?.reject(new Error('SQLite rolled back the transaction'));
    this.#batch = undefined;
  }

  async releaseConnection(): Promise<void> {
    this.#turns.pass();
    if (this.#batch && !this.#commitQueued) {
      // After the I/O callbacks of this turn of the event loop, so that the requests they
      // started join the batch; those already in line go before the commit.
      this.#commitQueued = true;
      setImmediate(() => void this.#commitWhenFree());
    }
  }

  /** Resolves once the work done so far is on disk (asked inside a transaction: once that transaction is). */
  durable(): Promise<void> {
    return this.#batch?.durable ?? Promise.resolve();
  }

  async #commitWhenFree(): Promise<void> {
    await this.#turns.take();
    this.#commitQueued = false;
    try {
      this.#commit();
    } finally {
      this.#turns.pass();
    }
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#connection.run('commit');
      batch.resolve();
    } catch (error) {
      if (this.#sqlite.inTransaction) this.#connection.run('rollback');
      batch.reject(error as Error);
    }
  }

  async destroy(): Promise<void> {
    await this.#turns.take();
    this.#commit();
    this.#sqlite.close();
  }
}

/**
 * Kysely prepares every query it runs, and SQLite's parse and plan cost more than running the
 * small statements of a send, so each distinct statement is compiled once. The least recently
 * used fall out beyond the limit (`in (?, ?, …)` lists vary).
 */
class StatementCachingConnection implements DatabaseConnection {
  static readonly LIMIT = 1000;
  readonly #sqlite: SQLite.Database;
  readonly #statements = new Map<string, Prepared>();

  constructor(sqlite: SQLite.Database) {
    this.#sqlite = sqlite;
  }

  #prepared(text: string): Prepared {
    let prepared = this.#statements.get(text);
    if (prepared) {
      this.#statements.delete(text);
    } else {
      prepared = prepare(this.#sqlite, text);
      if (this.#statements.size >= StatementCachingConnection.LIMIT) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(text, prepared);
    return prepared;
  }

  run(text: string): void {
    this.#prepared(text).statement.run();
  }

  async executeQuery<R>({ sql, parameters }: CompiledQuery): Promise<QueryResult<R>> {
    const prepared = this.#prepared(sql);
    const { statement, rowOf } = prepared;
    if (rowOf) {
      const values = statement.all(parameters) as unknown[][];
      // Another process changed the table under a `select *` (SQLite prepares the statement again itself).
      if (values.length > 0 && values[0]!.length !== prepared.width) Object.assign(prepared, rowFactory(statement));
      return { rows: values.map(prepared.rowOf!) as R[] };
    }
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>({ sql, parameters }: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { statement, rowOf } = this.#prepared(sql);
    if (!rowOf) throw new Error('streamQuery needs a statement that returns rows');
    for (const row of statement.iterate(parameters) as IterableIterator<unknown[]>) yield { rows: [rowOf(row) as R] };
  }
}

interface Prepared {
  statement: SQLite.Statement;
  /** For statements that return rows: makes a row object out of its values. */
  rowOf?: (values: unknown[]) => object;
  /** How many columns `rowOf` was written for. */
  width?: number;
}

/**
 * Rows come back as arrays and are made into objects by a function written for the statement's
 * columns: better-sqlite3 sets each property of each row through V8's API, which costs more than
 * the query itself on a page of history, while an object literal is built at JIT speed.
 * Duplicate column names keep the last, as better-sqlite3's own objects do.
 */
function prepare(sqlite: SQLite.Database, text: string): Prepared {
  const statement = sqlite.prepare(text);
  if (!statement.reader) return { statement };
  statement.raw(true);
  return { statement, ...rowFactory(statement) };
}

function rowFactory(statement: SQLite.Statement): Required<Omit<Prepared, 'statement'>> {
  const columns = statement.columns();
  const fields = columns.map((column, index) => `${JSON.stringify(column.name)}: values[${index}]`);
  return { width: columns.length, rowOf: new Function('values', `return { ${fields.join(', ')} };`) as (values: unknown[]) => object };
}

/** The connection's users, served in the order they asked. */
class Turns {
  #taken = false;
  readonly #waiting: Array<() => void> = [];

  take(): Promise<void> {
    if (!this.#taken) {
      this.#taken = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  pass(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#taken = false;
  }
}
