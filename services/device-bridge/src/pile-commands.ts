// Pile commands reaching this replica (`${ns}.device-bridge.pile-command.<replicaId>`, README "Pile commands"):
// delivered to the pile held here, forwarded to the replica that holds it now, or answered `device.command-failed`
// to the sender, which holds it until the pile reconnects or fails it visibly; never dropped here.
import type { Envelope, PileCommand } from '@voltq/contracts';
import { deviceNames } from '@voltq/contracts';
import type { Bus, Clock, Logger, ReturnedEnvelope } from '@voltq/kit';
import type { PileHub } from './hub.js';
import type { Presence } from './store/presence.js';

export interface PileCommandRouterDeps {
  bus: Bus;
  hub: PileHub;
  presence: Presence;
  clock: Clock;
  log: Logger;
  replicaId: string;
}

export class PileCommandRouter {
  constructor(private readonly deps: PileCommandRouterDeps) {}

  /** One `pile.command` from the queue. */
  async route(msg: Envelope<'pile.command'>, mlog: Logger): Promise<void> {
    const { bus, hub, presence, replicaId } = this.deps;
    const cmd = msg.payload;
    if (hub.deliver(cmd)) {
      mlog.info({ pileId: cmd.pileId, action: cmd.action, commandId: cmd.commandId }, 'pile command sent');
      return;
    }
    // the pile moved to another replica since the sender looked it up
    const owner = await presence.ownerOf(cmd.pileId);
    if (owner && owner !== replicaId) {
      await bus.send('pile.command', cmd, { routingKey: deviceNames.pileCommandRoutingKey(owner), correlationId: msg.correlationId });
      mlog.info({ pileId: cmd.pileId, owner }, 'pile command forwarded to the replica holding the pile');
      return;
    }
    // nobody holds the pile (it disconnected, or its replica died before it reconnected): the command goes back
    // to its sender, which holds it until the pile reconnects or fails it visibly; never dropped here
    await this.commandFailed(cmd, msg.correlationId);
    mlog.warn({ pileId: cmd.pileId, action: cmd.action, commandId: cmd.commandId }, 'pile command for a pile not held here: answered command-failed');
  }

  /** A command forwarded to a replica that died meanwhile comes back from the broker: answer it as failed. */
  returned(r: ReturnedEnvelope): void {
    if (r.env?.type !== 'pile.command') return;
    const cmd = r.env.payload as PileCommand;
    this.commandFailed(cmd, r.env.correlationId).catch((err: unknown) =>
      this.deps.log.error({ err, commandId: cmd.commandId, pileId: cmd.pileId }, 'could not answer a returned pile command'));
  }

  private async commandFailed(cmd: PileCommand, correlationId: string): Promise<void> {
    const { bus, clock, replicaId } = this.deps;
    await bus.publish('device.command-failed', {
      pileId: cmd.pileId,
      ...(cmd.stationId ? { stationId: cmd.stationId } : {}),
      ...(cmd.pileNo ? { pileNo: cmd.pileNo } : {}),
      commandId: cmd.commandId,
      reason: 'not-connected',
      replicaId,
      command: cmd,
      at: clock.now(),
    }, { correlationId });
  }
}
