import { Type } from '@sinclair/typebox';
import type { Storage } from '../storage/database.js';
import type { Metrics } from './metrics.js';
import type { HttpServer } from './server.js';

const tags = ['operations'];

/** What operators and load balancers look at: health, Prometheus metrics, the API document. */
export function operationsRoutes(app: HttpServer, { storage, metrics }: { storage: Storage; metrics: Metrics }): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: '200 once this node can serve; 503 when its database does not answer',
        response: { 200: Type.Object({ status: Type.String(), database: Type.String() }), 503: Type.Object({ status: Type.String(), database: Type.String() }) },
      },
    },
    async (request, reply) => {
      try {
        await storage.ping();
        return { status: 'ok', database: storage.dialect };
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unreachable');
        return reply.status(503).send({ status: 'unavailable', database: storage.dialect });
      }
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus text exposition', hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
