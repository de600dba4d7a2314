// auth: users, admins, cars and credentials; issues the JWTs the gateway verifies.
import { runService } from '@voltq/kit';
import { authConfigSchema } from './config.js';
import { startAuth } from './service.js';

await runService({ name: 'auth', configSchema: authConfigSchema, uses: { amqp: true, redis: true, mongo: true }, start: startAuth() });
