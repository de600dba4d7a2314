// Redis-held state of the pile-command watch (../pile-commands.ts): the hash `${ns}:scheduler:pile-commands`
// {commandId -> HeldCommand JSON}, so any replica can go on where another left off, and reads of the
// device-bridge's pile registry (`${ns}:pile-owner:<pileId>` -> replicaId; the bridge writes it).
import type { Redis } from 'ioredis';
import { deviceNames } from '@voltq/contracts';
import type { HeldCommand } from '../domain/pile-commands.js';

export class HeldCommands {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    ns: string,
  ) {
    this.key = `${ns}:scheduler:pile-commands`;
  }

  async get(commandId: string): Promise<HeldCommand | null> {
    const raw = await this.redis.hget(this.key, commandId);
    return raw ? (JSON.parse(raw) as HeldCommand) : null;
  }

  async put(rec: HeldCommand): Promise<void> {
    await this.redis.hset(this.key, rec.cmd.commandId, JSON.stringify(rec));
  }

  async drop(commandId: string): Promise<void> {
    await this.redis.hdel(this.key, commandId);
  }

  /** Every held command, by command id. */
  async all(): Promise<Map<string, HeldCommand>> {
    const held = new Map<string, HeldCommand>();
    for (const [id, raw] of Object.entries(await this.redis.hgetall(this.key))) held.set(id, JSON.parse(raw) as HeldCommand);
    return held;
  }
}

/** The device-bridge's registry of which replica holds a pile's connection (read only here). */
export class PileRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {}

  /** The replica holding the pile, or null (a modelled pile nobody drives, or one that is offline now). */
  ownerOf(pileId: string): Promise<string | null> {
    return this.redis.get(deviceNames.pileOwnerKey(this.ns, pileId));
  }

  async isHeld(pileId: string): Promise<boolean> {
    return (await this.redis.exists(deviceNames.pileOwnerKey(this.ns, pileId))) === 1;
  }
}
