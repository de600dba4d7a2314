// What an operator relies on in k8s/ and infra/: both overlays render with `kubectl kustomize`, every object is
// valid against the Kubernetes schemas (kubernetes-models, offline), and each of the six services gets a
// Deployment with probes on its HTTP_PORT, a Service, an HPA and a PDB, with exactly the environment its config
// schema reads (taken from the services' own code). Secrets stay out of ConfigMaps; prod runs >= 2 replicas on
// external data stores; images are pinned. The compose file is held to the same environment rules.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { envName } from '../../packages/kit/src/config.js';
import { configSchema as gatewayConfigSchema } from '../../services/gateway/src/config.js';
import { configSchema as authConfigSchema } from '../../services/auth/src/config.js';
import { configSchema as orderConfigSchema } from '../../services/order/src/config.js';
import { configSchema as schedulerConfigSchema } from '../../services/scheduler/src/config.js';
import { configSchema as billingConfigSchema } from '../../services/billing/src/config.js';
import { configSchema as deviceBridgeConfigSchema } from '../../services/device-bridge/src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** kit's graceful shutdown gives up after this (runService shutdownTimeoutMs default) */
const KIT_SHUTDOWN_LIMIT_S = 25;

const SERVICES = {
  gateway: gatewayConfigSchema,
  auth: authConfigSchema,
  order: orderConfigSchema,
  scheduler: schedulerConfigSchema,
  billing: billingConfigSchema,
  'device-bridge': deviceBridgeConfigSchema,
} satisfies Record<string, { properties: Record<string, unknown> }>;
type ServiceName = keyof typeof SERVICES;
const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** The environment variables a service's config schema reads (kit's camelCase key -> UPPER_SNAKE rule). */
function schemaVariables(name: ServiceName): Set<string> {
  const properties: Record<string, unknown> = SERVICES[name].properties;
  return new Set(Object.entries(properties).map(([key, prop]) => envName(key, prop as Parameters<typeof envName>[1])));
}

/** Whether a service opens MongoDB: runService's `uses.mongo` is on unless its wiring (main.ts, or the service.ts
 * descriptor main.ts runs) turns it off. */
function usesMongo(name: ServiceName): boolean {
  const wiring = ['main.ts', 'service.ts'].map((f) => join(root, 'services', name, 'src', f)).filter((f) => existsSync(f));
  return !wiring.some((f) => /mongo:\s*false/.test(readFileSync(f, 'utf8')));
}

/** Variables that carry credentials: only ever from a Secret. */
const SENSITIVE = /(^|_)(URL|URI|PASSWORD|SECRET|TOKEN|MASTER_KEY|PASS)$/;
const DATASTORES = ['mongodb', 'redis', 'rabbitmq'];

// ---- rendering and parsing ----

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

function render(overlay: string): K8sObject[] {
  const dir = join(root, 'k8s', 'overlays', overlay);
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl is not installed or not on PATH: these tests render k8s/overlays/* with ' +
        '`kubectl kustomize` (kubectl >= 1.27 bundles kustomize). Install kubectl; the tests do not skip without it.');
    }
    throw new Error(`kubectl kustomize k8s/overlays/${overlay} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`k8s/overlays/${overlay}: bad YAML from kustomize: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as K8sObject | null;
    return obj ? [obj] : [];
  });
}

/** Validates against the OpenAPI schema of its apiVersion/kind (kubernetes-models); returns the problems. */
async function schemaProblems(obj: K8sObject): Promise<string[]> {
  const id = `${obj.kind}/${obj.metadata?.name}`;
  let Model: new (data: unknown) => { validate(): void };
  try {
    // module path mirrors the apiVersion: `kubernetes-models/apps/v1/Deployment`, `kubernetes-models/v1/Service`
    ({ [obj.kind]: Model } = await import(`kubernetes-models/${obj.apiVersion}/${obj.kind}`));
  } catch {
    return [`${id}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`];
  }
  if (typeof Model !== 'function') return [`${id}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`];
  // kustomize wraps long base64 values over several lines; the API server's decoder skips the newlines
  const data = obj.kind === 'Secret' && obj.data
    ? { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) }
    : obj;
  try {
    new Model(data).validate();
    return [];
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
}

class Rendered {
  constructor(readonly overlay: string, readonly objects: K8sObject[]) {}
  all(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }
  find(kind: string, name: string): K8sObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name);
  }
  /** a generated ConfigMap/Secret carries a hash suffix: `voltq-secrets` -> `voltq-secrets-<hash>` */
  generated(kind: 'ConfigMap' | 'Secret', base: string): K8sObject | undefined {
    return this.all(kind).find((o) => o.metadata.name === base || new RegExp(`^${base}-[a-z0-9]{10}$`).test(o.metadata.name));
  }
}

const isGeneratedName = (name: string, base: string) => name === base || new RegExp(`^${base}-[a-z0-9]{10}$`).test(name);

function containersOf(obj: K8sObject): any[] {
  const pod = obj.spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** name -> where its value comes from, for one container (env entries and envFrom ConfigMaps expanded). */
interface EnvSource { value?: string; secret?: { name: string; key: string }; configMap?: string; fieldPath?: string }
function containerEnv(r: Rendered, container: any): { vars: Map<string, EnvSource>; problems: string[] } {
  const vars = new Map<string, EnvSource>();
  const problems: string[] = [];
  for (const from of container.envFrom ?? []) {
    if (!from.configMapRef) {
      // a whole Secret hides which variables a container gets: secrets are named one by one
      problems.push(`${container.name}: envFrom other than a ConfigMap (${JSON.stringify(from)})`);
      continue;
    }
    const cm = r.find('ConfigMap', from.configMapRef.name);
    if (!cm) {
      problems.push(`${container.name}: envFrom ConfigMap ${from.configMapRef.name} is not rendered`);
      continue;
    }
    for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(k, { value: v, configMap: cm.metadata.name });
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) vars.set(e.name, { secret: { name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key } });
    else if (e.valueFrom?.configMapKeyRef) {
      const cm = r.find('ConfigMap', e.valueFrom.configMapKeyRef.name);
      vars.set(e.name, { value: cm?.data?.[e.valueFrom.configMapKeyRef.key], configMap: e.valueFrom.configMapKeyRef.name });
    } else if (e.valueFrom?.fieldRef) vars.set(e.name, { fieldPath: e.valueFrom.fieldRef.fieldPath });
    else vars.set(e.name, { value: e.value });
  }
  return { vars, problems };
}

function portNumber(container: any, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: any) => p.name === port)?.containerPort;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function imageProblems(r: Rendered): string[] {
  const problems: string[] = [];
  for (const obj of r.objects) {
    for (const c of containersOf(obj)) {
      const image = String(c.image ?? '');
      const lastPart = image.split('/').pop() ?? '';
      const pinned = image.includes('@sha256:') || (lastPart.includes(':') && !lastPart.endsWith(':latest'));
      if (!pinned) problems.push(`${obj.kind}/${obj.metadata.name} ${c.name}: image "${image}" has no tag or is :latest`);
    }
  }
  return problems;
}

// rendered once per overlay, on first use: a missing kubectl fails every test that needs it, with the reason
const cache = new Map<string, Rendered>();
function rendered(overlay: string): Rendered {
  let r = cache.get(overlay);
  if (!r) cache.set(overlay, (r = new Rendered(overlay, render(overlay))));
  return r;
}

for (const overlay of ['dev', 'prod']) {
  t.test(`${overlay}: renders, every object valid against the Kubernetes schemas, all in namespace voltq`, async (t) => {
    const r = rendered(overlay);
    t.ok(r.objects.length > 20, `rendered ${r.objects.length} objects`);
    const problems = (await Promise.all(r.objects.map(schemaProblems))).flat();
    t.same(problems, [], 'no schema violations');
    t.ok(r.find('Namespace', 'voltq'), 'the voltq Namespace');
    const elsewhere = r.objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'voltq')
      .map((o) => `${o.kind}/${o.metadata.name} in ${o.metadata.namespace ?? '(none)'}`);
    t.same(elsewhere, [], 'every namespaced object is in voltq');
    const names = r.objects.map((o) => `${o.kind}/${o.metadata.name}`);
    t.same(names.filter((n, i) => names.indexOf(n) !== i), [], 'no object twice');
    t.same(imageProblems(r), [], 'every image is pinned to a tag or digest, never latest');
  });

  t.test(`${overlay}: each service has a Deployment with probes on HTTP_PORT, a Service, an HPA and a PDB`, async (t) => {
    const r = rendered(overlay);
    for (const name of SERVICE_NAMES) {
      t.test(name, async (t) => {
        const dep = r.find('Deployment', name);
        if (!dep) return t.fail(`no Deployment ${name}`);
        const pod = dep.spec.template.spec;
        const podLabels = dep.spec.template.metadata.labels;
        t.ok(selects(dep.spec.selector.matchLabels, podLabels), 'the Deployment selects its own pods');
        t.equal(pod.containers.length, 1, 'one container');
        const c = pod.containers[0];
        t.same(c.args, [name], `the image entrypoint is told to run ${name}`);
        t.ok(existsSync(join(root, 'services', name, 'src', 'main.ts')), `services/${name}/src/main.ts exists`);

        const { vars } = containerEnv(r, c);
        const port = Number(vars.get('HTTP_PORT')?.value);
        t.ok(Number.isInteger(port) && port > 0, `HTTP_PORT is set (${vars.get('HTTP_PORT')?.value})`);
        t.equal(vars.get('HTTP_HOST')?.value, '0.0.0.0', 'listens on every interface');
        t.equal(portNumber(c, 'http'), port, 'container port "http" is HTTP_PORT');

        for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz'], ['startupProbe', '/healthz']] as const) {
          const get = c[probe]?.httpGet;
          t.equal(get?.path, path, `${probe} GET ${path}`);
          t.equal(get && portNumber(c, get.port), port, `${probe} on HTTP_PORT`);
        }
        // the startup probe must cover slow data stores; liveness must not kill a pod that is merely busy
        const startup = c.startupProbe;
        t.ok((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) >= 120, 'startup probe allows >= 2 min');

        const preStop = c.lifecycle?.preStop;
        const sleepS = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.at(-1));
        t.ok(sleepS >= 5, `preStop waits for endpoint removal (${sleepS} s)`);
        t.ok(pod.terminationGracePeriodSeconds >= sleepS + KIT_SHUTDOWN_LIMIT_S,
          `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} >= preStop ${sleepS} + shutdown ${KIT_SHUTDOWN_LIMIT_S}`);

        const ann = dep.spec.template.metadata.annotations ?? {};
        t.equal(ann['prometheus.io/scrape'], 'true', 'scraped by Prometheus');
        t.equal(ann['prometheus.io/port'], String(port), 'metrics on HTTP_PORT');
        t.equal(ann['prometheus.io/path'], '/metrics', 'metrics path');

        t.ok(pod.securityContext?.runAsNonRoot || c.securityContext?.runAsNonRoot, 'runs as non-root');
        t.ok(Number.isInteger(pod.securityContext?.runAsUser ?? c.securityContext?.runAsUser), 'numeric user (verifiable non-root)');
        t.equal(c.securityContext?.readOnlyRootFilesystem, true, 'read-only root filesystem');
        t.equal(c.securityContext?.allowPrivilegeEscalation, false, 'no privilege escalation');
        const tmp = c.volumeMounts?.find((m: any) => m.mountPath === '/tmp');
        t.ok(tmp && pod.volumes?.find((v: any) => v.name === tmp.name)?.emptyDir, 'a writable /tmp (tsx cache)');
        t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, 'CPU and memory requests (the HPA needs them)');

        const svc = r.find('Service', name);
        t.ok(svc, `Service ${name}`);
        t.ok(selects(svc?.spec.selector, podLabels), 'the Service selects the pods');
        const svcPort = svc?.spec.ports.find((p: any) => p.name === 'http');
        t.equal(svcPort && portNumber(c, svcPort.targetPort), port, 'the Service reaches HTTP_PORT');

        const hpa = r.find('HorizontalPodAutoscaler', name);
        t.equal(hpa?.apiVersion, 'autoscaling/v2', 'HPA autoscaling/v2');
        t.same(hpa?.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name }, 'the HPA scales the Deployment');
        t.ok(hpa?.spec.metrics.some((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu'), 'on CPU');
        t.ok(hpa && hpa.spec.minReplicas <= hpa.spec.maxReplicas, 'min <= max');
        t.equal(dep.spec.replicas, undefined, 'no fixed replica count fighting the HPA');

        const pdb = r.find('PodDisruptionBudget', name);
        t.ok(pdb, `PDB ${name}`);
        t.ok(selects(pdb?.spec.selector.matchLabels, podLabels), 'the PDB covers the pods');
      });
    }
  });

  t.test(`${overlay}: each container gets exactly the variables its service's config reads`, async (t) => {
    const r = rendered(overlay);
    for (const name of SERVICE_NAMES) {
      t.test(name, async (t) => {
        const c = r.find('Deployment', name)?.spec.template.spec.containers[0];
        if (!c) return t.fail(`no Deployment ${name}`);
        const { vars, problems } = containerEnv(r, c);
        t.same(problems, [], 'every variable source resolves');
        const known = schemaVariables(name);
        t.same([...vars.keys()].filter((v) => !known.has(v)), [], `no variable the ${name} config does not read`);

        const required = ['VOLTQ_NS', 'AMQP_URL', 'REDIS_URL', 'HTTP_PORT', 'HTTP_HOST'];
        if (usesMongo(name)) required.push('MONGODB_URI');
        if (name === 'auth') required.push('VOLTQ_ADMIN_PASSWORD');
        if (name === 'device-bridge') required.push('PILE_MASTER_KEY', 'PILE_TCP_PORT', 'REPLICA_ID');
        t.same(required.filter((v) => !vars.has(v)), [], `sets ${required.join(', ')}`);
        if (!usesMongo(name)) t.notOk(vars.has('MONGODB_URI'), 'no database credentials where no database is used');

        for (const [v, src] of vars) {
          if (!SENSITIVE.test(v)) continue;
          t.ok(src.secret && isGeneratedName(src.secret.name, 'voltq-secrets') && src.secret.key === v,
            `${v} comes from Secret voltq-secrets key ${v}`);
          if (overlay === 'prod') t.equal(src.secret?.name, 'voltq-secrets', `${v}: the operator's Secret, by its exact name`);
          else {
            const secret = src.secret && r.find('Secret', src.secret.name);
            t.ok(secret?.data?.[v], `${v} is in the rendered dev Secret`);
          }
        }

        if (name === 'device-bridge') {
          t.equal(vars.get('REPLICA_ID')?.fieldPath, 'metadata.name', 'REPLICA_ID is the pod name');
          const tcpPort = Number(vars.get('PILE_TCP_PORT')?.value);
          t.equal(portNumber(c, 'pile-tcp'), tcpPort, 'container port "pile-tcp" is PILE_TCP_PORT');
          const tcp = r.find('Service', 'device-bridge-tcp');
          const sp = tcp?.spec.ports.find((p: any) => p.name === 'pile-tcp');
          t.equal(sp && portNumber(c, sp.targetPort), tcpPort, 'Service device-bridge-tcp reaches the TCP door');
          t.equal(sp?.protocol ?? 'TCP', 'TCP');
        }
      });
    }
  });

  t.test(`${overlay}: no secrets in ConfigMaps or literal values`, async (t) => {
    const r = rendered(overlay);
    for (const cm of r.all('ConfigMap')) {
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        t.notOk(SENSITIVE.test(k), `ConfigMap ${cm.metadata.name}: ${k} is not a credential`);
        t.notOk(/:\/\/[^/@\s]*:[^/@\s]*@/.test(v), `ConfigMap ${cm.metadata.name}: ${k} holds no URL with a password`);
      }
    }
    for (const obj of r.objects) {
      for (const c of containersOf(obj)) {
        for (const e of c.env ?? []) {
          if (e.value === undefined) continue;
          t.notOk(/PASSWORD|SECRET|MASTER_KEY|_AUTH$/.test(e.name) || /:\/\/[^/@\s]*:[^/@\s]*@/.test(e.value),
            `${obj.kind}/${obj.metadata.name} ${c.name}: ${e.name} is not a literal credential`);
        }
      }
    }
  });

  t.test(`${overlay}: the Ingress reaches the gateway's APIs and the piles' WebSocket door`, async (t) => {
    const r = rendered(overlay);
    const ingresses = r.all('Ingress');
    t.equal(ingresses.length, 1, 'one Ingress');
    const paths = ingresses.flatMap((i) => i.spec.rules.flatMap((rule: any) => rule.http.paths));
    const route = (p: string) => paths.find((x: any) => x.path === p)?.backend.service;
    for (const [path, svc] of [['/api', 'gateway'], ['/docs', 'gateway'], ['/piles', 'device-bridge']] as const) {
      const backend = route(path);
      t.equal(backend?.name, svc, `${path} -> ${svc}`);
      const target = r.find('Service', svc)?.spec.ports.find((p: any) => p.name === backend?.port?.name || p.port === backend?.port?.number);
      t.ok(target, `${path}: the backend port exists on Service ${svc}`);
    }
    for (const internal of ['/metrics', '/healthz', '/readyz', '/']) t.notOk(route(internal), `${internal} is not public`);
    const ann = ingresses[0]?.metadata.annotations ?? {};
    t.ok(Number(ann['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 300, 'idle WebSockets are not cut after 60 s');
  });
}

t.test('dev: single replicas, in-cluster data stores the services can log in to', async (t) => {
  const r = rendered('dev');
  for (const hpa of r.all('HorizontalPodAutoscaler')) t.equal(hpa.spec.maxReplicas, 1, `${hpa.metadata.name}: one replica`);
  for (const name of DATASTORES) {
    const sts = r.find('StatefulSet', name);
    t.ok(sts, `StatefulSet ${name}`);
    t.ok(sts?.spec.volumeClaimTemplates?.length, `${name} keeps its data on a volume`);
    t.ok(selects(r.find('Service', name)?.spec.selector, sts?.spec.template.metadata.labels), `Service ${name}`);
  }
  const secret = r.generated('Secret', 'voltq-secrets');
  const stores = r.generated('Secret', 'voltq-datastores');
  if (!secret || !stores) return t.fail('dev renders Secrets voltq-secrets and voltq-datastores');
  const dec = (s: K8sObject, k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8');
  const store = (k: string) => dec(stores, k);
  const amqp = new URL(dec(secret, 'AMQP_URL'));
  const redis = new URL(dec(secret, 'REDIS_URL'));
  const mongo = new URL(dec(secret, 'MONGODB_URI'));
  t.same([amqp.hostname, redis.hostname, mongo.hostname], ['rabbitmq', 'redis', 'mongodb'], 'URLs name the in-cluster Services');
  t.same([amqp.username, decodeURIComponent(amqp.password)], [store('RABBITMQ_USER'), store('RABBITMQ_PASSWORD')], 'RabbitMQ credentials match');
  t.equal(amqp.pathname, `/${r.find('StatefulSet', 'rabbitmq')?.spec.template.spec.containers[0].env
    .find((e: any) => e.name === 'RABBITMQ_DEFAULT_VHOST')?.value}`, 'AMQP vhost is the broker\'s');
  t.equal(decodeURIComponent(redis.password), store('REDIS_PASSWORD'), 'Redis password matches');
  t.same([mongo.username, decodeURIComponent(mongo.password)], [store('MONGO_USER'), store('MONGO_PASSWORD')], 'MongoDB credentials match');
  t.ok(dec(secret, 'PILE_MASTER_KEY').length >= 8, 'PILE_MASTER_KEY long enough for the device-bridge config');
});

t.test('prod: >= 2 replicas, one kept through disruptions, limits, external data stores only', async (t) => {
  const r = rendered('prod');
  for (const hpa of r.all('HorizontalPodAutoscaler')) t.ok(hpa.spec.minReplicas >= 2, `${hpa.metadata.name}: minReplicas ${hpa.spec.minReplicas}`);
  for (const pdb of r.all('PodDisruptionBudget')) t.equal(pdb.spec.minAvailable, 1, `${pdb.metadata.name}: minAvailable 1`);
  t.same(r.all('StatefulSet').map((s) => s.metadata.name), [], 'no StatefulSets');
  t.same(r.objects.filter((o) => DATASTORES.some((d) => o.metadata.name === d || o.metadata.name.startsWith(`${d}-`)))
    .map((o) => `${o.kind}/${o.metadata.name}`), [], 'no in-cluster data store objects');
  t.same(r.all('Secret').map((s) => s.metadata.name), [], 'no Secret rendered: voltq-secrets is the operator\'s');
  for (const dep of r.all('Deployment')) {
    for (const c of containersOf(dep)) {
      t.ok(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${dep.metadata.name}: CPU and memory limits`);
    }
  }
  t.equal(r.find('Service', 'device-bridge-tcp')?.spec.type, 'LoadBalancer', 'the pile TCP door is reachable from outside');
  const ing = r.all('Ingress')[0];
  t.ok(ing?.spec.tls?.length && ing.spec.rules.every((rule: any) => rule.host), 'the Ingress has a host and TLS');
});

t.test('compose: the six services from one image with the variables their configs read', async (t) => {
  const compose = parse(readFileSync(join(root, 'infra', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, any>;
  };
  for (const store of DATASTORES) t.ok(compose.services[store]?.healthcheck, `${store} with a healthcheck`);
  const images = new Set<string>();
  for (const name of SERVICE_NAMES) {
    const s = compose.services[name];
    if (!s) {
      t.fail(`compose service ${name}`);
      continue;
    }
    images.add(s.image);
    t.same(s.command, [name], `${name}: the image runs ${name}`);
    const env = s.environment as Record<string, string>;
    const known = schemaVariables(name);
    t.same(Object.keys(env).filter((v) => !known.has(v)), [], `${name}: no variable its config does not read`);
    t.equal(env.HTTP_HOST, '0.0.0.0', `${name}: listens on every interface`);
    t.ok(env.HTTP_PORT, `${name}: HTTP_PORT set (the image healthcheck reads it)`);
    const needed = ['AMQP_URL', 'REDIS_URL', ...(usesMongo(name) ? ['MONGODB_URI'] : [])];
    t.same(needed.filter((v) => !env[v]), [], `${name}: ${needed.join(', ')}`);
    for (const store of DATASTORES) t.equal(s.depends_on?.[store]?.condition, 'service_healthy', `${name} waits for ${store}`);
  }
  t.equal(images.size, 1, 'one image for all services');
  t.match(compose.services.gateway.ports?.[0], /8080$/, 'the gateway is published');
  t.same(compose.services['pile-simulator']?.command?.[0], 'simulate-piles', 'the pile simulator runs');
  for (const [name, s] of Object.entries(compose.services)) {
    t.notMatch(String(s.image), /(:latest$)|^[^:]*$/, `${name}: image pinned`);
  }
  const dockerfile = readFileSync(join(root, 'infra', 'Dockerfile'), 'utf8');
  t.match(dockerfile, /^FROM node:20-slim|ARG NODE_IMAGE=node:20-slim/m, 'node:20-slim base');
  t.match(dockerfile, /^USER (?!root|0\b)\S+/m, 'a non-root user');
  t.match(dockerfile, /^HEALTHCHECK .*healthcheck\.mjs/m, 'a HEALTHCHECK');
  t.match(readFileSync(join(root, 'infra', 'healthcheck.mjs'), 'utf8'), /\/healthz/, 'on /healthz');
});
