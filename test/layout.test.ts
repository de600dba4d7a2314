// The one shape of every service (docs/ARCHITECTURE.md, "One shape for every service"), checked on the files:
// where the wiring, the config, the handlers, the rules and the persistence live, that tests mirror the source,
// and that no service's tests reach into another service's src/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const servicesDir = join(root, 'services');
const services = readdirSync(servicesDir).filter((name) => statSync(join(servicesDir, name)).isDirectory()).sort();

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The module specifiers a TypeScript file imports or re-exports (static and dynamic; type-only imports are no use). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|[\s;])(?:import|export)\s(?!type\s)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );
}

/** Packages only the store may use: persistence talks to them, nothing else does. */
const STORE_ONLY = ['mongoose', 'ioredis'];
/** What the rules may not touch: I/O of any kind. */
const NOT_IN_DOMAIN = [...STORE_ONLY, 'amqplib', 'fastify', '@fastify/websocket', 'ws', 'node:fs', 'node:net', 'node:http', 'node:child_process'];

t.equal(services.length, 6, `six services: ${services.join(', ')}`);

for (const service of services) {
  t.test(service, async (t) => {
    const dir = join(servicesDir, service);
    const src = join(dir, 'src');
    const at = (p: string) => relative(dir, p).split(sep).join('/');

    for (const file of ['main.ts', 'config.ts', 'handlers.ts']) t.ok(existsSync(join(src, file)), `src/${file} exists`);
    t.ok(filesUnder(join(src, 'domain')).some((f) => f.endsWith('.ts')), 'src/domain/ holds the rules');

    const main = existsSync(join(src, 'main.ts')) ? readFileSync(join(src, 'main.ts'), 'utf8') : '';
    t.match(main, /await runIfMain\(import\.meta\.url, \w+Service\)/, 'main.ts runs its descriptor through runIfMain');
    t.notMatch(main, /\bbus\.(serve|consume)\(/, 'main.ts wires only: RPCs and consumers are registered in handlers.ts');

    const sources = filesUnder(src).filter((f) => f.endsWith('.ts'));
    const storeOutside = sources.filter((f) => !at(f).startsWith('src/store/') && importsOf(f).some((m) => STORE_ONLY.includes(m)));
    t.same(storeOutside.map(at), [], `only src/store/ imports ${STORE_ONLY.join(' or ')}`);
    const impureDomain = sources.filter((f) => at(f).startsWith('src/domain/') && importsOf(f).some((m) => NOT_IN_DOMAIN.includes(m)));
    t.same(impureDomain.map(at), [], 'src/domain/ does no I/O');

    const tests = filesUnder(join(dir, 'test'));
    const unmirrored = tests
      .filter((f) => f.endsWith('.test.ts'))
      .map(at)
      .filter((p) => {
        const path = p.slice('test/'.length, -'.test.ts'.length);
        if (path === 'main' || path.startsWith('main/')) return false;
        return !existsSync(join(src, `${path}.ts`)) && !existsSync(join(src, path));
      });
    t.same(unmirrored, [], 'every test file is named after the src/ module it tests (test/<path>.test.ts ↔ src/<path>.ts, whole-service tests test/main*)');
    const strays = tests.map(at).filter((p) => !p.endsWith('.test.ts') && !p.startsWith('test/support/'));
    t.same(strays, [], 'test helpers live in test/support/');

    const reaching = tests
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        importsOf(f)
          .filter((m) => m.startsWith('.'))
          .map((m) => relative(servicesDir, resolve(dirname(f), m)).split(sep))
          .filter(([owner, part]) => owner !== service && owner !== '..' && part === 'src')
          .map((parts) => `${at(f)} imports services/${parts.join('/')}`),
      );
    t.same(reaching, [], "no test imports another service's src/");
  });
}
