// The stations this replica knows: what each is on the map (from MongoDB `stations`) and, for a queue station, that
// this replica serves it (its live state exists, its shard queue `scheduler.station.<id>` has this replica as a
// consumer, the clock driver watches it). A station created at runtime through any replica is stored first, then
// adopted by that replica before the answer; every other replica adopts it on its first call for it
// (StationCalls.discover), before a clock change, and at the latest on its next refresh (every station poll). An
// edit is stored first too, and the replica that made it answers with it; the others replace what they know by the
// stored station's later revision on their next refresh (or when they list the stations).
import type { CreateStationParams, StationPileInfo, StationsParams, StationsResult, StationView, UpdateStationParams } from '@voltq/contracts';
import { DomainError, type Logger } from '@voltq/kit';
import type { StationState } from '@voltq/scheduling';
import { toEngineConfigInput } from './domain/mapping.js';
import { editedStation, listStations, newStation, stationView, type StationInfo } from './domain/stations.js';
import type { StationCalls } from './station-calls.js';
import type { StationWriter } from './station-writer.js';
import { defaultStationConfig, type EditableInfo, type StationRecord, type StationStore } from './store/station-configs.js';
import type { StationRepository } from './store/station-repository.js';

export interface CatalogDeps {
  store: StationStore;
  calls: StationCalls;
  writer: StationWriter;
  repo: StationRepository;
  log: Logger;
  now: () => number;
  /** starts consuming the station's shard queue on this replica */
  serve: (stationId: string) => Promise<void>;
  /** the station's next completion (the clock driver watches it from now on) */
  watch: (stationId: string, state: StationState) => void;
  /** a walk-up station's piles from its registered devices (the device bridge); none when it cannot be asked */
  walkUpPiles?: (stationId: string) => Promise<StationPileInfo[]>;
}

export class StationCatalog {
  private readonly infos = new Map<string, StationInfo>();
  /** the stored revision each info is of */
  private readonly revisions = new Map<string, number>();
  private readonly adopting = new Map<string, Promise<void>>();

  constructor(private readonly deps: CatalogDeps) {}

  tariffOf(stationId: string): string | undefined {
    return this.infos.get(stationId)?.tariffId;
  }

  /** Knows the station from now on; a queue station gets its live state (if new) and is served here. */
  adopt(rec: StationRecord): Promise<void> {
    const id = rec.info.stationId;
    const pending = this.adopting.get(id);
    if (pending) return pending;
    const run = this.adoptNow(rec).finally(() => this.adopting.delete(id));
    this.adopting.set(id, run);
    return run;
  }

  private async adoptNow(rec: StationRecord): Promise<void> {
    const { calls, writer, repo, now, serve, watch } = this.deps;
    const id = rec.info.stationId;
    this.remember(rec);
    if (rec.config === null || calls.has(id)) return;
    const state = await writer.ensure(id, toEngineConfigInput(rec.config), now());
    await repo.syncDurable(id);
    await serve(id);
    calls.ids.add(id);
    watch(id, state);
  }

  /** What the station is from now on, unless this replica knows a later revision already (a refresh read before an edit). */
  private remember(rec: StationRecord): void {
    const id = rec.info.stationId;
    if (this.infos.has(id) && (this.revisions.get(id) ?? 0) > rec.revision) return;
    this.infos.set(id, rec.info);
    this.revisions.set(id, rec.revision);
  }

  /** Adopts every stored station this replica does not know yet, and takes the edits of those it knows. */
  async refresh(): Promise<void> {
    for (const rec of await this.deps.store.records()) {
      if (!this.infos.has(rec.info.stationId) || (rec.config && !this.deps.calls.has(rec.info.stationId))) await this.adopt(rec);
      else this.remember(rec);
    }
  }

  /** StationCalls.discover: a queue station is served from now on; a walk-up one is refused (it has no queue). */
  async discover(stationId: string): Promise<boolean> {
    const rec = await this.deps.store.get(stationId);
    if (!rec) return false;
    await this.adopt(rec);
    if (rec.config === null) {
      throw new DomainError('VALIDATION', `station ${stationId} is a walk-up station: it has no queue (pick a pile and port)`);
    }
    return true;
  }

  /** Stores a new station and serves it here before answering (a queue station starts with the default settings). */
  async create(p: CreateStationParams): Promise<StationView> {
    const info = newStation(p, this.deps.now());
    const config = info.kind === 'queue' ? defaultStationConfig(info.stationId) : null;
    await this.deps.store.create(info, config);
    this.deps.log.info({ stationId: info.stationId, kind: info.kind, tariffId: info.tariffId }, 'station created');
    await this.adopt({ info, config, revision: 0 });
    return this.get(info.stationId);
  }

  /**
   * An operator's edit (name, address, point, tariff, status): checked against the stored station, only the fields
   * given are stored, and this replica knows it before answering, so its next sessions name the new tariff.
   */
  async update(p: UpdateStationParams): Promise<StationView> {
    const { store, log, now } = this.deps;
    const old = await store.get(p.stationId);
    if (!old) throw new DomainError('NOT_FOUND', `unknown station ${p.stationId}`, { resource: 'station' });
    const next = editedStation(old.info, p, now());
    const fields: EditableInfo = {};
    for (const key of ['name', 'address', 'latitude', 'longitude', 'tariffId', 'status'] as const) {
      if (p[key] !== undefined) Object.assign(fields, { [key]: next[key] });
    }
    const stored = await store.update(p.stationId, fields, next.updatedAt);
    if (!stored) throw new DomainError('NOT_FOUND', `unknown station ${p.stationId}`, { resource: 'station' });
    log.info({ stationId: p.stationId, changed: Object.keys(fields), tariffId: stored.info.tariffId }, 'station edited');
    await this.adopt(stored);
    this.remember(stored); // adopt() keeps an adoption under way, which may have read the station before the edit
    return this.viewOf(stored.info);
  }

  /** One station with its piles (NOT_FOUND, as a station, otherwise). */
  async get(stationId: string): Promise<StationView> {
    let info = this.infos.get(stationId);
    if (!info) {
      const rec = await this.deps.store.get(stationId);
      if (rec) await this.adopt(rec);
      info = rec?.info;
    }
    if (!info) throw new DomainError('NOT_FOUND', `unknown station ${stationId}`, { resource: 'station' });
    return this.viewOf(info);
  }

  /** Every station (the store's list, so one created through another replica a moment ago too), as asked. */
  async list(p: StationsParams): Promise<StationsResult> {
    await this.refresh();
    const views = await Promise.all([...this.infos.values()].map((i) => this.viewOf(i)));
    return listStations(views, p);
  }

  private async viewOf(info: StationInfo): Promise<StationView> {
    if (info.kind === 'queue') return stationView(info, await this.deps.calls.load(info.stationId));
    let piles: StationPileInfo[] = [];
    try {
      piles = (await this.deps.walkUpPiles?.(info.stationId)) ?? [];
    } catch (err) {
      // the map still lists the station; its ports show 0 until the bridge answers again
      this.deps.log.warn({ stationId: info.stationId, err: (err as Error).message }, 'walk-up piles unknown: the device bridge did not answer');
    }
    return stationView(info, null, piles);
  }
}
