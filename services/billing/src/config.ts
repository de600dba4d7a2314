// The billing service's configuration: the kit's base variables and the WeChat Pay merchant.
import { Type, type Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('billing', {
  /** WeChat Pay API v2: WeChat itself, or the local sandbox scripts/start runs */
  wechatPayBaseUrl: Type.String({ minLength: 1, maxLength: 512, default: 'https://api.mch.weixin.qq.com' }),
  /** the app id bound to the merchant */
  wechatAppId: Type.String({ maxLength: 64, default: '' }),
  /** 商户号 and its API key; unset: WeChat payments are refused as not configured */
  wechatMchId: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  wechatMchKey: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** where WeChat sends its pay notify: the gateway's public /api/payment/wechat/notify */
  wechatNotifyUrl: Type.String({ minLength: 1, maxLength: 512, default: 'http://127.0.0.1:8080/api/payment/wechat/notify' }),
});
export type BillingConfig = Static<typeof configSchema>;
