// The stations this replica serves, as the rest of the scheduler calls them: a write goes to the station's single
// writer (`${ns}.rpc.scheduler.station.<stationId>`, a single-active-consumer shard queue), a read comes from the
// stored state; after Redis lost its data both wait for the rebuild a little, then are refused with REBUILDING.
import { DomainError, type Bus, type RedisGeneration } from '@voltq/kit';
import type { StationCommand } from '@voltq/contracts';
import type { StationEvent, StationState } from '@voltq/scheduling';
import { unknownStation } from './station-writer.js';
import type { StationRepository } from './store/station-repository.js';

export interface StationCallsDeps {
  bus: Bus;
  repo: StationRepository;
  /** Redis's data generation (undefined without Redis) */
  generation: RedisGeneration | undefined;
  /** how long a call waits for a rebuild by default */
  rebuildWaitMs: number;
  /**
   * A station this replica does not serve yet: looks it up (created at runtime through another replica) and starts
   * serving it; false when there is no such station. Throws when the station exists but has no queue (walk-up).
   */
  discover?: (stationId: string) => Promise<boolean>;
}

export class StationCalls {
  /** the queue stations this replica serves (one created at runtime joins on its first call, or the next refresh) */
  readonly ids = new Set<string>();

  constructor(private readonly deps: StationCallsDeps) {}

  list(): string[] {
    return [...this.ids];
  }

  has(stationId: string): boolean {
    return this.ids.has(stationId);
  }

  /** Resolves once the live state is whole again after a Redis loss, waiting at most `waitMs`; else REBUILDING. */
  async ready(waitMs = this.deps.rebuildWaitMs): Promise<void> {
    const { generation } = this.deps;
    if (!generation || generation.rebuilt()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([generation.settled(), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (!generation.rebuilt()) {
      throw new DomainError('REBUILDING', 'the scheduler is rebuilding its live state after a cache loss; retry in a few seconds');
    }
  }

  /** Runs a command on the station's writer (whichever replica holds its queue). */
  async exec(stationId: string, command: StationCommand, correlationId: string, atMs?: number): Promise<{ state: StationState; events: StationEvent[] }> {
    await this.ready();
    if (!(await this.known(stationId))) throw unknownStation(stationId);
    const r = await this.deps.bus.call('scheduler.station', { stationId, command, ...(atMs !== undefined ? { atMs } : {}) },
      { shard: stationId, correlationId });
    return { state: r.state as StationState, events: r.events as StationEvent[] };
  }

  /** Served here, or found now (a station created at runtime through another replica). */
  async known(stationId: string): Promise<boolean> {
    if (this.ids.has(stationId)) return true;
    return (await this.deps.discover?.(stationId)) === true && this.ids.has(stationId);
  }

  /** The stored state of a known station (NOT_FOUND otherwise). */
  async load(stationId: string): Promise<StationState> {
    await this.ready();
    const state = (await this.known(stationId)) ? await this.deps.repo.load(stationId) : null;
    if (!state) throw unknownStation(stationId);
    return state;
  }
}
