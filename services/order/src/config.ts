// The order service's configuration: the kit's base variables only.
import type { Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('order');
export type OrderConfig = Static<typeof configSchema>;
