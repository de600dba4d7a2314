// The billing service's configuration: the kit's base variables only.
import type { Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('billing');
export type BillingConfig = Static<typeof configSchema>;
