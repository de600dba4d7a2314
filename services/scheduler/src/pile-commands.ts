// Every command to a pile is acknowledged by the pile or fails visibly (DESIGN "Messaging"; README "Pile commands").
// A start goes out when the engine asks for it (sessionStarting, through the outbox, to the replica holding the
// pile). This watch then follows it until the pile answers (device.command-acked -> sessionConfirmed /
// sessionStartFailed): a command that was returned by the broker (its replica's queue is gone), answered
// `device.command-failed` (no replica holds the pile), or not acknowledged in time is sent again to the pile's holder
// once it reconnects, within PILE_COMMAND_WAIT_MS; after that the start fails: the pile goes to fault (rule 5, no
// bill) with the reason on the board. A stop that cannot be delivered is held the same way and logged when given up.
// The station state is the source of truth for what waits (every `starting` session); Redis keeps when each command
// was sent and to whom, so any replica can go on where another left off.
import { randomUUID } from 'node:crypto';
import type { DeviceCommandAcked, Envelope, PileCommand, StationCommand } from '@voltq/contracts';
import { isDomainError, type Logger, type ReturnedEnvelope } from '@voltq/kit';
import { nextDueAt, type StationState } from '@voltq/scheduling';
import { pileOfDevice } from './domain/device-events.js';
import { nextStep, startingCommands, type HeldCommand, type PileCommandTiming } from './domain/pile-commands.js';
import type { HeldCommands, PileRegistry } from './store/pile-commands.js';

export interface WatchDeps {
  /** where each command under way stands (Redis) */
  held: HeldCommands;
  /** which device-bridge replica holds a pile */
  registry: PileRegistry;
  log: Logger;
  timing: PileCommandTiming;
  /** real time (ms): device answers are a matter of real seconds, whatever the station clock does */
  realNow: () => number;
  stationIds: () => string[];
  load: (stationId: string) => Promise<StationState | null>;
  exec: (stationId: string, command: StationCommand, correlationId: string, atMs?: number) => Promise<unknown>;
  /** publishes the command (mandatory) to `pile.command.<replicaId>` */
  send: (cmd: PileCommand, replicaId: string) => Promise<void>;
}

export class PileCommandWatch {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan: Promise<void> | undefined;

  constructor(private readonly deps: WatchDeps) {}

  start(scanMs: number): void {
    this.timer = setInterval(() => void this.scan(), scanMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }

  private get(commandId: string): Promise<HeldCommand | null> {
    return this.deps.held.get(commandId);
  }

  private put(rec: HeldCommand): Promise<void> {
    return this.deps.held.put(rec);
  }

  private drop(commandId: string): Promise<void> {
    return this.deps.held.drop(commandId);
  }

  /** The command did not reach its pile (returned by the broker, or `replicaId` does not hold the pile): hold it. */
  async undelivered(cmd: PileCommand, why: string, replicaId: string | null): Promise<void> {
    const now = this.deps.realNow();
    const rec = (await this.get(cmd.commandId)) ?? { cmd, since: now, sentAt: now, to: null, attempts: 0, unreachable: null };
    rec.to = null;
    rec.attempts = 0;
    rec.unreachable = replicaId;
    await this.put(rec);
    this.deps.log.warn({ commandId: cmd.commandId, pileId: cmd.pileId, action: cmd.action, why, replicaId },
      'pile command not delivered: held until the pile reconnects');
    await this.scan();
  }

  /** A message the broker handed back: a pile command whose replica's queue is gone is held. */
  returned(r: ReturnedEnvelope): void {
    if (r.env?.type !== 'pile.command') return;
    const replicaId = r.routingKey.startsWith('pile.command.') ? r.routingKey.slice('pile.command.'.length) : null;
    this.undelivered(r.env.payload as PileCommand, 'returned by the broker: no queue for its replica', replicaId)
      .catch((err: unknown) => this.deps.log.error({ err }, 'could not hold a returned pile command'));
  }

  /** `device.command-acked` / `device.command-failed` from a device-bridge replica. */
  async answer(msg: Envelope<'device.command-acked'> | Envelope<'device.command-failed'>, correlationId: string): Promise<void> {
    if (msg.type === 'device.command-failed') {
      await this.undelivered(msg.payload.command, `replica ${msg.payload.replicaId}: ${msg.payload.reason}`, msg.payload.replicaId);
      return;
    }
    const pile = pileOfDevice(msg.payload);
    if (pile && this.deps.stationIds().includes(pile.stationId)) await this.acked(msg.payload, pile.stationId, pile.pileNo, correlationId);
  }

  /**
   * Moves a station to `atMs`. With device-driven piles, time goes from completion to completion and the starts
   * asked for at each are answered (at most `settleMs` real) before it moves on: the shared clock is set only after
   * the stations are played, so a pile's answer carries the instant its start was asked for, and a manual-clock run
   * gives the sessions a modelled pile would.
   */
  async advance(stationId: string, atMs: number, settleMs: number): Promise<void> {
    for (;;) {
      const s = await this.deps.load(stationId);
      if (!s || !s.piles.some((p) => p.driven === true)) break;
      await this.settled(stationId, settleMs);
      const due = nextDueAt((await this.deps.load(stationId)) ?? s);
      if (due === null || due >= atMs) break;
      await this.deps.exec(stationId, { type: 'advance' }, randomUUID(), due);
    }
    await this.deps.exec(stationId, { type: 'advance' }, randomUUID(), atMs);
  }

  /** The pile answered: a start becomes a session from the reported instant, or fails (rule 5, no bill). */
  async acked(p: DeviceCommandAcked, stationId: string, pileNo: string, correlationId: string): Promise<void> {
    const rec = await this.get(p.commandId);
    const action = p.action ?? rec?.cmd.action ?? (p.commandId.startsWith('stop:') ? 'stop' : 'start');
    const sessionId = p.sessionId ?? rec?.cmd.sessionId ?? p.commandId.replace(/^(start|stop):/, '');
    await this.drop(p.commandId);
    if (action !== 'start') {
      if (!p.accepted) this.deps.log.error({ pileId: p.pileId, commandId: p.commandId, reason: p.reason }, 'the pile refused a stop command');
      return;
    }
    const command: StationCommand = p.accepted
      ? { type: 'sessionConfirmed', pileNo, sessionId, startedAt: p.at }
      : { type: 'sessionStartFailed', pileNo, sessionId, reason: `the pile refused the start${p.reason ? `: ${p.reason}` : ''}` };
    await this.execQuiet(stationId, command, correlationId);
  }

  /**
   * Resolves once no start of the station is on its way to a pile that has a holder (each answered, or held for a
   * pile nobody holds), or after `maxMs`. Used before time moves, so a manual clock stays deterministic.
   */
  async settled(stationId: string, maxMs: number): Promise<void> {
    const end = this.deps.realNow() + maxMs;
    for (;;) {
      const state = await this.deps.load(stationId);
      if (!state) return;
      const starting = startingCommands(state);
      if (starting.length === 0) return;
      let waiting = false;
      for (const cmd of starting) {
        const rec = await this.get(cmd.commandId);
        if (rec?.to === null) continue; // held: nobody holds the pile, it will not answer soon
        if (await this.deps.registry.isHeld(cmd.pileId)) waiting = true;
      }
      if (!waiting || this.deps.realNow() >= end) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A pile (re)connected: held commands for it go out now (to whichever replica holds it), not at the next scan. */
  async pileOnline(pileId: string): Promise<void> {
    for (const rec of (await this.deps.held.all()).values()) {
      if (rec.cmd.pileId !== pileId || rec.unreachable === null) continue;
      await this.put({ ...rec, unreachable: null });
    }
    await this.scan();
  }

  /** One pass over every station's starting sessions and every held command. */
  scan(): Promise<void> {
    if (this.scanning) {
      // asked during a pass: one more pass after it, which sees what changed meanwhile
      this.rescan ??= this.scanning.then(() => {
        this.rescan = undefined;
        return this.scan();
      });
      return this.rescan;
    }
    this.scanning = this.scanNow().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanNow(): Promise<void> {
    const { deps } = this;
    try {
      const held = await deps.held.all();
      const starting: { stationId: string; cmd: PileCommand }[] = [];
      for (const stationId of deps.stationIds()) {
        const state = await deps.load(stationId);
        if (!state) continue;
        for (const cmd of startingCommands(state)) starting.push({ stationId, cmd });
      }
      const live = new Set(starting.map((s) => s.cmd.commandId));
      // held stops first: a stop held for a pile ends an older session than any start waiting for that pile, and a
      // pile that got the new start before the old stop would stop the new session
      for (const [id, rec] of held) {
        if (live.has(id)) continue;
        // a start whose session is no longer starting was answered (or dropped) meanwhile
        if (rec.cmd.action === 'start') await this.drop(id);
        else {
          const fresh = await this.get(id);
          if (fresh) await this.follow(rec.cmd.stationId ?? '', rec.cmd, fresh);
        }
      }
      for (const { stationId, cmd } of starting) await this.follow(stationId, cmd, await this.get(cmd.commandId));
    } catch (err) {
      deps.log.error({ err }, 'pile command scan failed');
    }
  }

  private async follow(stationId: string, cmd: PileCommand, found: HeldCommand | null): Promise<void> {
    const { deps } = this;
    const now = deps.realNow();
    const owner = await deps.registry.ownerOf(cmd.pileId);
    // first seen: the writer sent it to the holder of that moment (none: it waits for one)
    const rec: HeldCommand = found ?? { cmd, since: now, sentAt: now, to: owner, attempts: owner ? 1 : 0, unreachable: null };
    const step = nextStep(rec, now, owner, deps.timing);
    switch (step.kind) {
      case 'wait':
        if (!found) await this.put(rec);
        return;
      case 'hold':
        await this.put({ ...rec, to: null, attempts: 0 });
        return;
      case 'send': {
        const attempts = step.to === rec.to ? rec.attempts + 1 : 1;
        await this.put({ ...rec, to: step.to, sentAt: now, attempts });
        try {
          await deps.send(cmd, step.to);
          deps.log.info({ commandId: cmd.commandId, pileId: cmd.pileId, to: step.to, attempts }, 'pile command sent again');
        } catch (err) {
          deps.log.warn({ err, commandId: cmd.commandId }, 'pile command could not be sent; retrying at the next scan');
        }
        return;
      }
      case 'fail':
        await this.drop(cmd.commandId);
        if (cmd.action === 'stop') {
          deps.log.error({ commandId: cmd.commandId, pileId: cmd.pileId, reason: step.reason }, 'pile stop command given up');
          return;
        }
        deps.log.error({ commandId: cmd.commandId, pileId: cmd.pileId, reason: step.reason }, 'pile start failed: the pile goes to fault');
        await this.execQuiet(stationId, { type: 'sessionStartFailed', pileNo: cmd.pileNo!, sessionId: cmd.sessionId!, reason: step.reason },
          `pile-command:${cmd.commandId}`);
    }
  }

  /** Runs a start report on the station; one that lost a race (already answered, pile already down) is ignored. */
  private async execQuiet(stationId: string, command: StationCommand, correlationId: string): Promise<void> {
    try {
      await this.deps.exec(stationId, command, correlationId);
    } catch (err) {
      if (isDomainError(err) && (err.code === 'PILE_STATE' || err.code === 'NOT_FOUND' || err.code === 'CONFLICT')) {
        this.deps.log.info({ stationId, command: command.type, err: err.message }, 'start report ignored');
        return;
      }
      throw err;
    }
  }
}
