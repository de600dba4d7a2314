// One connector of a simulated walk-up pile, pure (time passed in): its energy register, the car plugged into it
// and the session charging it. The car draws the pile's power; `speed` multiplies the energy per real millisecond
// (tests deliver kWh in seconds). A session ends by itself at its target energy (reason `other`) or when the car is
// full (reason `full`). Every session charges a new, empty car.
import type { PortState, StopReason } from './protocol.js';

export interface PortModelOptions {
  powerW: number;
  /** simulated energy per real ms = powerW x speed (default 1) */
  speed?: number;
  /** what a car takes before it is full (default: never full) */
  carWms?: number;
}

export interface PortSessionState {
  sessionId: string;
  commandId?: string;
  cardId?: string;
  /** register when the session began */
  startWms: number;
  /** stop here by itself (a start's targetEnergyWms) */
  targetWms?: number;
  /** real time the current stretch of charging began, and the register then */
  sinceMs: number;
  baseWms: number;
}

export type StartAnswer = { accepted: true; meterWms: number; repeated: boolean } | { accepted: false; reason: string };

export class PortModel {
  registerWms = 0;
  plugged = true;
  faulted = false;
  session: PortSessionState | undefined;
  private readonly speed: number;

  constructor(readonly portNo: number, private readonly opts: PortModelOptions) {
    this.speed = opts.speed ?? 1;
  }

  get state(): PortState {
    if (this.faulted) return 'faulted';
    return this.session ? 'charging' : 'idle';
  }

  get powerW(): number {
    return this.session ? this.opts.powerW : 0;
  }

  /** The register now (energy of a running session counted, capped where the session stops). */
  meter(nowMs: number): number {
    const s = this.session;
    if (!s) return this.registerWms;
    const drawn = Math.floor(this.opts.powerW * (nowMs - s.sinceMs) * this.speed);
    return s.baseWms + Math.min(drawn, this.capWms(s));
  }

  /** energy the session may still take from sinceMs on: up to its target and until the car is full */
  private capWms(s: PortSessionState): number {
    let cap = Number.MAX_SAFE_INTEGER;
    if (s.targetWms !== undefined) cap = Math.min(cap, s.startWms + s.targetWms - s.baseWms);
    if (this.opts.carWms !== undefined) cap = Math.min(cap, this.opts.carWms - (s.baseWms - s.startWms));
    return Math.max(0, cap);
  }

  /** A start command (or a card accepted by the bridge). The same command again is acknowledged again. */
  start(s: { sessionId: string; commandId?: string; cardId?: string; targetEnergyWms?: number }, nowMs: number): StartAnswer {
    if (this.session && s.commandId !== undefined && this.session.commandId === s.commandId) {
      return { accepted: true, meterWms: this.session.startWms, repeated: true };
    }
    if (this.faulted) return { accepted: false, reason: 'port is faulted' };
    if (this.session) return { accepted: false, reason: 'port is busy' };
    if (!this.plugged) return { accepted: false, reason: 'no car plugged in' };
    this.session = {
      sessionId: s.sessionId,
      ...(s.commandId !== undefined ? { commandId: s.commandId } : {}),
      ...(s.cardId !== undefined ? { cardId: s.cardId } : {}),
      startWms: this.registerWms,
      ...(s.targetEnergyWms !== undefined ? { targetWms: s.targetEnergyWms } : {}),
      sinceMs: nowMs,
      baseWms: this.registerWms,
    };
    return { accepted: true, meterWms: this.registerWms, repeated: false };
  }

  /** Why the running session must end now by itself, if it must. */
  due(nowMs: number): StopReason | undefined {
    const s = this.session;
    if (!s) return undefined;
    const delivered = this.meter(nowMs) - s.startWms;
    if (s.targetWms !== undefined && delivered >= s.targetWms) return 'other';
    if (this.opts.carWms !== undefined && delivered >= this.opts.carWms) return 'full';
    return undefined;
  }

  /** Ends the session (any reason); its final register, or undefined without one. */
  stop(nowMs: number): { sessionId: string; energyWms: number } | undefined {
    const s = this.session;
    if (!s) return undefined;
    this.registerWms = this.meter(nowMs);
    this.session = undefined;
    return { sessionId: s.sessionId, energyWms: this.registerWms };
  }

  plug(): void {
    this.plugged = true;
  }

  unplug(): void {
    this.plugged = false;
  }
}
