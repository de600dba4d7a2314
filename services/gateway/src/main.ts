// gateway: /api (document 004 + platform additions) with OpenAPI at /docs; verifies JWTs, calls services by RPC.
import { runService } from '@voltq/kit';
import { gatewayConfigSchema } from './config.js';
import { startGateway } from './service.js';

await runService({ name: 'gateway', configSchema: gatewayConfigSchema, uses: { amqp: true, redis: true, mongo: false }, start: startGateway });
