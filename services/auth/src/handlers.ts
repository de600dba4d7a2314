// Auth's RPCs: each maps its params to one Accounts (or signing key) call.
import type { Bus } from '@voltq/kit';
import type { Accounts } from './domain/accounts.js';
import { appConfigUpdate, appConfigView } from './domain/app-config.js';
import type { AppConfigStore } from './store/app-config.js';
import type { WechatClient } from './store/wechat.js';
import type { SigningKeys } from './domain/tokens.js';

export interface AuthDeps {
  bus: Bus;
  accounts: Accounts;
  keys: SigningKeys;
  appConfig: Pick<AppConfigStore, 'get' | 'set'>;
  /** what `/api/config` shows beside the document */
  own: { wechatAppId: string; tokenTtlSeconds: number };
  now: () => number;
  /** WeChat's jscode2session (store/wechat.ts) */
  wechat: Pick<WechatClient, 'session'>;
}

export async function registerHandlers({ bus, accounts, keys, appConfig, own, now, wechat }: AuthDeps): Promise<void> {
  // Awaited: the service is ready only once every RPC queue exists.
  await Promise.all([
    bus.serve('auth.register', async (params) => accounts.register(params)),
    bus.serve('auth.login', async (params) => accounts.login(params.username, params.password, 'user')),
    bus.serve('auth.wechatLogin', async (params) => accounts.wechatLogin((await wechat.session(params.code)).openId, params.profile)),
    bus.serve('auth.adminLogin', async (params) => accounts.login(params.username, params.password, 'admin')),
    bus.serve('auth.userInfo', async (params) => accounts.userInfo(params.userId)),
    bus.serve('auth.updateProfile', async (params) => accounts.updateProfile(params)),
    bus.serve('auth.changePassword', async (params) => accounts.changePassword(params)),
    bus.serve('auth.principal', async (params) => accounts.principal(params.userId)),
    bus.serve('auth.jwks', async () => keys.publicJwks()),
    bus.serve('auth.addCar', async (params) => accounts.addCar(params)),
    bus.serve('auth.listCars', async (params) => ({ items: await accounts.listCars(params.userId) })),
    bus.serve('auth.getCar', async (params) => accounts.getCar(params.userId, params.carId)),
    bus.serve('auth.removeCar', async (params) => accounts.removeCar(params.userId, params.carId)),
    bus.serve('auth.updateCar', async (params) => accounts.updateCar(params)),
    bus.serve('auth.addCard', async (params) => accounts.addCard(params.userId, params.cardId)),
    bus.serve('auth.listCards', async (params) => ({ items: await accounts.listCards(params.userId) })),
    bus.serve('auth.removeCard', async (params) => accounts.removeCard(params.userId, params.cardId)),
    bus.serve('auth.cardOwner', async (params) => accounts.cardOwner(params.cardId)),
    bus.serve('auth.appConfig', async () => appConfigView(await appConfig.get(), own)),
    bus.serve('auth.putAppConfig', async (params) => appConfigView(await appConfig.set(appConfigUpdate(params), now()), own)),
  ]);
}
