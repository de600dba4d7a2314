// The scheduler process: configuration and wiring live in service.ts.
import { runService } from '@voltq/kit';
import { configSchema, startScheduler } from './service.js';

await runService({ name: 'scheduler', configSchema, start: startScheduler });
