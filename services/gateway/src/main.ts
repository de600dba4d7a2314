// gateway: /api (document 004 + platform additions) with OpenAPI at /docs; verifies JWTs, calls services by RPC.
import { runService } from '@voltq/kit';
import { gatewayService } from './service.js';

await runService(gatewayService);
