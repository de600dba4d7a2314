// device.command on an OCPP 1.6J charge point: the CALL that carries each DeviceControl (a start asks the
// transaction service for the idTag that later joins its StartTransaction to the session; a stop for the session's
// transactionId), and how the charge point's CALLRESULT reads as the command's answer.
import type { DeviceControl } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { OcppChargePoint, OcppTransactions } from './domain/ocpp.js';

/** TriggerMessage's requestedMessage values in OCPP 1.6 */
const TRIGGERABLE = ['BootNotification', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'Heartbeat', 'MeterValues', 'StatusNotification'];

export type OcppCommand =
  | { kind: 'call'; method: string; params: Record<string, unknown> }
  /** answered without asking the charge point (e.g. a stop for a session that has no transaction yet) */
  | { kind: 'answer'; accepted: boolean; data: Record<string, unknown> };

export async function ocppCommand(control: DeviceControl, cp: OcppChargePoint, tx: Pick<OcppTransactions, 'issueIdTag' | 'transactionOf'>): Promise<OcppCommand> {
  const call = (method: string, params: Record<string, unknown>): OcppCommand => ({ kind: 'call', method, params });
  switch (control.command) {
    case 'start': {
      const idTag = await tx.issueIdTag(cp, { connectorId: control.portNo, sessionId: control.sessionId, ...(control.orderId ? { orderId: control.orderId } : {}) });
      return call('RemoteStartTransaction', { connectorId: control.portNo, idTag });
    }
    case 'stop': {
      const transactionId = await tx.transactionOf(cp, control.sessionId);
      // the charger has not started that session (no StartTransaction yet): nothing it could stop
      if (transactionId === undefined) return { kind: 'answer', accepted: false, data: { status: 'Rejected', reason: 'no transaction for this session' } };
      return call('RemoteStopTransaction', { transactionId });
    }
    case 'reset':
      return call('Reset', { type: control.type });
    case 'unlock':
      return call('UnlockConnector', { connectorId: control.connectorId });
    case 'availability':
      return call('ChangeAvailability', { connectorId: control.connectorId, type: control.type });
    case 'get-configuration':
      return call('GetConfiguration', control.keys ? { key: control.keys } : {});
    case 'change-configuration':
      return call('ChangeConfiguration', { key: control.key, value: control.value });
    case 'trigger':
      if (!TRIGGERABLE.includes(control.message)) {
        throw new DomainError('VALIDATION', `trigger message must be one of ${TRIGGERABLE.join(', ')} (OCPP 1.6 TriggerMessage)`);
      }
      return call('TriggerMessage', { requestedMessage: control.message, ...(control.connectorId !== undefined ? { connectorId: control.connectorId } : {}) });
    case 'config':
      // document 004's configuration bytes have no OCPP message of their own: VoltQ's DataTransfer
      return call('DataTransfer', { vendorId: 'VoltQ', messageId: 'config', data: Buffer.from(control.config).toString('base64') });
  }
}

/** Whether the charge point's answer accepts the command: its `status` says so; GetConfiguration has none. */
export function acceptedBy(method: string, reply: unknown): boolean {
  if (method === 'GetConfiguration') return true;
  const status = (reply as { status?: unknown } | null)?.status;
  // ChangeConfiguration RebootRequired and UnlockConnector Unlocked are acceptances; Scheduled (availability
  // after the transaction) as well
  return status === 'Accepted' || status === 'Unlocked' || status === 'RebootRequired' || status === 'Scheduled';
}
