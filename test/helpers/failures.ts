import { expect } from 'vitest';
import { RiffApiError } from '../../src/client/index.js';

/** The error a call fails with; the test fails if the call succeeds. */
export async function failure(call: Promise<unknown>): Promise<RiffApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RiffApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Fails with `status` and `code`, in the error envelope. */
export async function refused(call: Promise<unknown>, status: number, code?: string): Promise<RiffApiError> {
  const error = await failure(call);
  expect({ status: error.status, code: error.code }).toEqual({ status, code: code ?? error.code });
  expect(error.body).toEqual({ code: expect.any(String), message: expect.any(String), details: expect.any(Array) });
  return error;
}

/** Eight random letters, to keep names and searches of one test apart from another's. */
export const randomTag = () => Array.from({ length: 8 }, () => 'abcdefghijkmnpqrstuvwxyz'[Math.floor(Math.random() * 24)]).join('');
