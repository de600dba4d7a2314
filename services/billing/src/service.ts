// The billing service's definition for kit's runService: main.ts runs it, tests run it in-process.
import { MongoCounters, MongoOutboxRelay, serviceConfigSchema, type RunServiceOptions } from '@voltq/kit';
import { DEFAULT_TARIFF } from '@voltq/tariff';
import { registerBillingHandlers } from './handlers.js';
import { billModel } from './model.js';
import { BillRepository } from './repository.js';

export const configSchema = serviceConfigSchema('billing');

export const billingService = {
  name: 'billing',
  configSchema,
  async start({ bus, redis, clock, mongo, config, log, onShutdown }) {
    const Bill = billModel(mongo!);
    await Bill.init(); // the unique sessionId index must exist before the first bill
    const relay = new MongoOutboxRelay({ model: Bill, bus, log });
    await registerBillingHandlers({
      bus,
      redis,
      clock,
      repo: new BillRepository(Bill),
      relay,
      counters: new MongoCounters(mongo!, 'bill_counters'),
      ns: config.voltqNs,
      log,
      tariffFor: () => DEFAULT_TARIFF, // a tariffs collection per station comes later
    });
    relay.start();
    onShutdown(() => relay.stop());
  },
} satisfies RunServiceOptions<typeof configSchema>;
