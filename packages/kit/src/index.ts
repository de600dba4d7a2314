// @voltq/kit: the service runtime. See README.md for the API and an example main.ts.
export * from './config.js';
export * from './errors.js';
export * from './logger.js';
export * from './redis.js';
export * from './mongo.js';
export * from './mongo-fields.js';
export * from './counters.js';
export * from './clock-math.js';
export * from './clock.js';
export * from './time.js';
export * from './metrics.js';
export { Bus, type BusOptions, type PublishOptions, type ReturnedEnvelope } from './bus/bus.js';
export type { ConsumerHandle } from './bus/attachment.js';
export type { ConsumeOptions, HandlerContext } from './bus/consume.js';
export type { CallOptions, RpcContext, RpcHandler, ServeOptions } from './bus/rpc.js';
export * from './bus/names.js';
export * from './outbox-redis.js';
export * from './outbox-mongo.js';
export * from './service.js';
export type {
  Envelope,
  MessagePayload,
  MessageType,
  RpcMethod,
  RpcParams,
  RpcResult,
} from '@voltq/contracts';
