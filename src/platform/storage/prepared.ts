import type { Compilable, CompiledQuery, DialectAdapter } from 'kysely';
import type { Database } from './database.js';
import { hotStatement } from './postgres-statements.js';

type Args = Record<string, unknown>;

/** Stands for an argument (or one item of a list argument) while the query is built; Kysely carries it through as a parameter. */
class Slot {
  constructor(
    readonly name: string,
    readonly index?: number,
  ) {}

  valueIn(args: Args): unknown {
    const value = this.index === undefined ? args[this.name] : (args[this.name] as unknown[])[this.index];
    return value ?? null;
  }
}

export interface PreparedQuery<A, R> {
  all(db: Database, args: A): Promise<R[]>;
  first(db: Database, args: A): Promise<R | undefined>;
  /** Runs a write; resolves to the number of rows it changed. */
  run(db: Database, args: A): Promise<number>;
}

/** Lengths of `in (…)` lists vary with the page; shapes beyond this many are compiled each time. */
const SHAPES_KEPT = 256;

/**
 * A query of fixed shape that Kysely builds and compiles once per dialect (and per length of each
 * list argument) rather than on every call. On the hot paths (a send runs a dozen small
 * statements) building and compiling cost more than the database's running them. `build` gets
 * stand-ins for the arguments: use them only where values go (a list argument as a whole in an
 * `in`), never to choose the query's shape; an argument left undefined is bound as null. Callers
 * handle empty lists, which SQL cannot say.
 */
export function prepared<A extends Args, R>(build: (db: Database, args: A) => Compilable<R>): PreparedQuery<A, R> {
  const compiled = new WeakMap<DialectAdapter, Map<string, CompiledQuery<R>>>();
  const execute = (db: Database, args: A) => {
    const adapter = db.getExecutor().adapter;
    let shapes = compiled.get(adapter);
    if (!shapes) compiled.set(adapter, (shapes = new Map()));
    const shape = listLengths(args);
    let query = shapes.get(shape);
    if (!query) {
      query = build(db, slotsFor(args)).compile();
      if (shapes.size < SHAPES_KEPT) {
        shapes.set(shape, query);
        hotStatement(query.sql);
      }
    }
    const parameters = query.parameters.map((value) => (value instanceof Slot ? value.valueIn(args) : value));
    return db.executeQuery<R>({ ...query, parameters });
  };
  return {
    all: async (db, args) => (await execute(db, args)).rows,
    first: async (db, args) => (await execute(db, args)).rows[0],
    run: async (db, args) => Number((await execute(db, args)).numAffectedRows ?? 0),
  };
}

function listLengths(args: Args): string {
  let shape = '';
  for (const name in args) {
    const value = args[name];
    if (Array.isArray(value)) shape += `${name}:${value.length},`;
  }
  return shape;
}

function slotsFor<A extends Args>(args: A): A {
  return new Proxy({} as A, {
    get: (_, name: string) => {
      const value = args[name];
      return Array.isArray(value) ? value.map((_item, index) => new Slot(name, index)) : new Slot(name);
    },
  });
}
