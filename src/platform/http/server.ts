import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type HTTPMethods } from 'fastify';
import type { LogLevel } from '../../config.js';
import { RiffError, envelope, type ErrorCode } from '../errors.js';
import { loggerOptions, redactPath } from '../log.js';
import type { Metrics } from './metrics.js';
import { assertCleanInput, validationDetails, validatorCompiler } from './validation.js';

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpOptions {
  logLevel: LogLevel;
  metrics: Metrics;
  version: string;
  /** Browser origins allowed cross-origin; empty = CORS off. */
  corsOrigins: string[];
  /** Proxies whose `X-Forwarded-*` headers are believed; none when empty or absent. */
  trustProxy?: string[];
}

export const BODY_LIMIT = 1_048_576;

/**
 * Connections the kernel may hold before Riff accepts them. Node's 511 is less than the burst
 * of clients that reconnect at once after a restart or a network blip (every socket and its
 * REST retries); the kernel caps it at `net.core.somaxconn`.
 */
export const LISTEN_BACKLOG = 4096;
/**
 * Route option for lists of messages. Their items are unions of objects (message or announcement;
 * a creator, an alias or nobody), and fast-json-stringify picks a branch of a union by validating
 * the value against each with Ajv — dearer than JSON.stringify of the whole page. The presenters
 * build these items field by field, so nothing unlisted can slip out; the schema still documents
 * the reply.
 */
export const stringifyReply = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const REQUEST_ID = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * On every answer, API and web app alike. The CSP fits the built web app (scripts, styles and
 * sockets from its own origin, no inline code) and makes any injected markup inert.
 */
const SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'self'",
    "connect-src 'self' ws: wss:",
    "img-src 'self' data: https:",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};
const HSTS = 'max-age=31536000; includeSubDomains';

// Fastify's own client errors, said in Riff's words.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

function send(reply: FastifyReply, error: RiffError) {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.status(error.status).send(envelope(error.code, error.message, error.details));
}

/**
 * The HTTP platform every module mounts on: validation without coercion, the error
 * envelope for every failure, request ids, metrics and the OpenAPI document.
 */
export async function createHttpServer(options: HttpOptions): Promise<HttpServer> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel),
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // While closing, requests on open connections are still answered (with `Connection: close`).
    return503OnClosing: false,
    // Only then do `request.ip` and `request.protocol` come from X-Forwarded-For / -Proto.
    trustProxy: options.trustProxy?.length ? options.trustProxy : false,
    // The router's own refusals, before any route runs, get the envelope too. The path is not
    // echoed: it may hold a credential (`/api/applications/{token}`).
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return send(reply, new RiffError('uri_too_long'));
      if (error.code === 'FST_ERR_BAD_URL') return send(reply, new RiffError('validation_failed', 'The URL path has a percent-encoding that is not UTF-8', [{ field: 'path' }]));
      return send(reply, new RiffError('internal_error'));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only: anything else is a 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  // An empty body is no body whatever its Content-Type, also when it comes chunked (no
  // Content-Length), which only reading it can tell.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body.length === 0 ? done(null, undefined) : parseJson(request, body as string, done),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
    body.length === 0 ? done(null, undefined) : done(new RiffError('unsupported_media_type'), undefined),
  );
  app.decorateRequest('identity', null);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);

    // An empty body is no body, whatever its Content-Type claims.
    const { headers } = request;
    if (headers['content-length'] === '0' || (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined)) {
      delete headers['content-type'];
    }
  });

  // Once closing, answers end their keep-alive connection: a request in flight at shutdown
  // still gets its answer, and close() does not then wait for the client to hang up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    if (closing) reply.header('connection', 'close');
    reply.headers(SECURITY_HEADERS);
    // Browsers ignore HSTS over plain HTTP; sent there it would also pin a host that may have no TLS.
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  });

  app.addHook('preValidation', async (request) => {
    assertCleanInput(request.body, 'body');
    assertCleanInput(request.query, 'query');
    assertCleanInput(request.params, 'path');
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    options.metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError | RiffError, request, reply) => {
    if (error instanceof RiffError) return send(reply, error);
    if (error.validation) {
      return send(reply, new RiffError('validation_failed', undefined, validationDetails(error.validation as never, error.validationContext)));
    }
    const mapped = fastifyCodes[error.code];
    if (mapped) return send(reply, new RiffError(mapped));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(reply, new RiffError('validation_failed', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, new RiffError('internal_error'));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    // The path may hold a credential (`/api/applications/{token}`): it is not echoed back.
    const shown = redactPath(path);
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }));
    if (allowed.length > 0) {
      return send(reply, new RiffError('method_not_allowed', `${request.method} is not allowed on ${shown}`, [{ allow: allowed }], { allow: allowed.join(', ') }));
    }
    return send(reply, new RiffError('route_not_found', `No route ${request.method} ${shown}`));
  });

  if (options.corsOrigins.length > 0) {
    // The token comes back in the Authorization header, which a cross-origin page reads only when exposed.
    await app.register(cors, {
      // Resolving to false sends no CORS header at all to an origin that is not allowed.
      origin: (origin: string | undefined, done: (error: Error | null, allow: string | false) => void) =>
        done(null, origin !== undefined && options.corsOrigins.includes(origin) ? origin : false),
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization'],
      exposedHeaders: ['Authorization'],
      // A malformed preflight would get a text/plain 400; it is answered like any OPTIONS instead.
      strictPreflight: false,
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Riff', version: options.version, description: 'Chat, meetups and music discussion for musicians' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  return app;
}
