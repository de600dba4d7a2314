// The app's configuration document (document 004's `/api/config`): the defaults a new platform shows, and the
// answer built from the stored document and what auth knows itself. Pure.
import { APP_TEXT_FIELDS, type AppConfig, type AppConfigDocument, type PutAppConfigParams } from '@voltq/contracts';

export const DEFAULT_APP_CONFIG: AppConfigDocument = {
  appName: 'VoltQ',
  appVersion: '1.0.0',
  companyName: 'VoltQ',
  contactPhone: '',
  contactEmail: '',
  serviceAgreement: '',
  privacyPolicy: '',
  aboutUs: '',
  helpCenter: '',
  faq: '',
  noticeList: [],
  bannerList: [],
};

/** The fields an operator may change: the document's own, nothing else (whatever `params` carries). */
export function appConfigUpdate(params: PutAppConfigParams): Partial<AppConfigDocument> {
  const set: Partial<AppConfigDocument> = {};
  for (const key of APP_TEXT_FIELDS) if (params[key] !== undefined) set[key] = params[key];
  if (params.noticeList !== undefined) set.noticeList = params.noticeList.map(({ id, title, content, publishTime }) => ({ id, title, content, publishTime }));
  if (params.bannerList !== undefined) set.bannerList = params.bannerList.map(({ id, imageUrl, linkUrl, title }) => ({ id, imageUrl, linkUrl, title }));
  return set;
}

/** The answer: the stored document over the defaults, plus auth's own settings. */
export function appConfigView(stored: (Partial<AppConfigDocument> & { updatedAt?: number }) | undefined, own: { wechatAppId: string; tokenTtlSeconds: number }): AppConfig {
  const doc = { ...DEFAULT_APP_CONFIG, ...appConfigUpdate(stored ?? {}) };
  return {
    ...doc,
    wechatAppId: own.wechatAppId,
    jwtExpiryInMinutes: Math.max(1, Math.floor(own.tokenTtlSeconds / 60)),
    ...(stored?.updatedAt !== undefined ? { updatedAt: stored.updatedAt } : {}),
  };
}
