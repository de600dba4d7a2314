// Form bodies for the dialects that send them: 000 (000:248 "模式和充电方式需要为form-data") and 003's login (the
// YAML key/value example, 003:44). application/x-www-form-urlencoded is read in those dialects' scopes only (edge.ts
// reads JSON everywhere). Repeated keys are refused (a field is one value).
import type { FastifyInstance } from 'fastify';
import { BODY_LIMIT_BYTES, EdgeError } from '../edge.js';

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new EdgeError(400, `form field ${JSON.stringify(key)} given twice`);
    out[key] = value;
  }
  return out;
}

export function addFormParser(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
