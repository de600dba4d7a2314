// The pure rules of following a pile command (README "Pile commands"): what to do with a held command now, and
// which commands a station waits on. No I/O: the watch (../pile-commands.ts) reads and writes, these decide.
import { deviceNames, type PileCommand } from '@voltq/contracts';
import type { StationState } from '@voltq/scheduling';

export interface PileCommandTiming {
  /** a command the pile did not answer within this (real ms) is sent again, or given up */
  ackTimeoutMs: number;
  /** how long a command waits in all for the pile to be reachable (real ms) before it fails */
  waitMs: number;
}

/** What is known about one command under way. */
export interface HeldCommand {
  cmd: PileCommand;
  /** real ms when it was first sent (or first seen) */
  since: number;
  /** real ms of the last send */
  sentAt: number;
  /** the replica it was last sent to; null = undelivered, waiting for a holder of the pile */
  to: string | null;
  /** sends to the same holder without an answer */
  attempts: number;
  /** the replica that could not deliver it (its queue is gone, or it does not hold the pile): not sent there
   * again until the pile logs in anew (the registry may still name a dead replica until its entry lapses) */
  unreachable: string | null;
}

export type Step =
  | { kind: 'wait' }
  | { kind: 'send'; to: string }
  | { kind: 'hold' }
  | { kind: 'fail'; reason: string };

/** What to do with a held command now, given the replica that holds the pile (null: none). Pure. */
export function nextStep(rec: HeldCommand, nowMs: number, owner: string | null, t: PileCommandTiming): Step {
  const waitedMs = nowMs - rec.since;
  if (rec.to === null) {
    if (owner !== null && owner !== rec.unreachable) return { kind: 'send', to: owner };
    if (waitedMs >= t.waitMs) return { kind: 'fail', reason: `the pile did not reconnect within ${span(t.waitMs)} to take the ${rec.cmd.action} command` };
    return { kind: 'wait' };
  }
  if (nowMs - rec.sentAt < t.ackTimeoutMs) return { kind: 'wait' };
  // no answer in time
  if (owner === null) {
    return waitedMs >= t.waitMs
      ? { kind: 'fail', reason: `the pile went away without answering the ${rec.cmd.action} command` }
      : { kind: 'hold' };
  }
  if (owner !== rec.to) return waitedMs >= t.waitMs + t.ackTimeoutMs ? { kind: 'fail', reason: timeoutReason(rec, t) } : { kind: 'send', to: owner };
  // the same holder, no answer: once more (a lost message), then it fails
  if (rec.attempts < 2 && waitedMs < t.waitMs) return { kind: 'send', to: owner };
  return { kind: 'fail', reason: timeoutReason(rec, t) };
}

function timeoutReason(rec: HeldCommand, t: PileCommandTiming): string {
  return `the pile did not acknowledge the ${rec.cmd.action} command within ${span(t.ackTimeoutMs)}`;
}

function span(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The command id of a session's start / stop: derived, so every replica names the same command alike. */
export function pileCommandId(action: 'start' | 'stop', sessionId: string): string {
  return `${action}:${sessionId}`;
}

export function pileCommand(
  stationId: string,
  s: { action: 'start' | 'stop'; pileNo: string; sessionId: string; orderId: string; powerW: number; targetWms?: number },
): PileCommand {
  return {
    commandId: pileCommandId(s.action, s.sessionId),
    pileId: deviceNames.pileId(stationId, s.pileNo),
    stationId,
    pileNo: s.pileNo,
    action: s.action,
    sessionId: s.sessionId,
    orderId: s.orderId,
    powerW: s.powerW,
    ...(s.action === 'start' && s.targetWms !== undefined ? { targetEnergyWms: s.targetWms } : {}),
  };
}

/** The start commands a station waits on: one per head session still `starting` on a driven pile. */
export function startingCommands(state: StationState): PileCommand[] {
  const out: PileCommand[] = [];
  for (const pile of state.piles) {
    const car = pile.queue[0];
    const s = car?.session;
    if (!car || !s || s.starting !== true) continue;
    out.push(pileCommand(state.config.stationId, {
      action: 'start', pileNo: pile.pileNo, sessionId: s.sessionId, orderId: car.orderId, powerW: s.powerW, targetWms: s.targetWms,
    }));
  }
  return out;
}
