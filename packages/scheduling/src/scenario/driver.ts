// What the runner needs from a station, whatever runs it: the engine in this process, or (later) a running
// platform driven through its API. Both give their answers in the same display form, so they print the same bytes.
import type { Mode, PileState } from '../types.js';

/** A refusal carries the engine's error code (an HTTP driver maps the API's business error to the same code). */
export type DriverOutcome = { ok: true } | { ok: false; code: string };

/** The station as the CSV shows it; amounts already formatted (kWh and yuan, two decimals, half-up). */
export interface StationSnapshot {
  piles: Array<{
    pileNo: string;
    state: PileState;
    /** Head first: the current session's kWh and fee (0.00 behind the head). */
    queue: Array<{ carId: string; chargedKwh: string; feeYuan: string }>;
  }>;
  /** Arrival (number) order. */
  waiting: Array<{ carId: string; mode: Mode; requestedKwh: string }>;
  /** With the energy each car still lacks. */
  faultQueue: Array<{ carId: string; mode: Mode; remainingKwh: string }>;
}

export interface ScenarioDriver {
  apply(atMs: number, carId: string, mode: Mode, energyWms: number): Promise<DriverOutcome>;
  cancel(atMs: number, carId: string): Promise<DriverOutcome>;
  /** null keeps the mode or the amount. */
  change(atMs: number, carId: string, mode: Mode | null, energyWms: number | null): Promise<DriverOutcome>;
  pileFault(atMs: number, pileNo: string): Promise<DriverOutcome>;
  pileRecover(atMs: number, pileNo: string): Promise<DriverOutcome>;
  /** The station at atMs, after everything due by then. */
  snapshot(atMs: number): Promise<StationSnapshot>;
  /** Runs the clock on from atMs until no charge is left to complete; returns the instant of the last charge
   * completion of the whole run, or null if no charge ever completed. */
  finish(atMs: number): Promise<number | null>;
  close(): Promise<void>;
}
