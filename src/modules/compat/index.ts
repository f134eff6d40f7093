import type { Compat } from '../../config.js';
import type { HttpServer } from '../../platform/http/server.js';
import { meetupFromAliases, signUpFromAliases } from './aliases.js';
import { decorate, decorateFrame } from './present.js';

type Body = Record<string, unknown>;

const rewrites: Record<string, (body: Body) => void> = {
  'POST /v1/users': signUpFromAliases,
  'POST /v1/events': meetupFromAliases,
};

/**
 * Compatibility with the original Musician Meetup web client, in one place. Always: its input
 * field names. With `COMPAT=musician-meetup`: the extra fields it reads, on responses (here) and
 * on frames (`presentFrame`, for the gateway).
 */
export function compatibility(app: HttpServer, mode: Compat | undefined): { presentFrame?: typeof decorateFrame } {
  // Before validation, so the route schemas check (and strip) only canonical fields.
  app.addHook('preValidation', async (request) => {
    const rewrite = rewrites[`${request.method} ${request.routeOptions.url}`];
    const body = request.body;
    if (rewrite && typeof body === 'object' && body !== null && !Array.isArray(body)) rewrite(body as Body);
  });
  if (mode !== 'musician-meetup') return {};

  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof payload !== 'string' || typeof type !== 'string' || !type.startsWith('application/json') || payload === '') return payload;
    return JSON.stringify(decorate(JSON.parse(payload)));
  });
  return { presentFrame: decorateFrame };
}
