// billing service: one bill (详单) per ended session, priced by the session's tariff (documents in billing); bill queries; the balance ledger. `node src/main.ts`
// runs it; a test imports `billingService` and runs it in-process with its own env.
import { MongoOutboxRelay, runIfMain, type RunServiceOptions } from '@voltq/kit';
import { configSchema } from './config.js';
import { registerHandlers } from './handlers.js';
import { ledgerModel, LedgerRepository } from './store/ledger.js';
import { billModel } from './store/model.js';
import { BillRepository } from './store/repository.js';
import { tariffModel, TariffRepository } from './store/tariffs.js';
import { paymentModel, PaymentRepository } from './store/payments.js';
import { createWechatPayClient } from './store/wechat-client.js';

export const billingService = {
  name: 'billing',
  configSchema,
  async start({ bus, redis, clock, mongo, config, log, onShutdown }) {
    const Bill = billModel(mongo!);
    await Bill.init(); // the unique sessionId index must exist before the first bill
    const Entry = ledgerModel(mongo!);
    await Entry.init(); // the unique (userId, cause) and (userId, seq) indexes must exist before the first entry
    const Tariff = tariffModel(mongo!);
    await Tariff.init(); // the unique tariffId index before the default is seeded
    const Payment = paymentModel(mongo!);
    await Payment.init(); // the unique (userId, requestId) index before the first payment
    const relay = new MongoOutboxRelay({ model: Bill, bus, log });
    const merchant = config.wechatMchId && config.wechatMchKey ? { appid: config.wechatAppId, mchId: config.wechatMchId, key: config.wechatMchKey } : undefined;
    if (!merchant) log.warn('WeChat Pay is not configured (WECHAT_MCH_ID, WECHAT_MCH_KEY): WeChat payments are refused');
    await registerHandlers({
      bus,
      redis,
      clock,
      repo: new BillRepository(Bill),
      ledger: new LedgerRepository(Entry),
      relay,
      ns: config.voltqNs,
      log,
      tariffs: new TariffRepository(Tariff),
      payments: new PaymentRepository(Payment),
      wechat: merchant && { merchant, client: createWechatPayClient({ baseUrl: config.wechatPayBaseUrl, merchant }), notifyUrl: config.wechatNotifyUrl },
    });
    relay.start();
    onShutdown(() => relay.stop());
  },
} satisfies RunServiceOptions<typeof configSchema>;

await runIfMain(import.meta.url, billingService);
