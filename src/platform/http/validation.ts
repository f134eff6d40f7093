import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { RiffError, type ErrorDetail } from '../errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: true,
    allErrors: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

// Bodies are JSON: `123` is not a name and `"5"` is not a rating. Query strings and
// path parameters are text by nature, so there numbers are read from their digits.
const bodyAjv = makeAjv(false);
const urlAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : urlAjv).compile(schema);

/** Turns Ajv's findings into the envelope's details: one `{field, message}` per problem. */
export function validationDetails(errors: ErrorObject[], part: string | undefined): ErrorDetail[] {
  return errors.map((e) => {
    const path = e.instancePath.split('/').slice(1);
    if (e.keyword === 'required') path.push(String(e.params.missingProperty));
    const field = path.join('.') || part || 'body';
    return { field, message: e.keyword === 'pattern' ? 'must not be empty or have the wrong format' : (e.message ?? 'is invalid') };
  });
}

const MAX_DEPTH = 32;

/**
 * Text that no database stores alike (NUL) or that is not Unicode (a lone surrogate)
 * is refused up front, wherever it is in the body or the query. Depth is bounded so that
 * a deeply nested body cannot exhaust the stack of later code.
 */
export function assertCleanInput(value: unknown, where: string): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (item.value.includes('\u0000') || !item.value.isWellFormed()) {
        throw new RiffError('invalid_text', undefined, [{ field: item.path || where }]);
      }
    } else if (item.value !== null && typeof item.value === 'object') {
      if (item.depth >= MAX_DEPTH) {
        throw new RiffError('validation_failed', `The request is nested more than ${MAX_DEPTH} levels deep`, [{ field: item.path || where }]);
      }
      for (const [key, child] of Object.entries(item.value)) {
        const path = item.path ? `${item.path}.${key}` : key;
        if (!key.isWellFormed() || key.includes('\u0000')) throw new RiffError('invalid_text', undefined, [{ field: where }]);
        stack.push({ value: child, path, depth: item.depth + 1 });
      }
    }
  }
}

/** Whitespace-only text counts as empty (optional text fields store it as ""). */
export const blankToEmpty = (text: string | undefined): string => (text === undefined || text.trim() === '' ? '' : text);
