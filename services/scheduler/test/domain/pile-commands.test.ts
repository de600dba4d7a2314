// What the pile-command watch does with a held command, decided without Redis or a bus.
import t from 'tap';
import type { PileCommand } from '@voltq/contracts';
import { nextStep, type HeldCommand } from '../../src/domain/pile-commands.js';

t.test('nextStep: send to a new holder, hold while none, give up after the wait', async (t) => {
  const timing = { ackTimeoutMs: 100, waitMs: 1000 };
  const cmd = { commandId: 'start:x#1', pileId: 'default-F1', action: 'start' } as PileCommand;
  const held: HeldCommand = { cmd, since: 0, sentAt: 0, to: null, attempts: 0, unreachable: 'dead' };
  t.same(nextStep(held, 10, 'dead', timing), { kind: 'wait' }, 'not to the replica that could not deliver it');
  t.same(nextStep(held, 10, 'r2', timing), { kind: 'send', to: 'r2' });
  t.match(nextStep(held, 1000, null, timing), { kind: 'fail' });
  const sent: HeldCommand = { ...held, to: 'r2', sentAt: 500, attempts: 1, unreachable: null };
  t.same(nextStep(sent, 550, 'r2', timing), { kind: 'wait' }, 'within the ack timeout');
  t.same(nextStep(sent, 650, 'r2', timing), { kind: 'send', to: 'r2' }, 'once more');
  t.match(nextStep({ ...sent, attempts: 2 }, 650, 'r2', timing), { kind: 'fail' });
  t.same(nextStep(sent, 650, null, timing), { kind: 'hold' }, 'the pile went away: wait for it');
  t.same(nextStep(sent, 650, 'r3', timing), { kind: 'send', to: 'r3' }, 'it moved');
});
