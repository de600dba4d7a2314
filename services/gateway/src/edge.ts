// The HTTP edge below the routes: how fastify parses and validates what a client sends, and how it answers what it
// refuses before any route runs. Every such refusal is an answer in the API's shape `{code, message, data: null}`
// with a 4xx, never fastify's own `{statusCode, error, code: 'FST_…'}` and never a 5xx.
//
// - Bodies are validated strictly: no type coercion (`{"username": 1e999}` is refused, not registered as the user
//   "Infinity") and no silent removal of unknown fields (every request schema is closed with
//   `additionalProperties: false`, so an unknown field is refused by name). Query strings and path parameters arrive
//   as text and keep ajv's coercion ("?pageNum=2" is the integer 2).
// - JSON bodies deeper than MAX_JSON_DEPTH are refused before they are parsed (a 50,000-level body overflowed the
//   stack further in); a DELETE's empty JSON body is no body.
// - Only JSON bodies are read on /api: any other media type is 415.
// - Path parameters may be up to MAX_PARAM_LENGTH characters (percent-encoded): above every id the API lets a client
//   create (ids are at most 128 characters, i.e. at most 128 × 12 encoded), so whatever can be created can be
//   addressed; longer is 414. A malformed %-escape is 400.
import type { Duplex } from 'node:stream';
import { Ajv, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { DEFAULT_DIALECT, dialectOfUrl, failureBody } from './core/dialects.js';
import { toDialectError } from './core/errors.js';

export const MAX_JSON_DEPTH = 64;
export const MAX_PARAM_LENGTH = 2048;
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** A refused body of up to this many declared bytes is read and dropped, so its answer arrives (see installEdge). */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** A refusal of the edge: a 4xx with a message for the client; the error handlers answer it in shape. */
export class EdgeError extends Error {
  constructor(readonly statusCode: number, message: string, readonly code = 'VOLTQ_EDGE') {
    super(message);
  }
}

/** Fastify's answers for what it refuses before routing (bad %-escape, too long a parameter), in the shape of the
 * dialect owning the URL's prefix (core/dialects.ts). */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the path is not a valid URL: a malformed %-escape'
        : 'bad request';
  const dialect = dialectOfUrl(req.url);
  const answer = toDialectError(dialect, new EdgeError(status, message));
  void reply.code(answer.status).header('content-type', 'application/json; charset=utf-8').send(failureBody(dialect, answer));
}

/** What node's HTTP parser refuses before fastify sees a request (header too large, malformed request line ...). */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', 'malformed HTTP request'];
  // no request was parsed, so no URL names a dialect: the platform's own shape
  const body = JSON.stringify(failureBody(DEFAULT_DIALECT, toDialectError(DEFAULT_DIALECT, new EdgeError(status, message))));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** The options of the gateway's fastify instance (the kit creates it: pass these as `httpOptions`). */
export const gatewayHttpOptions: FastifyServerOptions = {
  bodyLimit: BODY_LIMIT_BYTES,
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  frameworkErrors,
  clientErrorHandler,
};

/** Whether the instance was built with gatewayHttpOptions (a test that forgets them would test another edge). */
export function hasGatewayHttpOptions(http: FastifyInstance): boolean {
  const config = http.initialConfig as { routerOptions?: { maxParamLength?: number }; maxParamLength?: number };
  return (config.routerOptions?.maxParamLength ?? config.maxParamLength) === MAX_PARAM_LENGTH;
}

/** Nesting depth of a JSON text, counted without parsing (strings skipped); stops counting once over `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The first non-finite number in a coerced value (its path), or null. */
function nonFinitePath(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinitePath(v, `${path}/${k}`);
    if (found !== null) return found;
  }
  return null;
}

/**
 * ajv 8 coerces a query text such as "1e999" to Infinity and then skips the range keywords (minimum, maximum), so
 * `status=1e999` passed `0 <= status <= 4`: a coerced value is refused when it holds a non-finite number.
 */
function finiteOnly(validate: ValidateFunction): (data: unknown) => boolean {
  const check = (data: unknown): boolean => {
    const ok = validate(data);
    check.errors = validate.errors ?? null;
    if (!ok) return false;
    const path = nonFinitePath(data, '');
    if (path === null) return true;
    check.errors = [{ instancePath: path, schemaPath: '#', keyword: 'type', params: {}, message: 'must be a finite number' }];
    return false;
  };
  check.errors = null as ErrorObject[] | null;
  return check;
}

const ajvBase: AjvOptions = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false };

/**
 * Validation, parsing and the JSON parser of the whole instance. Call before any route with a schema is added.
 */
export function installEdge(http: FastifyInstance): void {
  // body: exact types, unknown fields refused; query/params/headers: text coerced to the schema's types
  const strict = new Ajv({ ...ajvBase, coerceTypes: false });
  const coercing = new Ajv({ ...ajvBase, coerceTypes: 'array' });
  http.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : finiteOnly(coercing.compile(schema)));

  const parseJson = http.getDefaultJsonParser('error', 'error');
  http.removeContentTypeParser('application/json');
  http.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0 && req.method === 'DELETE') return done(null, undefined);
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      return done(new EdgeError(400, `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    parseJson(req, text, done);
  });
  http.removeContentTypeParser('text/plain');

  // A refused body (too large, unparsable) is left unread and fastify answers it with `connection: close`; closing
  // a socket with unread bytes sends a reset, which can destroy the answer before the client reads it (the fuzz
  // test's 2 MB body got no answer at all, now and then). A body of a declared size up to DRAIN_LIMIT_BYTES is
  // read and dropped instead and the connection kept; larger or chunked ones are still cut off.
  http.addHook('onSend', async (request, reply) => {
    if (reply.getHeader('connection') !== 'close' || request.raw.complete) return;
    if (!(Number(request.headers['content-length']) <= DRAIN_LIMIT_BYTES)) return;
    reply.removeHeader('connection');
    request.raw.resume();
  });
}
