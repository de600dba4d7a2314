// The one entry point: apply a command at an instant, after everything due up to that instant (rule 7).
import { runCalling } from './calling.js';
import { buildPiles, resolveConfig } from './config.js';
import { pileDown, pileUp } from './faults.js';
import { issueNumber, localDay } from './numbering.js';
import { completeHead, confirmStart, finishOrder, startHeadIfIdle, stopSession } from './sessions.js';
import { carRef, cloneState, isEmpty, locate, someCar, stationTariff } from './state.js';
import type { Ctx } from './state.js';
import type { CommandResult, Pile, StationCommand, StationConfigInput, StationError, StationErrorCode, StationState } from './types.js';

/** Largest single request: 10 000 kWh keeps every product of power and time far inside exact integers. */
export const MAX_REQUEST_WMS = 10_000 * 3_600_000_000;

/** The instant of the next charge completion, or null when nothing is charging (for the service's timer). */
export function nextDueAt(state: StationState): number | null {
  let due: number | null = null;
  for (const pile of state.piles) {
    const s = pile.queue[0]?.session;
    // a session still starting has no end yet: it waits for the pile's confirmation
    if (s && s.starting !== true && (due === null || s.endsAt < due)) due = s.endsAt;
  }
  return due;
}

/**
 * Applies `command` at `atMs`. First every completion due up to atMs is processed, each at its own instant
 * (the completions of one instant, then calling); then the command. The given state is never modified: the
 * result is a new state, or for a refusal the given one (its due completions are played by the next command).
 */
export function applyCommand(state: StationState, command: StationCommand, atMs: number): CommandResult {
  if (!Number.isSafeInteger(atMs)) return refuse(state, 'BAD_TIME', `atMs must be an integer epoch ms, got ${String(atMs)}`);
  if (atMs < state.nowMs) {
    return refuse(state, 'TIME_BEFORE_STATE', `the station is already at ${state.nowMs}; ${atMs} is in its past`);
  }
  if (command === null || typeof command !== 'object') return refuse(state, 'BAD_COMMAND', 'a command must be an object');
  const ctx: Ctx = { state: cloneState(state), events: [], at: atMs, tariff: stationTariff(state.config) };
  processDue(ctx, atMs);
  const error = handle(ctx, command);
  if (error !== null) return { ok: false, state, error };
  if (command.type === 'advance' && ctx.events.length === 0 && atMs === state.nowMs) {
    return { ok: true, state, events: [] };
  }
  ctx.state.version = state.version + 1;
  return { ok: true, state: ctx.state, events: ctx.events };
}

/** Rule 7: completions in time order, each at its own instant; at one instant all completions, then calling. */
function processDue(ctx: Ctx, untilMs: number): void {
  for (;;) {
    const due = nextDueAt(ctx.state);
    if (due === null || due > untilMs) break;
    ctx.at = due;
    ctx.state.nowMs = due;
    for (const pile of ctx.state.piles) {
      const s = pile.queue[0]?.session;
      if (s && s.starting !== true && s.endsAt === due) completeHead(ctx, pile);
    }
    runCalling(ctx);
  }
  ctx.at = untilMs;
  ctx.state.nowMs = untilMs;
}

function handle(ctx: Ctx, cmd: StationCommand): StationError | null {
  switch (cmd.type) {
    case 'advance':
      return null;
    case 'configure':
      return configure(ctx, cmd.config);
    case 'submit':
      return submit(ctx, cmd);
    case 'modify':
      return modify(ctx, cmd);
    case 'cancel':
      return cancel(ctx, cmd.orderId);
    case 'pileFault':
    case 'pileOff':
    case 'pileRecover':
    case 'pileOn':
    case 'pileDriven':
    case 'sessionConfirmed':
    case 'sessionStartFailed': {
      const pile = typeof cmd.pileNo === 'string' ? ctx.state.piles.find((p) => p.pileNo === cmd.pileNo) : undefined;
      if (pile === undefined) return err('UNKNOWN_PILE', `unknown pile ${JSON.stringify(cmd.pileNo)}`);
      if (cmd.type === 'pileDriven') return driven(ctx, pile);
      if (cmd.type === 'sessionConfirmed' || cmd.type === 'sessionStartFailed') return startReport(ctx, pile, cmd);
      if (cmd.type === 'pileFault') return pileDown(ctx, pile, 'fault');
      if (cmd.type === 'pileOff') return pileDown(ctx, pile, 'off');
      return pileUp(ctx, pile, cmd.type === 'pileRecover' ? 'recover' : 'on');
    }
    default:
      return err('BAD_COMMAND', `unknown command type ${JSON.stringify((cmd as { type?: unknown }).type)}`);
  }
}

function configure(ctx: Ctx, input: StationConfigInput): StationError | null {
  const { state } = ctx;
  const resolved = resolveConfig(input, state.config);
  if (!resolved.ok) return resolved.error;
  if (!isEmpty(state)) {
    return err('STATION_NOT_EMPTY', 'the station can be reconfigured only while no car is waiting, queued or charging');
  }
  if (resolved.config.timeZone !== state.config.timeZone) {
    // The numbering day follows the station's zone: today's counters go on unless the new zone's date differs.
    const { day, dayEndsAt } = localDay(ctx.at, resolved.config.timeZone);
    if (day !== state.numbering.day) state.numbering = { day, dayEndsAt, nextFast: 1, nextSlow: 1 };
    else state.numbering.dayEndsAt = dayEndsAt;
  }
  state.config = resolved.config;
  state.piles = buildPiles(resolved.config, state.piles);
  ctx.tariff = stationTariff(resolved.config);
  ctx.events.push({ type: 'configured', at: ctx.at, config: resolved.config });
  return null;
}

function submit(ctx: Ctx, cmd: StationCommand & { type: 'submit' }): StationError | null {
  const { state } = ctx;
  for (const key of ['orderId', 'userId', 'carId'] as const) {
    if (!isId(cmd[key])) return err('BAD_COMMAND', `${key} must be a non-empty string of at most 200 characters`);
  }
  const modeError = checkMode(cmd.mode) ?? checkEnergy(cmd.energyWms);
  if (modeError) return modeError;
  if (!state.piles.some((p) => p.mode === cmd.mode)) return err('NO_PILE_FOR_MODE', `this station has no ${cmd.mode} pile`);
  if (someCar(state, (c) => c.orderId === cmd.orderId)) return err('ORDER_EXISTS', `order ${cmd.orderId} is already active`);
  if (someCar(state, (c) => c.carId === cmd.carId)) {
    return err('CAR_HAS_ACTIVE_REQUEST', `car ${cmd.carId} already has an active request`);
  }
  if (state.waiting.length >= state.config.waitingAreaSize) {
    return err('WAITING_AREA_FULL', `the waiting area is full (${state.config.waitingAreaSize} cars); try again later`);
  }
  const { queueNo, seq } = issueNumber(state, cmd.mode, ctx.at);
  const car = {
    orderId: cmd.orderId, userId: cmd.userId, carId: cmd.carId, mode: cmd.mode, queueNo, seq,
    requestedWms: cmd.energyWms, deliveredWms: 0, feeFen: 0, chargedMs: 0, sessionCount: 0,
    createdAt: ctx.at, placedAt: ctx.at, session: null,
  };
  state.waiting.push(car);
  ctx.events.push({ type: 'queued', at: ctx.at, ...carRef(car), energyWms: car.requestedWms });
  runCalling(ctx);
  return null;
}

function modify(ctx: Ctx, cmd: StationCommand & { type: 'modify' }): StationError | null {
  const { state } = ctx;
  const found = typeof cmd.orderId === 'string' ? locate(state, cmd.orderId) : null;
  if (found === null) return err('ORDER_NOT_FOUND', `no active request ${JSON.stringify(cmd.orderId)}`);
  if (found.place !== 'waiting') {
    return err('NOT_IN_WAITING_AREA', 'the car is already in the charging area: cancel the request instead of changing it');
  }
  if (state.config.dispatchMode !== 'default') {
    return err('NOT_SUPPORTED_IN_DISPATCH_MODE',
      `dispatch mode ${state.config.dispatchMode} does not take changes: cancel and apply again`);
  }
  const car = found.car;
  const mode = cmd.mode ?? car.mode;
  const energyWms = cmd.energyWms ?? car.requestedWms;
  const invalid = checkMode(mode) ?? checkEnergy(energyWms);
  if (invalid) return invalid;
  if (!state.piles.some((p) => p.mode === mode)) return err('NO_PILE_FOR_MODE', `this station has no ${mode} pile`);
  const previous = { previousMode: car.mode, previousQueueNo: car.queueNo, previousEnergyWms: car.requestedWms };
  car.requestedWms = energyWms;
  if (mode !== car.mode) {
    // A new number at the tail of the other mode.
    const { queueNo, seq } = issueNumber(state, mode, ctx.at);
    Object.assign(car, { mode, queueNo, seq, placedAt: ctx.at });
    state.waiting.splice(found.index, 1);
    state.waiting.push(car);
  }
  ctx.events.push({ type: 'modified', at: ctx.at, ...carRef(car), energyWms, ...previous });
  runCalling(ctx);
  return null;
}

function cancel(ctx: Ctx, orderId: string): StationError | null {
  const { state } = ctx;
  const found = typeof orderId === 'string' ? locate(state, orderId) : null;
  if (found === null) return err('ORDER_NOT_FOUND', `no active request ${JSON.stringify(orderId)}`);
  const { car, place, pile, index } = found;
  if (pile !== null) {
    pile.queue.splice(index, 1);
    stopSession(ctx, pile, car, 'cancelled');
  } else if (place === 'waiting') {
    state.waiting.splice(index, 1);
  } else {
    state.faultQueue.splice(index, 1);
  }
  finishOrder(ctx, car, 'cancelled', place);
  // The car behind a cancelled charging car starts at the same instant.
  if (pile !== null) startHeadIfIdle(ctx, pile);
  runCalling(ctx);
  return null;
}

function driven(ctx: Ctx, pile: Pile): StationError | null {
  if (pile.driven === true) return null;
  pile.driven = true;
  ctx.events.push({ type: 'pileDriven', at: ctx.at, pileNo: pile.pileNo });
  return null;
}

/** The pile's answer to the start of its head car's session: it started (at its instant), or it did not. */
function startReport(
  ctx: Ctx,
  pile: Pile,
  cmd: StationCommand & { type: 'sessionConfirmed' | 'sessionStartFailed' },
): StationError | null {
  const car = pile.queue[0];
  const s = car?.session;
  if (car === undefined || !s || s.sessionId !== cmd.sessionId || s.starting !== true) {
    return err('SESSION_NOT_STARTING', `pile ${pile.pileNo} has no session ${JSON.stringify(cmd.sessionId)} waiting to start`);
  }
  if (cmd.type === 'sessionConfirmed') {
    if (!Number.isSafeInteger(cmd.startedAt)) return err('BAD_TIME', `startedAt must be an integer epoch ms, got ${String(cmd.startedAt)}`);
    confirmStart(ctx, pile, car, cmd.startedAt);
    // a late report may make the charge due already: it ends at its own instant, as rule 7 says
    processDue(ctx, ctx.at);
    runCalling(ctx);
    return null;
  }
  const reason = typeof cmd.reason === 'string' && cmd.reason.length > 0 ? cmd.reason.slice(0, 300) : 'the pile did not start';
  return pileDown(ctx, pile, 'fault', reason);
}

function checkMode(mode: unknown): StationError | null {
  return mode === 'fast' || mode === 'slow' ? null : err('BAD_MODE', `mode must be 'fast' or 'slow', got ${JSON.stringify(mode)}`);
}

function checkEnergy(energyWms: unknown): StationError | null {
  if (typeof energyWms === 'number' && Number.isSafeInteger(energyWms) && energyWms > 0 && energyWms <= MAX_REQUEST_WMS) {
    return null;
  }
  return err('BAD_ENERGY', `the energy must be a whole number of Wms above 0 and at most 10000 kWh, got ${String(energyWms)}`);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}

function err(code: StationErrorCode, message: string): StationError {
  return { code, message };
}

function refuse(state: StationState, code: StationErrorCode, message: string): CommandResult {
  return { ok: false, state, error: { code, message } };
}

