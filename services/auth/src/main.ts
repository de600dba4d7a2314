// auth: users, admins, cars, cards, credentials and the app's configuration document; issues the JWTs the gateway verifies. `node src/main.ts` runs it; a
// test imports `authService` (or `authServiceWith` to catch the admin announcement) and runs it in-process.
import { runIfMain, type RunServiceOptions } from '@voltq/kit';
import { configSchema } from './config.js';
import { Accounts } from './domain/accounts.js';
import { registerHandlers } from './handlers.js';
import { MongoAccountStore } from './store/accounts.js';
import { AppConfigStore } from './store/app-config.js';
import { WechatClient } from './store/wechat.js';
import { authModels } from './store/models.js';
import { loadSigningKeys } from './store/signing-keys.js';

export interface AuthOptions {
  /** where the generated admin password is shown (once, when the admin is created): stdout by default, never the JSON log */
  announce?: (line: string) => void;
}

export function authServiceWith({ announce = (line) => process.stdout.write(`${line}\n`) }: AuthOptions = {}) {
  return {
    name: 'auth',
    configSchema,
    uses: { amqp: true, redis: true, mongo: true },
    async start({ config, bus, mongo, clock, log }) {
      if (!mongo) throw new Error('auth needs MongoDB');
      const store = new MongoAccountStore(mongo, await authModels(mongo));
      const keys = await loadSigningKeys(mongo);
      // before the admin bootstrap and the first login: both find accounts by usernameKey
      const backfill = await store.backfillUsernameKeys();
      if (backfill.keyed > 0 || backfill.collided > 0) log.info(backfill, 'auth: older accounts given a usernameKey');
      const accounts = new Accounts({
        store,
        keys,
        tokenTtlSeconds: config.tokenTtlSeconds,
        scrypt: { N: config.scryptN, r: config.scryptR, p: config.scryptP },
        now: () => clock.now(),
      });
      const admin = await accounts.bootstrapAdmin(config.voltqAdminUser, config.voltqAdminPassword);
      if (admin.generatedPassword !== undefined) {
        announce(`VoltQ admin account created: username "${config.voltqAdminUser}" password "${admin.generatedPassword}" (shown once; set VOLTQ_ADMIN_PASSWORD to choose it)`);
      }
      await registerHandlers({
        bus,
        accounts,
        keys,
        appConfig: new AppConfigStore(mongo),
        own: { wechatAppId: config.wechatAppId, tokenTtlSeconds: config.tokenTtlSeconds },
        now: () => clock.now(),
        wechat: new WechatClient({ baseUrl: config.wechatApiBaseUrl, appId: config.wechatAppId, appSecret: config.wechatAppSecret }),
      });
      log.info({ admin: config.voltqAdminUser, created: admin.created, kid: keys.keyId }, 'auth ready');
    },
  } satisfies RunServiceOptions<typeof configSchema>;
}

export const authService = authServiceWith();

await runIfMain(import.meta.url, authService);
