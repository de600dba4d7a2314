// The one write path of a station inside a process: commands for a station run one at a time (a promise chain),
// each reads the state, applies the engine command at the clock instant and saves state + events atomically.
// Across replicas, routing (a single-active-consumer queue per station) keeps one writer; the fencing version
// catches anything that slips through (a takeover mid-command), and the command is then retried on fresh state.
import { randomUUID } from 'node:crypto';
import { deviceNames, type Envelope, type MessagePayload, type MessageType, type PileCommand, type StationCommand } from '@voltq/contracts';
import { DomainError, formatIso, type Logger } from '@voltq/kit';
import {
  applyCommand, createStation, type StationCommand as EngineCommand, type StationEvent, type StationState,
} from '@voltq/scheduling';
import { contractCarId, errorCodeFor, toContractEvents, type OutgoingEvent } from './domain/mapping.js';
import { pileCommand } from './domain/pile-commands.js';
import { StaleVersionError, type OutboxEntry, type StationRepository } from './store/station-repository.js';

export interface WriterDeps {
  repo: StationRepository;
  log: Logger;
  /** clock epoch ms now */
  now: () => number;
  /** a validated envelope stamped at `atMs` */
  envelope: <K extends MessageType>(type: K, payload: MessagePayload<K>, opts: { correlationId: string; atMs: number }) => Envelope<K>;
  /** device-bridge replica holding a pile, or null (a modelled pile nobody drives) */
  pileOwner?: (stationId: string, pileNo: string) => Promise<string | null>;
  /** the station's tariff, named on its session events (absent: billing's `default`) */
  tariffOf?: (stationId: string) => string | undefined;
  /** after every stored change (the clock driver re-arms its timer) */
  onWritten?: (stationId: string, state: StationState) => void;
  /** a stop for a device-driven pile that no replica holds right now (stored): to be held until it reconnects */
  onStopUnrouted?: (cmd: PileCommand) => void;
}

export interface ExecResult {
  state: StationState;
  changed: boolean;
  events: StationEvent[];
}

const MAX_ATTEMPTS = 5;

/** NOT_FOUND for a station, hinted as such: the gateway then answers 2001 (station) even on a pile's route. */
export function unknownStation(stationId: string): DomainError {
  return new DomainError('NOT_FOUND', `unknown station ${stationId}`, { resource: 'station' });
}

export class StationWriter {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: WriterDeps) {}

  /** Runs `command` on the station, serialised with every other command of that station in this process. */
  exec(stationId: string, command: StationCommand, opts: { atMs?: number; correlationId?: string } = {}): Promise<ExecResult> {
    const previous = this.chains.get(stationId) ?? Promise.resolve();
    const run = previous.then(
      () => this.execNow(stationId, command, opts),
      () => this.execNow(stationId, command, opts),
    );
    const tail = run.catch(() => undefined);
    this.chains.set(stationId, tail);
    void tail.then(() => {
      if (this.chains.get(stationId) === tail) this.chains.delete(stationId);
    });
    return run;
  }

  /** Creates the station at `atMs` unless it exists; returns the live state. */
  async ensure(stationId: string, config: Parameters<typeof createStation>[0], atMs: number): Promise<StationState> {
    const existing = await this.deps.repo.load(stationId);
    if (existing) return existing;
    const state = createStation({ ...config, stationId }, atMs);
    try {
      await this.deps.repo.save(stationId, 0, state, []);
      this.deps.onWritten?.(stationId, state);
      return state;
    } catch (err) {
      if (!(err instanceof StaleVersionError)) throw err;
      const now = await this.deps.repo.load(stationId); // another replica created it first
      if (!now) throw err;
      return now;
    }
  }

  private async execNow(
    stationId: string,
    command: StationCommand,
    opts: { atMs?: number; correlationId?: string },
  ): Promise<ExecResult> {
    const correlationId = opts.correlationId ?? randomUUID();
    for (let attempt = 1; ; attempt++) {
      const state = await this.deps.repo.load(stationId);
      if (state === null) throw unknownStation(stationId);
      // a station never goes back in time, except an explicit rebase (the clock was set back)
      const atMs = command.type === 'rebase' ? opts.atMs ?? this.deps.now() : Math.max(opts.atMs ?? this.deps.now(), state.nowMs);
      const next = this.compute(state, command, atMs);
      if (next === null) return { state, changed: false, events: [] };
      const unrouted: PileCommand[] = [];
      const outbox = await this.outbox(stationId, next.events, next.state, correlationId, unrouted);
      try {
        await this.deps.repo.save(stationId, state.version, next.state, outbox);
      } catch (err) {
        if (err instanceof StaleVersionError && attempt < MAX_ATTEMPTS) {
          this.deps.log.warn({ stationId, err: err.message }, 'station changed by another writer; retrying on fresh state');
          continue;
        }
        throw err;
      }
      this.deps.onWritten?.(stationId, next.state);
      for (const cmd of unrouted) this.deps.onStopUnrouted?.(cmd);
      return { state: next.state, changed: true, events: next.events };
    }
  }

  /** The new state and its events, null when nothing changes; throws the refusal as a DomainError. */
  private compute(state: StationState, command: StationCommand, atMs: number): { state: StationState; events: StationEvent[] } | null {
    if (command.type === 'rebase') return rebase(state, atMs);
    const result = applyCommand(state, command as EngineCommand, atMs);
    if (!result.ok) {
      // a retried submit (its answer was lost) finds its own order: answer it again instead of refusing
      if (command.type === 'submit' && result.error.code === 'ORDER_EXISTS') return null;
      throw new DomainError(errorCodeFor(result.error.code, command.type), refusalMessage(command, result.error), { reason: result.error.code });
    }
    // time passing with nothing due changes nothing worth a write; the next command catches up anyway
    if (result.state === state || (command.type === 'advance' && result.events.length === 0)) return null;
    return { state: result.state, events: result.events };
  }

  private async outbox(
    stationId: string,
    events: StationEvent[],
    after: StationState,
    correlationId: string,
    unrouted: PileCommand[],
  ): Promise<OutboxEntry[]> {
    const { envelope } = this.deps;
    const out: OutboxEntry[] = toContractEvents(stationId, events, after, this.deps.tariffOf?.(stationId)).map((e: OutgoingEvent) =>
      ({ env: envelope(e.type, e.payload, { correlationId, atMs: e.atMs }) as Envelope }));
    // pile commands go to the device-bridge replica holding the pile, in the same atomic write (mandatory: a
    // command whose replica is gone comes back; pile-commands.ts follows every start until the pile answers)
    if (this.deps.pileOwner) {
      for (const e of events) {
        const cmd = pileCommandOf(stationId, e, after);
        if (cmd === null) continue;
        // a driven pile with no holder right now: the start waits for the pile to reconnect (PileCommandWatch)
        const replicaId = await this.deps.pileOwner(stationId, cmd.pileNo!);
        if (replicaId === null) {
          if (cmd.action === 'stop' && after.piles.some((p) => p.pileNo === cmd.pileNo && p.driven === true)) unrouted.push(cmd);
          continue;
        }
        const env = envelope('pile.command', cmd, { correlationId, atMs: e.at });
        out.push({ env: env as Envelope, route: { exchange: 'commands', routingKey: deviceNames.pileCommandRoutingKey(replicaId) } });
      }
    }
    return out;
  }
}

/**
 * The pile command an engine event calls for, or null. A driven pile is told to start when its session is asked
 * for (sessionStarting; its sessionStarted is the pile's own confirmation), a modelled one when it starts; every
 * ended session, and every start dropped before the pile confirmed it, is told to stop.
 */
export function pileCommandOf(stationId: string, e: StationEvent, after: StationState): PileCommand | null {
  switch (e.type) {
    case 'sessionStarting':
      return pileCommand(stationId, { action: 'start', pileNo: e.pileNo, sessionId: e.sessionId, orderId: e.orderId, powerW: e.powerW, targetWms: e.targetWms });
    case 'sessionStarted':
      if (after.piles.find((p) => p.pileNo === e.pileNo)?.driven === true) return null;
      return pileCommand(stationId, { action: 'start', pileNo: e.pileNo, sessionId: e.sessionId, orderId: e.orderId, powerW: e.powerW, targetWms: e.targetWms });
    case 'sessionEnded':
      return pileCommand(stationId, { action: 'stop', pileNo: e.pileNo, sessionId: e.sessionId, orderId: e.orderId, powerW: e.powerW });
    case 'sessionStartAborted': {
      const pile = after.piles.find((p) => p.pileNo === e.pileNo);
      return pileCommand(stationId, { action: 'stop', pileNo: e.pileNo, sessionId: e.sessionId, orderId: e.orderId, powerW: pile?.powerW ?? 0 });
    }
    default:
      return null;
  }
}

/** The engine's refusal in the caller's words: a request without a car runs under a synthetic car id standing for
 * its user, which must not reach the user ("car ~user:2 already has an active request"). */
export function refusalMessage(command: StationCommand, error: { code: string; message: string }): string {
  if (error.code === 'CAR_HAS_ACTIVE_REQUEST' && command.type === 'submit' && contractCarId(command.carId).carId === undefined) {
    return 'you already have an active charging request';
  }
  return error.message;
}

/**
 * Moves an empty station to `atMs`, also into its past (the clock was set back): piles keep their state and
 * totals, the issue sequence continues, the numbering day follows the new instant.
 */
export function rebase(state: StationState, atMs: number): { state: StationState; events: StationEvent[] } {
  const busy = state.waiting.length + state.faultQueue.length + state.piles.reduce((n, p) => n + p.queue.length, 0);
  if (busy > 0) {
    throw new DomainError('STATION_BUSY',
      `station ${state.config.stationId} has ${busy} active request(s) at ${formatIso(state.nowMs, state.config.timeZone)}: ` +
      'the clock cannot go back before that while cars are queued');
  }
  const fresh = createStation(state.config, atMs);
  const numbering = fresh.numbering.day === state.numbering.day ? state.numbering : fresh.numbering;
  return {
    state: { ...state, version: state.version + 1, nowMs: atMs, numbering },
    events: [],
  };
}
