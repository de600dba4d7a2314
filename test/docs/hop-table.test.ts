// The hop table of docs/ARCHITECTURE.md ("The path of a charge, hop by hop") against the code: every RPC it names
// is in the contracts and served by its service, every message it names is in the contracts and written by some
// service, every consumer it names consumes that message on that queue, every route it names is a gateway route.
// The handler and domain-function columns are plain words and not checked (files move; names of pieces do not).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
// the package's entry file (the root workspace declares no dependency on @voltq/contracts): the same two maps
import { messageSchemas, rpcSchemas } from '../../packages/contracts/src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECTION = '## The path of a charge, hop by hop';
const COLUMNS = ['gateway route', 'RPC', 'handler (service)', 'domain function', 'events emitted', 'consumers (service: queue)'];
/** Which service serves an RPC: the contracts name each method after the file (and service) that owns it. */
const RPC_OWNER: Record<string, string> = { auth: 'auth', order: 'order', scheduler: 'scheduler', billing: 'billing', device: 'device-bridge' };

export interface HopRow {
  line: number;
  cells: string[];
}

/** The rows of the first markdown table after the section heading, with their line numbers. */
export function hopTable(markdown: string): { header: string[]; rows: HopRow[] } {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === SECTION);
  if (start < 0) throw new Error(`docs/ARCHITECTURE.md has no section "${SECTION}"`);
  let i = start + 1;
  while (i < lines.length && !lines[i]!.trimStart().startsWith('|')) {
    if (lines[i]!.startsWith('## ')) throw new Error(`section "${SECTION}" holds no table`);
    i++;
  }
  const split = (l: string) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const header = split(lines[i] ?? '');
  const rows: HopRow[] = [];
  for (let j = i + 2; j < lines.length && lines[j]!.trimStart().startsWith('|'); j++) rows.push({ line: j + 1, cells: split(lines[j]!) });
  return { header, rows };
}

/** The names in backticks of one cell. */
export function ticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The text of a source tree: every service's src, read once. */
export interface Sources {
  services: Set<string>;
  src: (service: string) => string;
}

export function readSources(): Sources {
  const dir = join(root, 'services');
  const services = new Set(readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory()));
  const cache = new Map<string, string>();
  return {
    services,
    src: (service) => {
      if (!cache.has(service)) cache.set(service, filesUnder(join(dir, service, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n'));
      return cache.get(service)!;
    },
  };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const stringLiterals = (text: string) => [...text.matchAll(/(['"`])([^'"`]+?)\1/g)].map((m) => m[2]!);

/** The text of the bracketed list that starts at `open` (an index of '['). */
function bracketed(text: string, open: number): string {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === '[') depth++;
    if (text[k] === ']' && --depth === 0) return text.slice(open + 1, k);
  }
  return '';
}

/** The string values of a `types:` expression: a list of literals and spreads, or a constant defined in the same src. */
function typesOf(expr: string, src: string): string[] {
  const constant = (name: string): string[] => {
    const def = new RegExp(`const\\s+${escape(name)}\\b[^=]*=\\s*\\[`).exec(src);
    return def ? stringLiterals(bracketed(src, def.index + def[0].length - 1)) : [];
  };
  const trimmed = expr.trim();
  if (trimmed.startsWith('[')) {
    const inner = bracketed(trimmed, 0);
    return [...stringLiterals(inner), ...[...inner.matchAll(/\.\.\.\s*([A-Za-z_$][\w$]*)/g)].flatMap((m) => constant(m[1]!))];
  }
  const name = /^[A-Za-z_$][\w$]*/.exec(trimmed)?.[0];
  return name ? constant(name) : [];
}

/** Every `.consume({ queue, types })` of a service's src: queue purpose (a template's `${x}` written `<x>`) and types. */
export function consumersOf(src: string): { queue: string; types: string[] }[] {
  const found: { queue: string; types: string[] }[] = [];
  for (const m of src.matchAll(/\.consume\(\s*\{/g)) {
    const body = src.slice(m.index, m.index + 1500);
    const queue = /queue:\s*(['"`])(.+?)\1/.exec(body)?.[2]?.replace(/\$\{\s*([^}]+?)\s*\}/g, '<$1>');
    const types = /types:\s*([^\n]+)/.exec(body);
    if (queue === undefined || !types) continue;
    const listStart = body.indexOf(types[1]!, types.index);
    const expr = types[1]!.trim().startsWith('[') ? `[${bracketed(body, body.indexOf('[', listStart))}]` : types[1]!;
    found.push({ queue, types: typesOf(expr, src) });
  }
  return found;
}

/** Whether the gateway's src registers METHOD /api/path (fastify's `api.post('/path'` or `{ method, url }`). */
function gatewayHasRoute(gateway: string, route: string): boolean {
  const m = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(route);
  if (!m) return false;
  const method = m[1]!.toLowerCase();
  const path = m[2]!.replace(/^\/api(?=\/)/, '').replace(/\{([^}]+)\}/g, ':$1');
  const quoted = `(['"\`])${escape(path)}\\1`;
  return new RegExp(`\\.${method}\\(\\s*${quoted}`).test(gateway) ||
    new RegExp(`method:\\s*['"]${m[1]}['"][^}]*url:\\s*${quoted}`).test(gateway);
}

/** What is wrong with one row: an empty list means every name in it is true of the code. */
export function problemsOf(row: HopRow, sources: Sources): string[] {
  const [routeCell = '', rpcCell = '', , , eventCell = '', consumerCell = ''] = row.cells;
  const problems: string[] = [];
  const gateway = sources.src('gateway');

  for (const route of ticked(routeCell)) {
    if (!gatewayHasRoute(gateway, route)) problems.push(`route ${route} is not registered in services/gateway/src`);
  }

  for (const rpc of ticked(rpcCell)) {
    if (!Object.prototype.hasOwnProperty.call(rpcSchemas, rpc)) {
      problems.push(`RPC ${rpc} is not in @voltq/contracts' rpcSchemas`);
      continue;
    }
    const owner = RPC_OWNER[rpc.split('.')[0]!];
    if (!owner || !sources.services.has(owner)) {
      problems.push(`RPC ${rpc}: no service owns the prefix "${rpc.split('.')[0]}"`);
    } else if (!new RegExp(`\\.serve\\(\\s*(['"\`])${escape(rpc)}\\1`).test(sources.src(owner))) {
      problems.push(`RPC ${rpc} is not served in services/${owner}/src (no .serve('${rpc}', ...))`);
    }
  }

  const everySrc = [...sources.services].map((s) => sources.src(s)).join('\n');
  for (const type of ticked(eventCell)) {
    if (!Object.prototype.hasOwnProperty.call(messageSchemas, type)) problems.push(`message ${type} is not in @voltq/contracts' messageSchemas`);
    else if (!new RegExp(`(['"\`])${escape(type)}\\1`).test(everySrc)) problems.push(`message ${type} is named in no service's src`);
  }

  // one entry per consumed message: `type` → service: `queue`[, service: `queue` ...]
  for (const entry of consumerCell.split(/<br\s*\/?>/).map((e) => e.trim()).filter((e) => e && e !== '—')) {
    const type = /^`([^`]+)`/.exec(entry)?.[1];
    if (!type) {
      problems.push(`consumer entry "${entry}" does not start with a message in backticks`);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(messageSchemas, type)) problems.push(`consumed message ${type} is not in @voltq/contracts' messageSchemas`);
    const pairs = [...entry.slice(type.length + 2).matchAll(/([a-z][a-z-]*):\s*`([^`]+)`/g)];
    if (pairs.length === 0) problems.push(`consumer entry of ${type} names no service: queue`);
    for (const [, service, queue] of pairs) {
      if (!sources.services.has(service!)) {
        problems.push(`consumer of ${type}: there is no service ${service}`);
        continue;
      }
      const consumers = consumersOf(sources.src(service!));
      const onQueue = consumers.filter((c) => c.queue === queue);
      if (onQueue.length === 0) problems.push(`consumer of ${type}: services/${service}/src consumes no queue "${queue}" (it has: ${consumers.map((c) => c.queue).join(', ') || 'none'})`);
      else if (!onQueue.some((c) => c.types.includes(type))) problems.push(`consumer of ${type}: the ${service} queue "${queue}" does not take it (types: ${onQueue.flatMap((c) => c.types).join(', ')})`);
    }
  }
  return problems;
}

const sources = readSources();
const table = hopTable(readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8'));

t.same(table.header, COLUMNS, 'the hop table has its six columns');
t.ok(table.rows.length >= 8, `the hop table has a row per hop (${table.rows.length})`);

for (const row of table.rows) {
  const name = `line ${row.line}: ${row.cells[0]}`;
  t.test(name, async (t) => {
    t.equal(row.cells.length, COLUMNS.length, 'six cells');
    t.same(problemsOf(row, sources), [], 'every name in the row is true of the code');
  });
}

t.test('the capabilities of document 004 each have their row', async (t) => {
  const routes = table.rows.flatMap((r) => ticked(r.cells[0] ?? ''));
  for (const route of [
    'POST /api/user/register',
    'POST /api/user/login',
    'POST /api/queue/requests',
    'PATCH /api/queue/requests/{orderId}',
    'DELETE /api/queue/requests/{orderId}',
    'GET /api/admin/stations/{stationId}/board',
    'POST /api/admin/piles/{pileNo}/status',
    'GET /api/bills',
  ]) t.ok(routes.includes(route), route);
  const consumed = table.rows.flatMap((r) => ticked(r.cells[5] ?? ''));
  for (const type of ['session.ended', 'bill.created', 'device.pile-fault']) t.ok(consumed.includes(type), `${type} is followed to its consumer`);
});

// The checks must fail a row that names what does not exist; a made-up row proves they do.
t.test('a row naming what does not exist is caught', async (t) => {
  const made = (cells: string[]): HopRow => ({ line: 0, cells });
  const one = (cells: string[]) => problemsOf(made(cells), sources);
  t.match(one(['`POST /api/queue/nowhere`', '—', '', '', '—', '—']), [/route POST \/api\/queue\/nowhere/], 'an unknown route');
  t.match(one(['—', '`order.teleport`', '', '', '—', '—']), [/RPC order\.teleport is not in/], 'an RPC the contracts lack');
  t.same(one(['—', '`order.get`', '', '', '—', '`session.ended` → billing: `session-ended`, order: `events`']), [], 'a served RPC and a true consumer pass');
  t.match(one(['—', '—', '', '', '`session.vanished`', '—']), [/message session\.vanished is not in/], 'a message the contracts lack');
  t.match(one(['—', '—', '', '', '—', '`order.exploded` → order: `events`']), [/consumed message order\.exploded is not in/], 'a consumed message the contracts lack');
  t.match(one(['—', '—', '', '', '—', '`session.ended` → billing: `nowhere`']), [/consumes no queue "nowhere"/], 'an unknown queue');
  t.match(one(['—', '—', '', '', '—', '`pile.faulted` → order: `events`']), [/does not take it/], 'a queue that does not take the message');
  t.match(one(['—', '—', '', '', '—', '`session.ended` → ledger: `events`']), [/there is no service ledger/], 'an unknown service');
});
