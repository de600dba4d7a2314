// 004's `GET /api/config` (004:904): the app's configuration document (auth keeps it; operators edit it with the
// platform additions `GET`/`PUT /api/admin/config`), times ISO 8601, plus the API's version.
import { Type } from '@sinclair/typebox';
import { APP_TEXT_FIELDS, type AppConfig, type PutAppConfigParams } from '@voltq/contracts';
import type { Api } from '../../../core/context.js';
import { parseTime } from '../../../core/parse.js';
import { iso } from '../../../core/units.js';
import { API_VERSION, TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { Closed, responses } from '../schemas.js';

const Text = Type.String({ maxLength: 20_000 });
const OptionalText = Type.Optional(Text);
const texts = Object.fromEntries(APP_TEXT_FIELDS.map((k) => [k, Text])) as Record<(typeof APP_TEXT_FIELDS)[number], typeof Text>;
const Notice = (publishTime: ReturnType<typeof Type.String>) => Closed({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  title: Type.String({ maxLength: 200 }),
  content: Type.String({ maxLength: 20_000 }),
  publishTime,
});
const Banner = Closed({ id: Type.String({ minLength: 1, maxLength: 64 }), imageUrl: Type.String({ maxLength: 2048 }), linkUrl: Type.String({ maxLength: 2048 }), title: Type.String({ maxLength: 200 }) });
const Config004 = Type.Object({
  ...texts,
  noticeList: Type.Array(Notice(Type.String({ description: 'ISO 8601' }))),
  bannerList: Type.Array(Banner),
  wechatAppId: Type.String(),
  jwtExpiryInMinutes: Type.Integer(),
  apiVersion: Type.String(),
});
const ConfigChange = Closed({
  ...(Object.fromEntries(APP_TEXT_FIELDS.map((k) => [k, OptionalText])) as Record<(typeof APP_TEXT_FIELDS)[number], typeof OptionalText>),
  noticeList: Type.Optional(Type.Array(Notice(Type.String({ maxLength: 40, description: 'ISO 8601 date-time' })), { maxItems: 100 })),
  bannerList: Type.Optional(Type.Array(Banner, { maxItems: 50 })),
});

function config004(c: AppConfig, timeZone: string) {
  const { updatedAt: _updatedAt, ...rest } = c;
  return { ...rest, noticeList: c.noticeList.map((n) => ({ ...n, publishTime: iso(n.publishTime, timeZone) ?? '' })), apiVersion: API_VERSION };
}

export function configRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];
  api.get('/config', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the app's configuration: texts, notices, banners", security, response: responses(Config004) },
  }, async (req) => ok(config004(await deps.call(req, 'auth.appConfig', {}), deps.timeZone)));

  api.get('/admin/config', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "the app's configuration (as GET /api/config)", security, response: responses(Config004) },
  }, async (req) => ok(config004(await deps.call(req, 'auth.appConfig', {}), deps.timeZone)));

  api.put('/admin/config', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "change the app's configuration: absent fields stay, a list given replaces the list", security, body: ConfigChange, response: responses(Config004) },
  }, async (req) => {
    const { noticeList, ...rest } = req.body;
    const change: PutAppConfigParams = { ...rest };
    if (noticeList !== undefined) change.noticeList = noticeList.map((n, i) => ({ ...n, publishTime: parseTime(n.publishTime, deps.timeZone, `noticeList/${i}/publishTime`) }));
    return ok(config004(await deps.call(req, 'auth.putAppConfig', change), deps.timeZone));
  });
}
