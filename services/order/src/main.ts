// order service: the charging order aggregate (MongoDB `orders`), its RPC and the events that move it.
import { runService } from '@voltq/kit';
import { orderService } from './service.js';

await runService(orderService);
