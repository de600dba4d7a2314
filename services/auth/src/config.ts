// Auth's configuration: the kit's base variables plus token, password-hashing and admin-bootstrap settings.
import { Type, type Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('auth', {
  /** token lifetime; document 004 says 24 h (1440 minutes) */
  tokenTtlSeconds: Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600, default: 24 * 3600 }),
  /** scrypt cost N (a power of two), block size r and parallelization p for new hashes */
  scryptN: Type.Integer({ minimum: 1024, maximum: 1 << 20, default: 1 << 15 }),
  scryptR: Type.Integer({ minimum: 1, maximum: 32, default: 8 }),
  scryptP: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  /** the first admin account, created at first start */
  voltqAdminUser: Type.String({ minLength: 1, maxLength: 64, default: 'admin' }),
  /** unset: a random password is generated for a new admin and printed once on stdout */
  voltqAdminPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** the WeChat mini-program's app id (document 004's `/api/config` shows it; the login uses it) */
  wechatAppId: Type.String({ maxLength: 64, default: '' }),
  /** its secret; unset: the WeChat login is refused as not configured */
  wechatAppSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** where jscode2session is asked: WeChat itself, or the sandbox scripts/start runs */
  wechatApiBaseUrl: Type.String({ minLength: 1, maxLength: 512, default: 'https://api.weixin.qq.com' }),
});
export type AuthConfig = Static<typeof configSchema>;
