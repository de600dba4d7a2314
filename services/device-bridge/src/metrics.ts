// The bridge's metrics on the service's registry (kit's /metrics shows them beside the bus's): piles held per
// protocol (read from the hub at each scrape, so it cannot drift), inbound messages by action and result with their
// latency, device.commands by outcome, and connections refused by the admission limit. Labels come from allow-lists
// only (message kinds, OCPP actions the door handles), never from what a pile sends.
import { Counter, Gauge, Histogram, LATENCY_BUCKETS_S, type Metrics } from '@voltq/kit';

export type PileProtocol = 'ocpp1.6' | 'ws' | 'tcp';
export const PILE_PROTOCOLS: readonly PileProtocol[] = ['ocpp1.6', 'ws', 'tcp'];
export type InboundResult = 'ok' | 'error' | 'refused';
export type CommandOutcome = 'accepted' | 'rejected' | 'timeout' | 'offline';

export interface BridgeMetrics {
  inbound(protocol: PileProtocol, action: string, result: InboundResult, seconds: number): void;
  /** protocol: the door holding the pile, or the registered protocol (`json`) of a pile held nowhere */
  command(protocol: PileProtocol | 'json', command: string, outcome: CommandOutcome): void;
  admissionRefused(protocol: PileProtocol): void;
}

export function createBridgeMetrics(registry: Metrics['registry'], connected: () => Record<PileProtocol, number>): BridgeMetrics {
  const registers = [registry];
  new Gauge({
    name: 'voltq_pile_connections',
    help: 'Piles this replica holds (logged in), by protocol',
    labelNames: ['protocol'],
    registers,
    collect() {
      const counts = connected();
      for (const protocol of PILE_PROTOCOLS) this.set({ protocol }, counts[protocol]);
    },
  });
  const inbound = new Counter({
    name: 'voltq_pile_inbound_total',
    help: 'Messages (OCPP calls) from piles, by protocol, action and result (ok | error | refused)',
    labelNames: ['protocol', 'action', 'result'],
    registers,
  });
  const inboundSeconds = new Histogram({
    name: 'voltq_pile_inbound_seconds',
    help: 'Time from a pile message (OCPP call) to its answer',
    labelNames: ['protocol', 'action'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const commands = new Counter({
    name: 'voltq_pile_commands_total',
    help: 'device.command sent to piles, by protocol, command and outcome (accepted | rejected | timeout | offline)',
    labelNames: ['protocol', 'command', 'outcome'],
    registers,
  });
  const refused = new Counter({
    name: 'voltq_pile_admission_refused_total',
    help: 'New pile connections refused by the admission limit (PILE_ADMISSION_PER_SECOND), by protocol',
    labelNames: ['protocol'],
    registers,
  });
  return {
    inbound(protocol, action, result, seconds) {
      inbound.inc({ protocol, action, result });
      inboundSeconds.observe({ protocol, action }, seconds);
    },
    command: (protocol, command, outcome) => commands.inc({ protocol, command, outcome }),
    admissionRefused: (protocol) => refused.inc({ protocol }),
  };
}
