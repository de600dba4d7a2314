// The order service's definition for kit's runService: main.ts runs it, tests run it in-process.
import { MongoCounters, serviceConfigSchema, type RunServiceOptions } from '@voltq/kit';
import { registerOrderHandlers } from './handlers.js';
import { orderModel } from './model.js';
import { OrderRepository } from './repository.js';

export const configSchema = serviceConfigSchema('order');

export const orderService = {
  name: 'order',
  configSchema,
  async start({ bus, redis, clock, mongo, config, log }) {
    const Order = orderModel(mongo!);
    await Order.init(); // the unique orderId index exists before any write
    await registerOrderHandlers({
      bus, redis, clock, repo: new OrderRepository(Order), ns: config.voltqNs, log,
      orderNos: { counters: new MongoCounters(mongo!, 'order_counters'), orders: Order },
    });
  },
} satisfies RunServiceOptions<typeof configSchema>;
