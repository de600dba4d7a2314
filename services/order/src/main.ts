// order service: the charging order aggregate (MongoDB `orders`), its RPC and the events that move it. `node
// src/main.ts` runs it; a test imports `orderService` and runs it in-process with its own env.
import { runIfMain, type RunServiceOptions } from '@voltq/kit';
import { configSchema } from './config.js';
import { registerHandlers } from './handlers.js';
import { orderModel } from './store/model.js';
import { OrderRepository } from './store/repository.js';

export const orderService = {
  name: 'order',
  configSchema,
  async start({ bus, redis, clock, mongo, config, log }) {
    const Order = orderModel(mongo!);
    await Order.init(); // the unique orderId index exists before any write
    await registerHandlers({ bus, redis, clock, repo: new OrderRepository(Order), ns: config.voltqNs, log });
  },
} satisfies RunServiceOptions<typeof configSchema>;

await runIfMain(import.meta.url, orderService);
