// Pure clock arithmetic: no I/O, no Date.now(); the real time is always passed in.
export type ClockMode = 'real' | 'scaled' | 'manual';

export interface ClockState {
  mode: ClockMode;
  /** real epoch ms at which the origin was taken */
  originRealMs: number;
  /** clock epoch ms at that instant */
  originClockMs: number;
  /** clock ms per real ms (scaled mode) */
  speed: number;
  /** increases with every change, so stale notifications are ignored */
  version: number;
}

export interface ClockSetInput {
  mode: ClockMode;
  timeMs?: number;
  speed?: number;
}

export class ClockInputError extends Error {
  override readonly name = 'ClockInputError';
}

export function initialClockState(realNowMs: number): ClockState {
  return { mode: 'real', originRealMs: realNowMs, originClockMs: realNowMs, speed: 1, version: 0 };
}

/** Clock time (integer epoch ms) at real time `realNowMs`. */
export function clockTime(state: ClockState, realNowMs: number): number {
  switch (state.mode) {
    case 'real':
      return realNowMs;
    case 'manual':
      return state.originClockMs;
    case 'scaled':
      return state.originClockMs + Math.floor((realNowMs - state.originRealMs) * state.speed);
  }
}

/**
 * The state after `input` at real time `realNowMs`. Time carries over from the current clock unless given, so
 * switching real -> manual freezes "now", and manual -> scaled continues from the frozen instant.
 */
export function nextClockState(current: ClockState, input: ClockSetInput, realNowMs: number): ClockState {
  if (input.timeMs !== undefined && (!Number.isSafeInteger(input.timeMs) || input.timeMs < 0)) {
    throw new ClockInputError(`time must be a non-negative integer of epoch ms, got ${input.timeMs}`);
  }
  if (input.speed !== undefined && (!Number.isFinite(input.speed) || input.speed <= 0)) {
    throw new ClockInputError(`speed must be a positive number, got ${input.speed}`);
  }
  const version = current.version + 1;
  const carried = input.timeMs ?? clockTime(current, realNowMs);
  switch (input.mode) {
    case 'real':
      return { mode: 'real', originRealMs: realNowMs, originClockMs: realNowMs, speed: 1, version };
    case 'manual':
      return { mode: 'manual', originRealMs: realNowMs, originClockMs: carried, speed: current.speed, version };
    case 'scaled':
      return {
        mode: 'scaled',
        originRealMs: realNowMs,
        originClockMs: carried,
        speed: input.speed ?? (current.mode === 'scaled' ? current.speed : 1),
        version,
      };
    default:
      throw new ClockInputError(`unknown clock mode ${JSON.stringify((input as { mode: unknown }).mode)}`);
  }
}

/** Real ms until the clock has moved `clockDeltaMs` (Infinity in manual mode: only a set/advance moves it). */
export function realDelayFor(state: ClockState, clockDeltaMs: number): number {
  if (clockDeltaMs <= 0) return 0;
  switch (state.mode) {
    case 'real':
      return clockDeltaMs;
    case 'scaled':
      return Math.ceil(clockDeltaMs / state.speed);
    case 'manual':
      return Infinity;
  }
}

/** Redis hash fields <-> state. Anything missing or malformed yields undefined (caller keeps its state). */
export function parseClockHash(h: Record<string, string>): ClockState | undefined {
  const mode = h.mode;
  if (mode !== 'real' && mode !== 'scaled' && mode !== 'manual') return undefined;
  const originRealMs = Number(h.originRealMs);
  const originClockMs = Number(h.originClockMs);
  const speed = Number(h.speed ?? 1);
  const version = Number(h.version ?? 0);
  if (![originRealMs, originClockMs, speed, version].every(Number.isFinite) || speed <= 0) return undefined;
  return { mode, originRealMs, originClockMs, speed, version };
}

export function clockHash(s: ClockState): Record<string, string> {
  return {
    mode: s.mode,
    originRealMs: String(s.originRealMs),
    originClockMs: String(s.originClockMs),
    speed: String(s.speed),
    version: String(s.version),
  };
}
