// Order identities: orderId (opaque, unique everywhere) and orderNo (what a user reads: station-local date + a
// daily sequence from Redis).
import { randomUUID } from 'node:crypto';
import { formatIso, type ServiceContext } from '@voltq/kit';

type Redis = ServiceContext['redis'];

export function newOrderId(): string {
  return randomUUID();
}

/** `20250101` for an instant, in the station's zone. */
export function localDate(ms: number, timeZone?: string): string {
  return formatIso(ms, timeZone).slice(0, 10).replaceAll('-', '');
}

/** e.g. `20250101000042`: date + 6-digit daily sequence. */
export async function nextOrderNo(redis: Redis, ns: string, nowMs: number): Promise<string> {
  const day = localDate(nowMs);
  const key = `${ns}:order:no:${day}`;
  const [[, seq]] = (await redis.multi().incr(key).expire(key, 3 * 24 * 3600).exec()) as [[unknown, number]];
  return `${day}${String(seq).padStart(6, '0')}`;
}
