// Auth's wiring: models, the shared signing key, the first admin and the RPC handlers. main.ts runs it; tests run
// it in-process through runService with their own environment.
import type { ServiceContext } from '@voltq/kit';
import { Accounts } from './accounts.js';
import type { AuthConfig } from './config.js';
import { SigningKeys } from './keys.js';
import { authModels } from './models.js';

export interface AuthStartOptions {
  /**
   * Where the generated admin password is shown (once, when the admin is created): stdout by default, never
   * the JSON log.
   */
  announce?: (line: string) => void;
  /** Receives the Accounts instance (tests). */
  onAccounts?: (accounts: Accounts) => void;
}

export function startAuth(opts: AuthStartOptions = {}) {
  return async (ctx: ServiceContext<AuthConfig>): Promise<void> => {
    const { config, bus, mongo, clock, log } = ctx;
    if (!mongo) throw new Error('auth needs MongoDB');
    const models = await authModels(mongo);
    const keys = await SigningKeys.load(mongo);
    const accounts = new Accounts({
      models,
      keys,
      tokenTtlSeconds: config.tokenTtlSeconds,
      scrypt: { N: config.scryptN, r: config.scryptR, p: config.scryptP },
      now: () => clock.now(),
    });
    opts.onAccounts?.(accounts);

    const admin = await accounts.bootstrapAdmin(config.voltqAdminUser, config.voltqAdminPassword);
    if (admin.generatedPassword !== undefined) {
      const announce = opts.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
      announce(`VoltQ admin account created: username "${config.voltqAdminUser}" password "${admin.generatedPassword}" (shown once; set VOLTQ_ADMIN_PASSWORD to choose it)`);
    }
    // Awaited: the service is ready only once every RPC queue exists.
    await Promise.all([
      bus.serve('auth.register', async (params) => accounts.register(params)),
      bus.serve('auth.login', async (params) => accounts.login(params.username, params.password, 'user')),
      bus.serve('auth.adminLogin', async (params) => accounts.login(params.username, params.password, 'admin')),
      bus.serve('auth.userInfo', async (params) => accounts.userInfo(params.userId)),
      bus.serve('auth.updateProfile', async (params) => accounts.updateProfile(params)),
      bus.serve('auth.principal', async (params) => accounts.principal(params.userId)),
      bus.serve('auth.jwks', async () => keys.publicJwks()),
      bus.serve('auth.addCar', async (params) => accounts.addCar(params)),
      bus.serve('auth.listCars', async (params) => ({ items: await accounts.listCars(params.userId) })),
      bus.serve('auth.getCar', async (params) => accounts.getCar(params.userId, params.carId)),
      bus.serve('auth.removeCar', async (params) => accounts.removeCar(params.userId, params.carId)),
    ]);
    log.info({ admin: config.voltqAdminUser, created: admin.created, kid: keys.keyId }, 'auth ready');
  };
}
