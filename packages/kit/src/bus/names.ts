// Routing names (docs/ARCHITECTURE.md "Namespacing").
export type ExchangeKind = 'events' | 'commands';

export function exchangeNames(ns: string) {
  return { events: `${ns}.events`, commands: `${ns}.commands`, dlx: `${ns}.dlx` };
}
export function workQueueName(ns: string, service: string, purpose: string): string {
  return `${ns}.${service}.${purpose}`;
}
export function dlqName(queue: string): string {
  return `${queue}.dlq`;
}
export function rpcQueueName(ns: string, method: string, shard?: string): string {
  return shard ? `${ns}.rpc.${method}.${shard}` : `${ns}.rpc.${method}`;
}
export function seenKey(ns: string, queue: string, id: string): string {
  return `${ns}:seen:${queue}:${id}`;
}
export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const ERROR_HEADER = 'x-voltq-error';
