// Compiled TypeBox checks for envelopes, payloads, RPC params and results (compiled once per schema).
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { EnvelopeSchema, RpcReplySchema, RpcRequestSchema, messageSchema, rpcSchema } from '@voltq/contracts';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function check(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/** Undefined when valid, else a short description of the first few problems. */
export function problems(schema: TSchema, value: unknown): string | undefined {
  const c = check(schema);
  if (c.Check(value)) return undefined;
  const list: string[] = [];
  for (const e of c.Errors(value)) {
    list.push(`${e.path || '/'}: ${e.message}`);
    if (list.length >= 5) break;
  }
  return list.join('; ');
}

export function envelopeProblems(value: unknown): string | undefined {
  return problems(EnvelopeSchema, value);
}

export function payloadProblems(type: string, payload: unknown): string | undefined {
  const schema = messageSchema(type);
  if (!schema) return `unknown message type ${JSON.stringify(type)}`;
  return problems(schema, payload);
}

export function requestProblems(value: unknown): string | undefined {
  return problems(RpcRequestSchema, value);
}
export function replyProblems(value: unknown): string | undefined {
  return problems(RpcReplySchema, value);
}

/** Params with schema defaults applied (e.g. paging), or the problems. */
export function prepareParams(method: string, params: unknown): { value: unknown; error?: string } {
  const pair = rpcSchema(method);
  if (!pair) return { value: params, error: `unknown RPC method ${JSON.stringify(method)}` };
  const value = Value.Default(pair.params, Value.Clone(params ?? {}));
  return { value, error: problems(pair.params, value) };
}

export function resultProblems(method: string, result: unknown): string | undefined {
  const pair = rpcSchema(method);
  if (!pair) return `unknown RPC method ${JSON.stringify(method)}`;
  return problems(pair.result, result);
}
