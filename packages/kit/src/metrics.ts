// prom-client registry per service: default process metrics plus bus counters and histograms.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// a service's own metrics are made with these on `ctx.metrics.registry` (one registry per service, one /metrics)
export { Counter, Gauge, Histogram } from 'prom-client';
/** the latency buckets (s) of kit's histograms, for a service's own */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  registry: Registry;
  /** kind = publish | consume | rpc-server | rpc-client; outcome = ok | error | retry | dead-letter | duplicate | invalid | expired | timeout ... */
  messages: Counter<'kind' | 'type' | 'outcome'>;
  handlerSeconds: Histogram<'kind' | 'type'>;
  rpcSeconds: Histogram<'method' | 'outcome'>;
  /** losses of Redis's data this process noticed (each is followed by a rebuild; see RedisGeneration) */
  redisDataLosses: Counter;
}

export function createMetrics(service: string, opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const buckets = LATENCY_BUCKETS_S;
  return {
    registry,
    messages: new Counter({
      name: 'voltq_messages_total',
      help: 'Bus messages by kind, type and outcome',
      labelNames: ['kind', 'type', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'voltq_handler_duration_seconds',
      help: 'Time spent in message and RPC handlers',
      labelNames: ['kind', 'type'],
      buckets,
      registers: [registry],
    }),
    rpcSeconds: new Histogram({
      name: 'voltq_rpc_client_duration_seconds',
      help: 'RPC round trips seen by the caller',
      labelNames: ['method', 'outcome'],
      buckets,
      registers: [registry],
    }),
    redisDataLosses: new Counter({
      name: 'voltq_redis_data_losses_total',
      help: 'Times this process noticed that Redis lost its data (generation key missing or changed)',
      registers: [registry],
    }),
  };
}
