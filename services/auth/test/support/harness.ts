// auth in-process on a fresh namespace (test/support/service-harness.ts); the test bus calls its RPCs.
import { rpcSchemas } from '@voltq/contracts';
import { DomainError, runService, type RpcMethod, type ServiceHandle } from '@voltq/kit';
import { startServiceHarness, type ServiceHarness } from '../../../../test/support/service-harness.js';
import type { AuthConfig } from '../../src/config.js';
import { authServiceWith } from '../../src/main.js';

export interface Harness extends ServiceHarness {
  /** the lines auth announced (the generated admin password), in order */
  announced: string[];
  /** starts one auth replica: a cheap scrypt, admin "root", plus `env`; waits until every auth RPC is served */
  startReplica(env?: Record<string, string>): Promise<ServiceHandle<AuthConfig>>;
}

export async function startHarness(label: string, busName: string): Promise<Harness> {
  const h = await startServiceHarness({ label, busName, queues: Object.keys(rpcSchemas).map((method) => `rpc.${method}`) });
  const announced: string[] = [];
  async function startReplica(env: Record<string, string> = {}): Promise<ServiceHandle<AuthConfig>> {
    const replica = h.add(await runService({
      ...authServiceWith({ announce: (line) => announced.push(line) }),
      env: h.env({ SCRYPT_N: '16384', VOLTQ_ADMIN_USER: 'root', ...env }),
      exit: false,
    }));
    await h.untilServed(Object.keys(rpcSchemas).filter((m) => m.startsWith('auth.')) as RpcMethod[]);
    return replica;
  }
  return { ...h, announced, startReplica };
}

/** What a call ended with: 'ok', or the DomainError's code (a refusal asserted by its code). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof DomainError ? err.code : `not a DomainError: ${String(err)}`;
  }
}
