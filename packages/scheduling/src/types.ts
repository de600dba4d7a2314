// The station as plain JSON data, the commands it accepts and the events it emits.
// Everything here survives JSON.stringify/parse unchanged: no classes, no Maps, no optional fields in the
// state (absent values are `null`), only integers for time (epoch ms), power (W), energy (Wms) and money (fen).
import type { StationSettingAlias } from '@voltq/contracts';
import type { TariffSpec } from '@voltq/tariff';

export type Mode = 'fast' | 'slow';
export type FaultPolicy = 'priority' | 'time-order';
export type DispatchMode = 'default' | 'single-min-total' | 'batch-min-total';
/** Whether a pile works. The contracts' pile states say more (idle / charging); services/scheduler/src/mapping.ts
 * maps between the two. */
export type PileState = 'working' | 'fault' | 'off';

export interface StationConfig {
  stationId: string;
  fastPiles: number;
  slowPiles: number;
  /** Power of each fast pile in W (whole watts: completion instants and energies are exact integers). */
  fastPowerW: number;
  /** Power of each slow pile in W. */
  slowPowerW: number;
  /** N: capacity of the waiting area. */
  waitingAreaSize: number;
  /** M: places in each pile's queue, the head place charging. */
  pileQueueLength: number;
  faultPolicy: FaultPolicy;
  dispatchMode: DispatchMode;
  /** IANA zone of the station: the day that numbers reset on, and the tariff's wall clock. */
  timeZone: string;
  /** The station's tariff, always concrete in the state (the default tariff when none was given). */
  tariff: TariffSpec;
}

/** What `configure` and `createStation` accept: any subset, plus DESIGN.md's legacy setting names (their table:
 * STATION_SETTING_ALIASES in @voltq/contracts). */
export type StationConfigInput = StationSettingsInput & { [A in StationSettingAlias]?: number };

interface StationSettingsInput {
  stationId?: string;
  fastPiles?: number;
  slowPiles?: number;
  fastPowerW?: number;
  slowPowerW?: number;
  waitingAreaSize?: number;
  pileQueueLength?: number;
  faultPolicy?: FaultPolicy;
  dispatchMode?: DispatchMode;
  timeZone?: string;
  tariff?: TariffSpec | null;
}

/** The running session of the car at the head of a working pile. */
export interface Session {
  /** `${orderId}#${n}`: the n-th session of that order, so consumers can deduplicate by it. */
  sessionId: string;
  pileNo: string;
  powerW: number;
  startedAt: number;
  /** Energy this session delivers if it runs to the end: what the order still lacked when it started. */
  targetWms: number;
  /** startedAt + ceil(targetWms / powerW). */
  endsAt: number;
  /**
   * True while a device-driven pile was told to start and has not reported that it started: no energy accrues,
   * no completion is due, nothing is billed. startedAt is then when the start was asked and endsAt is provisional;
   * the pile's confirmation sets both from the instant it reports (`sessionConfirmed`).
   */
  starting: boolean;
}

/** One active request (order) and its car. It sits in exactly one place: waiting area, a pile queue, fault queue. */
export interface CarEntry {
  orderId: string;
  userId: string;
  carId: string;
  mode: Mode;
  /** 'F3', 'T1' …: per mode, per station-local day. */
  queueNo: string;
  /** Global issue sequence of the queue number: the order of waiting cars ("by number"). */
  seq: number;
  requestedWms: number;
  /** Delivered by sessions that already ended (a car re-queued after a fault lacks requestedWms - deliveredWms). */
  deliveredWms: number;
  /** Fee of sessions that already ended. */
  feeFen: number;
  /** Duration of sessions that already ended. */
  chargedMs: number;
  /** Sessions started so far for this order. */
  sessionCount: number;
  createdAt: number;
  /** When the car entered its current place. */
  placedAt: number;
  session: Session | null;
}

export interface PileTotals {
  sessions: number;
  durationMs: number;
  energyWms: number;
  feeFen: number;
}

export interface Pile {
  /** 'F1', 'F2' … 'T1' …; fast piles first, each mode in number order. */
  pileNo: string;
  mode: Mode;
  powerW: number;
  state: PileState;
  /** Head first; the head of a working pile always has a running session. A pile that is down holds no cars. */
  queue: CarEntry[];
  /** Ended sessions since the station was created. */
  totals: PileTotals;
  /** A device drives this pile: its sessions start only from the pile's report (see Session.starting). */
  driven: boolean;
  /** Why the pile is down when the station knows more than "fault" (a start the pile did not confirm), else null. */
  faultReason: string | null;
}

export interface StationState {
  /** +1 on every accepted change: the service's fencing token. */
  version: number;
  config: StationConfig;
  /** Every completion due up to this instant has been processed. */
  nowMs: number;
  numbering: {
    /** Station-local date ('YYYY-MM-DD') the counters belong to. */
    day: string;
    /** First instant of the next local day: the counters reset at or after it. */
    dayEndsAt: number;
    nextFast: number;
    nextSlow: number;
  };
  nextSeq: number;
  piles: Pile[];
  /** In number order (issue sequence); a car that changes mode moves to the tail with its new number. */
  waiting: CarEntry[];
  /** One list for both modes, in insertion order (rule 5). */
  faultQueue: CarEntry[];
}

// ---- commands ------------------------------------------------------------------------------------------------

export type StationCommand =
  | { type: 'configure'; config: StationConfigInput }
  | { type: 'submit'; orderId: string; userId: string; carId: string; mode: Mode; energyWms: number }
  | { type: 'modify'; orderId: string; mode?: Mode | null; energyWms?: number | null }
  | { type: 'cancel'; orderId: string }
  | { type: 'pileFault'; pileNo: string }
  | { type: 'pileRecover'; pileNo: string }
  | { type: 'pileOff'; pileNo: string }
  | { type: 'pileOn'; pileNo: string }
  /** From now on the pile is driven by a device (its first login): its sessions start when it confirms. */
  | { type: 'pileDriven'; pileNo: string }
  /** The pile reports that the head car's starting session started, at `startedAt` (clock ms). */
  | { type: 'sessionConfirmed'; pileNo: string; sessionId: string; startedAt: number }
  /** The pile refused the start, or it could not be reached in time: the pile goes to fault (rule 5), no bill. */
  | { type: 'sessionStartFailed'; pileNo: string; sessionId: string; reason: string }
  | { type: 'advance' };

export type StationErrorCode =
  | 'BAD_COMMAND'
  | 'BAD_TIME'
  | 'TIME_BEFORE_STATE'
  | 'BAD_CONFIG'
  | 'STATION_NOT_EMPTY'
  | 'BAD_ENERGY'
  | 'BAD_MODE'
  | 'NO_PILE_FOR_MODE'
  | 'WAITING_AREA_FULL'
  | 'CAR_HAS_ACTIVE_REQUEST'
  | 'ORDER_EXISTS'
  | 'ORDER_NOT_FOUND'
  | 'NOT_IN_WAITING_AREA'
  | 'UNKNOWN_PILE'
  | 'PILE_NOT_WORKING'
  | 'PILE_ALREADY_WORKING'
  | 'SESSION_NOT_STARTING'
  | 'NOT_SUPPORTED_IN_DISPATCH_MODE';

export interface StationError {
  code: StationErrorCode;
  message: string;
}

/** A refusal hands back the very state it was given (same object, same version): nothing changed. */
export type CommandResult =
  | { ok: true; state: StationState; events: StationEvent[] }
  | { ok: false; state: StationState; error: StationError };

// ---- events --------------------------------------------------------------------------------------------------

/** Who an event is about. */
export interface CarRef {
  orderId: string;
  userId: string;
  carId: string;
  queueNo: string;
  mode: Mode;
}

export type SessionEndReason = 'completed' | 'cancelled' | 'fault' | 'off';
export type Place = 'waiting' | 'pile' | 'faultQueue';

export interface ConfiguredEvent {
  type: 'configured';
  at: number;
  config: StationConfig;
}
/** A request entered the waiting area with a new number. */
export interface QueuedEvent extends CarRef {
  type: 'queued';
  at: number;
  energyWms: number;
}
/** A waiting request was changed; a mode change gives a new number (previousQueueNo keeps the old one). */
export interface ModifiedEvent extends CarRef {
  type: 'modified';
  at: number;
  energyWms: number;
  previousMode: Mode;
  previousQueueNo: string;
  previousEnergyWms: number;
}
/** A car was put into a pile queue (called from the waiting area or fault queue, or moved by a re-dispatch). */
export interface DispatchedEvent extends CarRef {
  type: 'dispatched';
  at: number;
  pileNo: string;
  /** 1 = head (charging). */
  position: number;
  from: Place;
  /** The pile it left when `from` is 'pile'. */
  fromPileNo: string | null;
  /** Energy it still lacks. */
  remainingWms: number;
}
/** A car left a pile for the fault queue, keeping its number (rule 5). */
export interface RequeuedEvent extends CarRef {
  type: 'requeued';
  at: number;
  fromPileNo: string;
  remainingWms: number;
  /** 'redispatch': moved off a working pile by a time-order or recovery re-dispatch that found it no place. */
  cause: 'fault' | 'off' | 'redispatch' | 'start-failed';
}
export interface SessionStartedEvent extends CarRef {
  type: 'sessionStarted';
  at: number;
  sessionId: string;
  pileNo: string;
  startedAt: number;
  powerW: number;
  targetWms: number;
  expectedEndAt: number;
}
/** A device-driven pile was told to start the head car's session; it starts when the pile confirms. */
export interface SessionStartingEvent extends CarRef {
  type: 'sessionStarting';
  at: number;
  sessionId: string;
  pileNo: string;
  powerW: number;
  targetWms: number;
}
/** A session that never started (the pile did not confirm it) was dropped: no energy, no bill. */
export interface SessionStartAbortedEvent extends CarRef {
  type: 'sessionStartAborted';
  at: number;
  sessionId: string;
  pileNo: string;
  reason: 'cancelled' | 'fault' | 'off' | 'failed';
  /** the pile's or the scheduler's words for a failed start */
  detail: string | null;
}
/** Every started session ends exactly once with this event; it is what a bill is made from. */
export interface SessionEndedEvent extends CarRef {
  type: 'sessionEnded';
  at: number;
  sessionId: string;
  pileNo: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  powerW: number;
  energyWms: number;
  reason: SessionEndReason;
  /** The station tariff's fee for the delivered energy (the billing service may recompute it). */
  energyFeeFen: number;
  serviceFeeFen: number;
  feeFen: number;
  /** What the order still lacks after this session. */
  remainingWms: number;
}
export interface OrderFinishedEvent extends CarRef {
  type: 'orderFinished';
  at: number;
  reason: 'completed' | 'cancelled';
  /** Where the car was when it finished. */
  place: Place;
  requestedWms: number;
  deliveredWms: number;
  feeFen: number;
}
export interface PileStateChangedEvent {
  type: 'pileStateChanged';
  at: number;
  pileNo: string;
  mode: Mode;
  state: PileState;
  previousState: PileState;
  cause: 'fault' | 'recover' | 'off' | 'on';
  /** why, when known (a failed start) */
  reason: string | null;
}
export interface PileDrivenEvent {
  type: 'pileDriven';
  at: number;
  pileNo: string;
}

export type StationEvent =
  | ConfiguredEvent
  | QueuedEvent
  | ModifiedEvent
  | DispatchedEvent
  | RequeuedEvent
  | SessionStartingEvent
  | SessionStartedEvent
  | SessionStartAbortedEvent
  | SessionEndedEvent
  | OrderFinishedEvent
  | PileStateChangedEvent
  | PileDrivenEvent;
