import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event-loop delay, GC, handles: they belong to the process, however many apps it
 * builds, and their collectors watch the process for as long as it runs, so they are set up once.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** One registry per app, so apps built side by side (tests, benchmarks) never share counters. */
export function createMetrics() {
  const registry = new Registry();
  processMetrics();
  return {
    registry,
    /** What `GET /metrics` shows: the app's own metrics and the process's. */
    exposition: () => Registry.merge([registry, processMetrics()]).metrics(),
    requests: new Counter({
      name: 'riff_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'riff_http_request_duration_seconds',
      help: 'Time from request to response',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    openSockets: new Gauge({
      name: 'riff_open_sockets',
      help: 'WebSocket connections open on this node',
      registers: [registry],
    }),
    framesIn: new Counter({ name: 'riff_ws_frames_in_total', help: 'Frames received from clients', registers: [registry] }),
    framesOut: new Counter({ name: 'riff_ws_frames_out_total', help: 'Frames sent to clients', registers: [registry] }),
    replayedEvents: new Counter({ name: 'riff_ws_replayed_events_total', help: 'Log rows replayed to resuming sockets', registers: [registry] }),
    slowConsumers: new Counter({ name: 'riff_ws_slow_consumer_disconnects_total', help: 'Sockets cut off for not reading', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
