// OCPP 1.6J rules of the door, pure: connector status words, the jittered Boot interval, when a pile's fault begins
// and ends, and the interface of the transaction service the door hands Authorize/Start/Meter/Stop to (OCPP.md:
// implemented by src/ocpp-transactions.ts; structural, so this file does not import it).
import type { PileState, PortState } from '@voltq/pile-sim/protocol';

/** The charge point as the transaction service sees it. */
export interface OcppChargePoint {
  deviceId: string;
  pileId: string;
  stationId: string;
  pileNo: string;
  ports: number;
}

export type IdTagStatus = 'Accepted' | 'Invalid';

export interface OcppTransactions {
  authorize(cp: OcppChargePoint, idTag: string): Promise<{ idTagInfo: { status: IdTagStatus } }>;
  startTransaction(
    cp: OcppChargePoint,
    req: { connectorId: number; idTag: string; meterStart: number; timestamp: string; reservationId?: number },
  ): Promise<{ transactionId: number; idTagInfo: { status: IdTagStatus } }>;
  meterValues(cp: OcppChargePoint, req: { connectorId: number; transactionId?: number; meterValue: unknown[] }): Promise<Record<string, never>>;
  stopTransaction(
    cp: OcppChargePoint,
    req: { transactionId: number; meterStop: number; timestamp: string; idTag?: string; reason?: string; transactionData?: unknown[] },
  ): Promise<{ idTagInfo?: { status: IdTagStatus } }>;
  issueIdTag(cp: OcppChargePoint, start: { connectorId: number; sessionId: string; orderId?: string }): Promise<string>;
  transactionOf(cp: OcppChargePoint, sessionId: string): Promise<number | undefined>;
}

/** OCPP 1.6 ChargePointStatus */
export type ChargePointStatus =
  | 'Available' | 'Preparing' | 'Charging' | 'SuspendedEVSE' | 'SuspendedEV' | 'Finishing' | 'Reserved' | 'Unavailable' | 'Faulted';

/**
 * A connector's status in the bridge's words (the telemetry the JSON doors write): a port state for connectors
 * 1..n, a pile state for connector 0 (which OCPP reports only as Available, Unavailable or Faulted). A Faulted
 * connector keeps its last pile state: the fault itself is the pile's `faulted` flag.
 */
export function portStateOf(status: ChargePointStatus): PortState {
  switch (status) {
    case 'Available':
    case 'Reserved': // held for someone, not busy: 004 shows it idle
      return 'idle';
    case 'Preparing':
      return 'preparing';
    case 'Finishing':
      return 'finishing';
    case 'Charging':
      return 'charging';
    case 'SuspendedEV':
    case 'SuspendedEVSE':
      return 'suspended';
    case 'Faulted':
      return 'faulted';
    case 'Unavailable':
      return 'unavailable';
  }
}

export function pileStateOf(status: ChargePointStatus): PileState | undefined {
  switch (status) {
    case 'Unavailable':
      return 'unavailable';
    case 'Faulted':
      return undefined;
    case 'Charging':
      return 'charging';
    case 'SuspendedEV':
    case 'SuspendedEVSE':
      return 'suspended';
    default:
      return 'idle';
  }
}

/**
 * What a StatusNotification does to the pile's fault: any Faulted connector (0 = the whole pile) makes the pile
 * faulted (rule 5 on a queue station); it recovers when no connector is Faulted any more. `faulted` is the set
 * of faulted connectors before this notification; the answer is the set after it and the change to announce.
 */
export function faultChange(
  faulted: ReadonlySet<number>,
  connectorId: number,
  status: ChargePointStatus,
): { faulted: Set<number>; change: 'fault' | 'recovered' | undefined } {
  const next = new Set(faulted);
  if (status === 'Faulted') next.add(connectorId);
  else next.delete(connectorId);
  const change = faulted.size === 0 && next.size > 0 ? 'fault' : faulted.size > 0 && next.size === 0 ? 'recovered' : undefined;
  return { faulted: next, change };
}

/**
 * The Boot `interval` (s): the heartbeat interval jittered by ±10% so that chargers reconnecting together do not
 * keep heartbeating in step. `random` in [0, 1).
 */
export function bootIntervalS(heartbeatIntervalMs: number, random: number): number {
  const factor = 0.9 + 0.2 * Math.min(Math.max(random, 0), 1);
  return Math.max(1, Math.round((heartbeatIntervalMs / 1000) * factor));
}
