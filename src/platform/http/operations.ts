import { Type } from '@sinclair/typebox';
import type { Bus } from '../bus/index.js';
import type { Storage } from '../storage/database.js';
import type { Metrics } from './metrics.js';
import type { HttpServer } from './server.js';

const tags = ['operations'];

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  database: Type.String(),
  bus: Type.String(),
  bus_up: Type.Boolean(),
});

/** What operators and load balancers look at: health, Prometheus metrics, the API document. */
export function operationsRoutes(app: HttpServer, { storage, bus, metrics }: { storage: Storage; bus: Bus; metrics: Metrics }): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: '200 once this node can serve (`degraded` while its bus is down: REST works, live delivery waits); 503 when its database does not answer',
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      const busState = { bus: bus.kind, bus_up: bus.up };
      try {
        await storage.ping();
        return { status: bus.up ? ('ok' as const) : ('degraded' as const), database: storage.dialect, ...busState };
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unreachable');
        return reply.status(503).send({ status: 'unavailable' as const, database: storage.dialect, ...busState });
      }
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus text exposition', hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.exposition();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
