// @voltq/contracts: every message and RPC the services exchange, by name.
import type { Static, TSchema } from '@sinclair/typebox';
import { authMessages, authRpc } from './auth.js';
import { billingMessages, billingRpc } from './billing.js';
import type { EnvelopeBase } from './common.js';
import { deviceMessages, deviceRpc } from './device.js';
import { orderMessages, orderRpc } from './order.js';
import { schedulerMessages, schedulerRpc } from './scheduler.js';

export * from './common.js';
export * from './auth.js';
export * from './order.js';
export * from './scheduler.js';
export * from './billing.js';
export * from './device.js';

/** message type -> payload schema (events and commands). */
export const messageSchemas = {
  ...authMessages,
  ...orderMessages,
  ...schedulerMessages,
  ...billingMessages,
  ...deviceMessages,
} as const;

/** RPC method -> { params, result } schemas. Queue: `${ns}.rpc.<method>`. */
export const rpcSchemas = {
  ...authRpc,
  ...orderRpc,
  ...schedulerRpc,
  ...billingRpc,
  ...deviceRpc,
} as const;

type Schemas = typeof messageSchemas;
type Rpcs = typeof rpcSchemas;

export type MessageType = keyof Schemas & string;
export type MessagePayload<K extends MessageType> = Static<Schemas[K]>;
export type MessageMap = { [K in MessageType]: MessagePayload<K> };
/** An envelope whose payload type follows its `type` (a union when K is a union). */
export type Envelope<K extends MessageType = MessageType> = K extends MessageType
  ? Omit<EnvelopeBase, 'type' | 'payload'> & { type: K; payload: MessagePayload<K> }
  : never;

export type RpcMethod = keyof Rpcs & string;
export type RpcParams<M extends RpcMethod> = Static<Rpcs[M]['params']>;
export type RpcResult<M extends RpcMethod> = Static<Rpcs[M]['result']>;

export function isMessageType(type: string): type is MessageType {
  return Object.prototype.hasOwnProperty.call(messageSchemas, type);
}
export function isRpcMethod(method: string): method is RpcMethod {
  return Object.prototype.hasOwnProperty.call(rpcSchemas, method);
}
export function messageSchema(type: string): TSchema | undefined {
  return isMessageType(type) ? messageSchemas[type] : undefined;
}
export function rpcSchema(method: string): { params: TSchema; result: TSchema } | undefined {
  return isRpcMethod(method) ? rpcSchemas[method] : undefined;
}
