// The pure rules of 004's walk-up vocabulary and operator commands, without a server: exact limits from a create's
// chargingParameter, port ids, a card start's target, each operator command with exactly its fields.
import t from 'tap';
import { DomainError } from '@voltq/kit';
import { cardStartTarget, createLimit, parseCreatePortId, parsePortId, scaledInteger } from '../../../src/dialects/d004/walkup.js';
import { operatorControl } from '../../../src/dialects/d004/commands.js';

/** The domain code a call refuses with ('none' when it does not refuse). */
function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof DomainError ? err.code : 'other';
  }
}


t.test('chargingParameter in exact units', async (t) => {
  t.same(createLimit(2, 0.07), { limitFeeFen: 7 });
  t.same(createLimit(2, 100000), { limitFeeFen: 10_000_000 });
  t.same(createLimit(3, 90.5), { limitDurationMs: 5_430_000 });
  t.same(createLimit(3, 0.0001), { limitDurationMs: 6 });
  t.same(createLimit(4, 0.1), { limitEnergyWms: 360_000_000 });
  t.same(createLimit(4, 12.345678), { limitEnergyWms: 12_345_678 * 3600 });
  t.same(createLimit(1, undefined), {});
  t.same(createLimit(1, 5), {}, 'mode 1: a parameter is ignored');
  for (const [mode, value] of [[2, 10.001], [2, 0], [2, 100000.01], [3, 0.00001], [4, 1.0000001], [4, 1e-7], [5, 1], [2, undefined], [3, undefined], [6, 1]] as const) {
    t.equal(refusal(() => createLimit(mode, value)), 'VALIDATION', `mode ${mode} ${String(value)}`);
  }
  t.equal(scaledInteger(0.07, 2, 'x', 'yuan'), 7, 'the shortest decimal form, not 7.000000000000001');
});

t.test('port ids', async (t) => {
  t.same(parsePortId('walk-P1-2'), { pileId: 'walk-P1', portNo: 2 });
  t.same(parsePortId('a-b-c-64'), { pileId: 'a-b-c', portNo: 64 });
  for (const id of ['walk-P1', 'walk-P1-0', 'walk-P1-65', '-1', 'x-1.5']) t.equal(parsePortId(id), undefined, id);
  t.same(parseCreatePortId('3'), { portNo: 3 });
  t.same(parseCreatePortId('walk-P1-3'), { pileId: 'walk-P1', portNo: 3 });
  t.equal(parseCreatePortId('0'), undefined);
});

t.test("a card start's target", async (t) => {
  t.same(cardStartTarget(undefined, undefined), {});
  t.same(cardStartTarget(1, 500), {});
  t.same(cardStartTarget(4, 1050), { targetEnergyWms: 1050 * 36_000_000 });
  for (const [mode, param] of [[4, 0], [4, undefined], [2, 100], [3, 60], [5, 1]] as const) {
    t.equal(refusal(() => cardStartTarget(mode, param)), 'VALIDATION', `mode ${mode}`);
  }
});

t.test('operator commands: exactly their fields', async (t) => {
  t.same(operatorControl({ command: 'reset', type: 'Hard' }), { command: 'reset', type: 'Hard' });
  t.same(operatorControl({ command: 'availability', connectorId: 0, type: 'Operative' }), { command: 'availability', connectorId: 0, type: 'Operative' });
  t.same(operatorControl({ command: 'get-configuration', keys: ['A'] }), { command: 'get-configuration', keys: ['A'] });
  t.same(operatorControl({ command: 'change-configuration', key: 'K', value: '' }), { command: 'change-configuration', key: 'K', value: '' });
  t.same(operatorControl({ command: 'trigger', message: 'Heartbeat' }), { command: 'trigger', message: 'Heartbeat' });
  for (const body of [
    { command: 'reset' as const, type: 'Operative' },
    { command: 'reset' as const },
    { command: 'unlock' as const, connectorId: 0 },
    { command: 'unlock' as const, connectorId: 1, type: 'Soft' },
    { command: 'availability' as const, connectorId: 1, type: 'Soft' },
    { command: 'change-configuration' as const, key: 'K' },
    { command: 'trigger' as const, message: 'x', connectorId: 0 },
  ]) t.equal(refusal(() => operatorControl(body)), 'VALIDATION', JSON.stringify(body));
});
