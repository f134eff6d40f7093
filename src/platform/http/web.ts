import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { RiffError } from '../errors.js';
import type { HttpServer } from './server.js';

// Three levels up from both src/platform/http and dist/platform/http, so tests running from
// src and `node dist/main.js` find the same build output.
const builtApp = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Paths that belong to the API: an unknown one stays the JSON 404, whatever the client accepts. */
const API_PREFIXES = ['/v1', '/api', '/healthz', '/metrics', '/openapi.json'];

const isApiPath = (path: string) => API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/**
 * Serves the web app at `/`. A browser asking for a page the app routes itself (an unknown path
 * outside the API that accepts HTML) gets index.html, so reloading a deep link works.
 */
export async function webApp(http: HttpServer, root = builtApp): Promise<void> {
  if (!existsSync(`${root}index.html`)) {
    http.get('/', { schema: { hide: true } }, async () => {
      throw new RiffError('route_not_found', 'The web app is not built: run `npm run build`');
    });
    return;
  }
  // Files are listed once at start: the build output does not change while the server runs.
  await http.register(fastifyStatic, { root, wildcard: false, index: 'index.html' });
  http.addHook('onRequest', async (request, reply) => {
    if (!request.is404 || request.method !== 'GET') return;
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path) || !request.headers.accept?.includes('text/html')) return;
    return reply.type('text/html').sendFile('index.html');
  });
}
