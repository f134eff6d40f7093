import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { RiffError } from '../errors.js';
import type { Role } from '../storage/tables.js';

/** Who is calling: resolved from the bearer token on every request, so a revoked session fails at once. */
export interface Identity {
  userId: string;
  role: Role;
  /** The hash of the presented token: names the session for logout. */
  tokenHash: string;
}

/** Resolves a bearer token to an identity, or throws a 401 RiffError. */
export type VerifyToken = (token: string) => Promise<Identity>;

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i);
  return match?.[1];
}

/**
 * Route guards, used as `onRequest` hooks so that authentication comes before validation:
 * `anyone` admits guests too; `registered` admits users and admins; `role(…)` only those roles.
 */
export function createGuards(verify: VerifyToken) {
  const authenticate = async (request: FastifyRequest): Promise<Identity> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new RiffError('unauthorized');
    const identity = await verify(token);
    request.identity = identity;
    return identity;
  };
  const guard =
    (allowed: readonly Role[]): onRequestAsyncHookHandler =>
    async (request) => {
      const identity = await authenticate(request);
      if (!allowed.includes(identity.role)) {
        throw new RiffError(identity.role === 'guest' ? 'guest_forbidden' : 'forbidden');
      }
    };
  return {
    anyone: guard(['guest', 'user', 'admin']),
    registered: guard(['user', 'admin']),
    role: (...roles: Role[]) => guard(roles),
  };
}

export type Guards = ReturnType<typeof createGuards>;

/** The identity a guard established; a route without a guard calling this is a bug. */
export function caller(request: FastifyRequest): Identity {
  if (!request.identity) throw new Error(`route ${request.routeOptions.url} reads the caller without a guard`);
  return request.identity;
}

/** OpenAPI marker for routes that need a bearer token. */
export const bearerSecurity = [{ bearer: [] }];
