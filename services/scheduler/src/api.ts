// The scheduler's RPC methods as plain functions: writes go through `exec` (the station's single writer),
// reads come straight from the stored state at the clock's now.
import type {
  BoardResult,
  CancelResult,
  PileView,
  QueueEntryView,
  RpcParams,
  StationCommand,
  StationConfig as ContractStationConfig,
} from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { board, position, type StationEvent, type StationState } from '@voltq/scheduling';
import {
  answerOrderSeq,
  boardView,
  engineCarId,
  positionView,
  toContractConfig,
  toEngineConfigInput,
} from './domain/mapping.js';

export interface ApiDeps {
  /** runs a command on the station's writer */
  exec: (stationId: string, command: StationCommand, correlationId: string) => Promise<{ state: StationState; events: StationEvent[] }>;
  /** the stored state of a known station (NOT_FOUND otherwise) */
  load: (stationId: string) => Promise<StationState>;
  now: () => number;
  saveConfig: (config: ContractStationConfig) => Promise<void>;
}

interface Ctx {
  correlationId: string;
}

export class SchedulerApi {
  constructor(private readonly deps: ApiDeps) {}

  async submit(p: RpcParams<'scheduler.submit'>, ctx: Ctx): Promise<QueueEntryView> {
    const { state } = await this.deps.exec(p.stationId, {
      type: 'submit', orderId: p.orderId, userId: p.userId, carId: engineCarId(p.userId, p.carId), mode: p.mode,
      energyWms: p.energyWms,
    }, ctx.correlationId);
    return { ...this.positionIn(state, p.orderId), orderSeq: answerOrderSeq(state.version) };
  }

  async modify(p: RpcParams<'scheduler.modify'>, ctx: Ctx): Promise<QueueEntryView> {
    const { state } = await this.deps.exec(p.stationId, {
      type: 'modify', orderId: p.orderId,
      ...(p.mode !== undefined ? { mode: p.mode } : {}),
      ...(p.energyWms !== undefined ? { energyWms: p.energyWms } : {}),
    }, ctx.correlationId);
    return { ...this.positionIn(state, p.orderId), orderSeq: answerOrderSeq(state.version) };
  }

  async cancel(p: RpcParams<'scheduler.cancel'>, ctx: Ctx): Promise<CancelResult> {
    const { events } = await this.deps.exec(p.stationId, { type: 'cancel', orderId: p.orderId }, ctx.correlationId);
    const stopped = events.find((e) => e.type === 'sessionEnded' && e.orderId === p.orderId && e.reason === 'cancelled');
    return {
      orderId: p.orderId,
      state: 'cancelled',
      ...(stopped?.type === 'sessionEnded' ? { sessionId: stopped.sessionId } : {}),
    };
  }

  async position(p: RpcParams<'scheduler.position'>): Promise<QueueEntryView> {
    return this.positionIn(await this.deps.load(p.stationId), p.orderId);
  }

  async board(p: RpcParams<'scheduler.board'>): Promise<BoardResult> {
    const state = await this.deps.load(p.stationId);
    return boardView(board(state, Math.max(this.deps.now(), state.nowMs)), state);
  }

  async configure(p: RpcParams<'scheduler.configure'>, ctx: Ctx): Promise<ContractStationConfig> {
    const { stationId, ...settings } = p;
    const { state } = await this.deps.exec(stationId, {
      type: 'configure', config: toEngineConfigInput(settings) as Record<string, unknown>,
    }, ctx.correlationId);
    const config = toContractConfig(state.config);
    await this.deps.saveConfig(config);
    return config;
  }

  async pileStatus(p: RpcParams<'scheduler.pileStatus'>, ctx: Ctx): Promise<PileView> {
    const before = await this.deps.load(p.stationId);
    const pile = before.piles.find((x) => x.pileNo === p.pileNo);
    if (!pile) throw new DomainError('NOT_FOUND', `station ${p.stationId} has no pile ${p.pileNo}`);
    // DESIGN: fault/repair stop the pile as a fault (rule 5), off switches it off, on brings it back
    const command: StationCommand =
      p.status === 'fault' || p.status === 'repair' ? { type: 'pileFault', pileNo: p.pileNo }
      : p.status === 'off' ? { type: 'pileOff', pileNo: p.pileNo }
      : pile.state === 'fault' ? { type: 'pileRecover', pileNo: p.pileNo }
      : { type: 'pileOn', pileNo: p.pileNo };
    const { state } = await this.deps.exec(p.stationId, command, ctx.correlationId);
    const b = board(state, Math.max(this.deps.now(), state.nowMs));
    const view = boardView(b, state).piles.find((x) => x.pileNo === p.pileNo);
    if (!view) throw new DomainError('NOT_FOUND', `station ${p.stationId} has no pile ${p.pileNo}`);
    return view;
  }

  private positionIn(state: StationState, orderId: string): QueueEntryView {
    const pos = position(state, orderId, Math.max(this.deps.now(), state.nowMs));
    if (pos === null) throw new DomainError('NOT_FOUND', `no active request ${orderId} at this station`);
    return positionView(pos);
  }
}
