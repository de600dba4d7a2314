// OCPP 1.6J transactions, the rules: pure. The natural keys that make StartTransaction / MeterValues /
// StopTransaction idempotent (DESIGN "Devices"), MeterValues parsing (energy from Energy.Active.Import.Register in
// Wh or kWh, live figures from power / voltage / current / temperature), exact Wh -> Wms, the OCPP stop reasons
// in the platform's words, the deterministic event ids (consumers dedupe by envelope id, so a re-published event
// after a crash is the same event), and the stop decision. The store is store/ocpp-transactions.ts's.
import { createHash } from 'node:crypto';
import { WMS_PER_KWH, WMS_PER_WH, type DeviceStopReason } from '@voltq/contracts';

export const ENERGY_MEASURAND = 'Energy.Active.Import.Register';

// ---------------------------------------------------------------- keys

export interface StartKeyParts {
  deviceId: string;
  connectorId: number;
  idTag: string;
  /** the device's timestamp, as an instant (two spellings of one instant are one start) */
  timestampMs: number;
  /** Wh, as the charge point sent it */
  meterStart: number;
}

/** StartTransaction's natural key (DESIGN: chargePointId, connectorId, idTag, timestamp, meterStart). */
export function startKey(p: StartKeyParts): string {
  return JSON.stringify([p.deviceId, p.connectorId, p.idTag, p.timestampMs, p.meterStart]);
}

/** What a sample belongs to: its transaction, else its connector (samples outside a transaction). */
export function sampleOwner(transactionId: number | undefined, connectorId: number): string {
  return transactionId !== undefined ? `tx:${transactionId}` : `connector:${connectorId}`;
}

/** MeterValues' natural key per sampled value (DESIGN: transactionId or connector, timestamp, measurand, phase). */
export function sampleKey(deviceId: string, owner: string, timestampMs: number, measurand: string, phase: string): string {
  return JSON.stringify([deviceId, owner, timestampMs, measurand, phase]);
}

/**
 * Envelope ids derived from the natural key of what they announce: a re-publish (the crash-recovery sweep, a
 * repeated message) carries the same id, which consumers dedupe. Short (a hash), within contracts' Id.
 */
export function eventId(kind: 'start' | 'start-meter' | 'meter' | 'stop', ...key: (string | number)[]): string {
  return `ocpp-${kind}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 40)}`;
}

/** The session id of a card transaction: from the transaction, so a repeated start names the same session. */
export function cardSessionId(deviceId: string, transactionId: number): string {
  return `card-ocpp-${deviceId}-${transactionId}`;
}

// ---------------------------------------------------------------- energy

/**
 * A decimal string in `unit` ('Wh' or 'kWh') as exact Wms: the digits are scaled as integers (no float), and a
 * remainder below one Wms (more than 6 decimals of Wh, 9 of kWh) is rounded half up. undefined: not a
 * non-negative decimal, or beyond a safe integer.
 */
export function energyToWms(value: string, unit: 'Wh' | 'kWh'): number | undefined {
  const m = /^\+?(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) return undefined;
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const perUnit = BigInt(unit === 'kWh' ? WMS_PER_KWH : WMS_PER_WH);
  const scale = 10n ** BigInt(frac.length);
  const scaled = (BigInt(intPart) * scale + BigInt(frac || '0')) * perUnit;
  const wms = (scaled * 2n + scale) / (scale * 2n); // round half up
  return wms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wms) : undefined;
}

/** StartTransaction.meterStart / StopTransaction.meterStop: integer Wh (OCPP 1.6). */
export function whToWms(wh: number): number {
  if (!Number.isSafeInteger(wh) || wh < 0) throw new RangeError(`meter value ${wh} Wh is not a non-negative integer`);
  const wms = wh * WMS_PER_WH;
  if (!Number.isSafeInteger(wms)) throw new RangeError(`meter value ${wh} Wh is too large`);
  return wms;
}

// ---------------------------------------------------------------- MeterValues

/** One sampledValue, as stored (natural key: owner, timestampMs, measurand, phase). */
export interface ParsedSample {
  timestampMs: number;
  measurand: string;
  /** '' when the charge point named none */
  phase: string;
  context: string;
  unit: string;
  value: string;
  /** Energy.Active.Import.Register in Wh/kWh only */
  energyWms?: number;
}

/** One meterValue's figures for a device.meter: its register and the live figures beside it. */
export interface Reading {
  timestampMs: number;
  energyWms: number;
  powerW?: number;
  voltageV?: number;
  currentA?: number;
  temperatureC?: number;
}

export interface ParsedMeterValues {
  samples: ParsedSample[];
  /** per meterValue timestamp with an energy register, oldest first */
  readings: Reading[];
  /** what was skipped and why (logged; a charge point's oddities must not fail the message) */
  skipped: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A device timestamp (ISO 8601) as epoch ms; undefined when it is not one. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function decimal(value: string): number | undefined {
  if (!/^[+-]?\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value);
}

/**
 * MeterValues.meterValue (also StopTransaction.transactionData): every sampledValue kept as a sample (measurand
 * default Energy.Active.Import.Register, unit default Wh for energy, context default Sample.Periodic), and per
 * timestamp a reading when it has a register. The register is the value without a phase (the total); a charge
 * point that sends only L1/L2/L3 registers gets their sum. Live figures: Power.Active.Import (W/kW, total or sum of
 * phases), Voltage (total or L1-N / L1), Current.Import (total, else the largest phase), Temperature (Celsius, K).
 */
export function parseMeterValues(meterValue: unknown[]): ParsedMeterValues {
  const samples: ParsedSample[] = [];
  const skipped: string[] = [];
  const byTime = new Map<number, ParsedSample[]>();
  for (const mv of meterValue) {
    const m = mv as { timestamp?: unknown; sampledValue?: unknown };
    const timestampMs = parseTimestamp(m?.timestamp);
    if (timestampMs === undefined || !Array.isArray(m.sampledValue)) {
      skipped.push(`meterValue without a valid timestamp or sampledValue`);
      continue;
    }
    for (const sv of m.sampledValue as unknown[]) {
      const s = sv as Record<string, unknown>;
      const value = str(s?.value);
      if (value === undefined) {
        skipped.push('sampledValue without a value');
        continue;
      }
      if (str(s.format) === 'SignedData') {
        skipped.push('signed sampledValue: not read');
        continue;
      }
      const measurand = str(s.measurand) ?? ENERGY_MEASURAND;
      const isEnergy = measurand === ENERGY_MEASURAND;
      const sample: ParsedSample = {
        timestampMs,
        measurand,
        phase: str(s.phase) ?? '',
        context: str(s.context) ?? 'Sample.Periodic',
        unit: str(s.unit) ?? (isEnergy ? 'Wh' : ''),
        value,
      };
      if (isEnergy) {
        if (sample.unit === 'Wh' || sample.unit === 'kWh') {
          const wms = energyToWms(value, sample.unit);
          if (wms === undefined) skipped.push(`energy value ${JSON.stringify(value)} is not a non-negative number`);
          else sample.energyWms = wms;
        } else skipped.push(`energy register in unit ${sample.unit}: not read`);
      }
      // the same (timestamp, measurand, phase) twice in one message: the first counts (the key is unique)
      const list = byTime.get(timestampMs) ?? [];
      if (list.some((o) => o.measurand === sample.measurand && o.phase === sample.phase)) continue;
      list.push(sample);
      byTime.set(timestampMs, list);
      samples.push(sample);
    }
  }
  const readings: Reading[] = [];
  for (const [timestampMs, list] of [...byTime.entries()].sort((a, b) => a[0] - b[0])) {
    const energyWms = registerOf(list);
    if (energyWms === undefined) continue;
    const reading: Reading = { timestampMs, energyWms };
    const powerW = powerOf(list);
    if (powerW !== undefined) reading.powerW = powerW;
    const voltageV = pick(list, 'Voltage', ['', 'L1-N', 'L1'], (s) => (s.unit === '' || s.unit === 'V' ? decimal(s.value) : undefined));
    if (voltageV !== undefined && voltageV >= 0) reading.voltageV = voltageV;
    const currentA = currentOf(list);
    if (currentA !== undefined) reading.currentA = currentA;
    const temperatureC = pick(list, 'Temperature', null, celsius);
    if (temperatureC !== undefined) reading.temperatureC = temperatureC;
    readings.push(reading);
  }
  return { samples, readings, skipped };
}

function registerOf(list: ParsedSample[]): number | undefined {
  const energy = list.filter((s) => s.measurand === ENERGY_MEASURAND && s.energyWms !== undefined);
  const total = energy.find((s) => s.phase === '');
  if (total) return total.energyWms;
  const phases = ['L1', 'L2', 'L3'].map((p) => energy.find((s) => s.phase === p));
  return phases.every((s) => s) ? phases.reduce((sum, s) => sum + s!.energyWms!, 0) : undefined;
}

function powerOf(list: ParsedSample[]): number | undefined {
  const watts = (s: ParsedSample) => {
    const v = decimal(s.value);
    if (v === undefined || v < 0) return undefined;
    return s.unit === 'kW' ? v * 1000 : s.unit === '' || s.unit === 'W' ? v : undefined;
  };
  const power = list.filter((s) => s.measurand === 'Power.Active.Import');
  const total = power.find((s) => s.phase === '');
  let w: number | undefined;
  if (total) w = watts(total);
  else if (power.length) {
    const each = power.map(watts);
    w = each.every((x) => x !== undefined) ? each.reduce<number>((sum, x) => sum + x!, 0) : undefined;
  }
  return w === undefined ? undefined : Math.round(w);
}

function currentOf(list: ParsedSample[]): number | undefined {
  const amps = list
    .filter((s) => s.measurand === 'Current.Import' && (s.unit === '' || s.unit === 'A'))
    .map((s) => ({ phase: s.phase, a: decimal(s.value) }))
    .filter((x): x is { phase: string; a: number } => x.a !== undefined && x.a >= 0);
  const total = amps.find((x) => x.phase === '');
  if (total) return total.a;
  return amps.length ? Math.max(...amps.map((x) => x.a)) : undefined;
}

function celsius(s: ParsedSample): number | undefined {
  const v = decimal(s.value);
  if (v === undefined) return undefined;
  if (s.unit === '' || s.unit === 'Celsius') return v;
  if (s.unit === 'K') return Math.round((v - 273.15) * 100) / 100;
  if (s.unit === 'Fahrenheit') return Math.round(((v - 32) * 5 / 9) * 100) / 100;
  return undefined;
}

/** The value of the first sample of `measurand` whose phase is in `phases` (in that order; null: any). */
function pick(list: ParsedSample[], measurand: string, phases: string[] | null, read: (s: ParsedSample) => number | undefined): number | undefined {
  const of = list.filter((s) => s.measurand === measurand);
  const ordered = phases ? phases.map((p) => of.find((s) => s.phase === p)).filter((s): s is ParsedSample => !!s) : of;
  for (const s of ordered) {
    const v = read(s);
    if (v !== undefined) return v;
  }
  return undefined;
}

// ---------------------------------------------------------------- stops

/**
 * OCPP 1.6 StopTransaction.reason in the platform's words. Absent means Local (the spec: the field may be omitted
 * only when the reason is Local). UnlockCommand is the platform's own unlock: remote. EmergencyStop, PowerLoss,
 * the resets, DeAuthorized and Other end the session abnormally but are not a reported pile fault (a fault comes as
 * StatusNotification Faulted, which runs the fault rules): other.
 */
export function stopReasonOf(reason: string | undefined): DeviceStopReason {
  switch (reason ?? 'Local') {
    case 'Local': return 'local';
    case 'Remote':
    case 'UnlockCommand': return 'remote';
    case 'EVDisconnected': return 'unplugged';
    default: return 'other';
  }
}

export type TxStatus = 'Accepted' | 'Invalid';

/** What a stored transaction holds of its stop (the first one wins). */
export interface StoredStop {
  /** Wh as the charge point sent it (the sweep: the last reading's, rounded down) */
  meterStop: number;
  meterStopWms: number;
  timestampMs: number;
  reason: DeviceStopReason;
  /** the charge point's StopTransaction, or the stale-session sweep */
  by: 'charge-point' | 'sweep';
}

export type StopDecision =
  | { kind: 'unknown' }
  /** this message is the transaction's stop */
  | { kind: 'first' }
  /** the transaction was stopped before: the same answer again (a late charge-point stop after the sweep is kept aside) */
  | { kind: 'repeat'; keepAside: boolean };

export function stopDecision(tx: { stop?: StoredStop } | null, incoming: { meterStop: number; timestampMs: number }): StopDecision {
  if (!tx) return { kind: 'unknown' };
  if (!tx.stop) return { kind: 'first' };
  const same = tx.stop.meterStop === incoming.meterStop && tx.stop.timestampMs === incoming.timestampMs;
  return { kind: 'repeat', keepAside: tx.stop.by === 'sweep' || !same };
}

/** The StopTransaction answer: idTagInfo only when the charge point named an idTag, with the start's status. */
export function stopAnswer(tx: { status: TxStatus } | null, idTag: string | undefined): { idTagInfo?: { status: TxStatus } } {
  return idTag !== undefined && tx ? { idTagInfo: { status: tx.status } } : {};
}

/** A transaction silent for `staleMs` since its last message (clock ms), not stopped: closed by the sweep. */
export function isStale(tx: { lastMessageAt: number; stop?: StoredStop }, nowMs: number, staleMs: number): boolean {
  return !tx.stop && nowMs - tx.lastMessageAt >= staleMs;
}

/** An issued idTag: OCPP's CiString20, unlike any card by its prefix (a card's id is what its RFID says). */
export function issuedIdTag(random: Buffer): string {
  return `VQ${random.toString('hex').toUpperCase()}`.slice(0, 20);
}
