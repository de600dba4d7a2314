// The operator commands of DESIGN.md "Devices" (`POST /api/admin/devices/{deviceId}/commands`), pure: one closed
// body -> the contracts' DeviceControl, each command with exactly its own fields (any other is VALIDATION).
import type { DeviceControl } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

export const OPERATOR_COMMANDS = ['reset', 'unlock', 'availability', 'get-configuration', 'change-configuration', 'trigger'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export interface OperatorCommandBody {
  command: OperatorCommand;
  type?: string;
  connectorId?: number;
  keys?: string[];
  key?: string;
  value?: string;
  message?: string;
}

/** The fields each command takes: required first, then optional. */
const FIELDS: Record<OperatorCommand, { required: (keyof OperatorCommandBody)[]; optional: (keyof OperatorCommandBody)[] }> = {
  reset: { required: ['type'], optional: [] },
  unlock: { required: ['connectorId'], optional: [] },
  availability: { required: ['connectorId', 'type'], optional: [] },
  'get-configuration': { required: [], optional: ['keys'] },
  'change-configuration': { required: ['key', 'value'], optional: [] },
  trigger: { required: ['message'], optional: ['connectorId'] },
};

export function operatorControl(body: OperatorCommandBody): DeviceControl {
  const { command } = body;
  const fields = FIELDS[command];
  const given = (Object.keys(body) as (keyof OperatorCommandBody)[]).filter((k) => k !== 'command' && body[k] !== undefined);
  const foreign = given.filter((k) => !fields.required.includes(k) && !fields.optional.includes(k));
  if (foreign.length > 0) throw new DomainError('VALIDATION', `${command} takes no ${foreign.join(', ')}`);
  const missing = fields.required.filter((k) => body[k] === undefined);
  if (missing.length > 0) throw new DomainError('VALIDATION', `${command} needs ${missing.join(', ')}`);
  const oneOf = <T extends string>(value: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new DomainError('VALIDATION', `${command}: type must be one of ${allowed.join(', ')}`);
    return value as T;
  };
  const connector = (min: number) => {
    const n = body.connectorId!;
    if (n < min) throw new DomainError('VALIDATION', `${command}: connectorId must be at least ${min}`);
    return n;
  };
  switch (command) {
    case 'reset':
      return { command, type: oneOf(body.type!, ['Soft', 'Hard'] as const) };
    case 'unlock':
      return { command, connectorId: connector(1) };
    case 'availability':
      // connector 0 is the whole pile
      return { command, connectorId: connector(0), type: oneOf(body.type!, ['Operative', 'Inoperative'] as const) };
    case 'get-configuration':
      return { command, ...(body.keys !== undefined ? { keys: body.keys } : {}) };
    case 'change-configuration':
      return { command, key: body.key!, value: body.value! };
    case 'trigger':
      return { command, message: body.message!, ...(body.connectorId !== undefined ? { connectorId: connector(1) } : {}) };
  }
}
