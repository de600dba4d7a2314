// billing service: one bill (详单) per ended session, priced by time-of-use tariff; bill queries.
import { runService } from '@voltq/kit';
import { billingService } from './service.js';

await runService(billingService);
