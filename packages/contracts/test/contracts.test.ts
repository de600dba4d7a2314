import t from 'tap';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import {
  messageSchemas,
  rpcSchemas,
  ERROR_CODES,
  EnvelopeSchema,
  RpcReplySchema,
  SessionEnded,
  RechargeParams,
  RECHARGE_MAX_FEN,
  OrderListParams,
  isMessageType,
  isRpcMethod,
  messageSchema,
  WMS_PER_KWH,
  Email,
  normalizeUsername,
  Username,
  usernameKey,
  type SessionEnded as SessionEndedT,
} from '../src/index.js';

t.test('every message and RPC schema compiles', async (t) => {
  for (const [name, schema] of Object.entries(messageSchemas)) {
    t.doesNotThrow(() => TypeCompiler.Compile(schema), name);
  }
  for (const [name, pair] of Object.entries(rpcSchemas)) {
    t.doesNotThrow(() => TypeCompiler.Compile(pair.params), `${name} params`);
    t.doesNotThrow(() => TypeCompiler.Compile(pair.result), `${name} result`);
  }
});

t.test('the charge-flow catalogue is complete', async (t) => {
  for (const type of [
    'order.queued', 'order.dispatched', 'order.modified', 'order.cancelled', 'order.requeued', 'order.finished',
    'session.started', 'session.ended', 'bill.created', 'pile.status-changed', 'pile.faulted', 'pile.recovered',
    'device.pile-online', 'device.pile-offline', 'device.pile-fault', 'device.pile-recovered', 'pile.command',
  ]) t.ok(isMessageType(type), type);
  for (const m of [
    'auth.register', 'auth.login', 'auth.adminLogin', 'auth.userInfo', 'auth.jwks', 'order.request', 'order.get',
    'order.list', 'order.modify', 'order.cancel', 'scheduler.submit', 'scheduler.modify', 'scheduler.cancel',
    'scheduler.position', 'scheduler.board', 'scheduler.configure', 'scheduler.pileStatus', 'scheduler.clockSet',
    'scheduler.clockAdvance', 'scheduler.clockGet', 'billing.getBill', 'billing.listBills',
    'billing.recharge', 'billing.balance', 'billing.ledger',
  ]) t.ok(isRpcMethod(m), m);
  t.notOk(isMessageType('toString'), 'prototype names are not message types');
  t.equal(messageSchema('nope.nothing'), undefined);
  t.ok(ERROR_CODES.includes('TIMEOUT') && ERROR_CODES.includes('INTERNAL'));
});

t.test('session.ended accepts a well-formed payload and rejects bad units', async (t) => {
  const check = TypeCompiler.Compile(SessionEnded);
  const ok: SessionEndedT = {
    sessionId: 's1', orderId: 'o1', userId: 'u1', carId: 'c1', stationId: 'default', pileNo: 'F1', queueNo: 'F1',
    startedAt: 1_700_000_000_000, endedAt: 1_700_000_360_000, energyWms: 3 * WMS_PER_KWH, powerW: 30_000,
    reason: 'completed',
  };
  t.ok(check.Check(ok));
  t.notOk(check.Check({ ...ok, energyWms: 1.5 }), 'energy must be an integer');
  t.notOk(check.Check({ ...ok, reason: 'exploded' }), 'unknown reason');
  const { sessionId: _s, ...missing } = ok;
  t.notOk(check.Check(missing), 'sessionId is required');
});

t.test('a recharge is a whole, positive number of fen up to RECHARGE_MAX_FEN, with its request id', async (t) => {
  const check = TypeCompiler.Compile(RechargeParams);
  const ok = { userId: 'u1', amountFen: 5000, requestId: 'r1' };
  t.ok(check.Check(ok));
  t.ok(check.Check({ ...ok, amountFen: RECHARGE_MAX_FEN }), 'the maximum');
  for (const amountFen of [0, -1, 0.5, RECHARGE_MAX_FEN + 1]) t.notOk(check.Check({ ...ok, amountFen }), `${amountFen}`);
  t.notOk(check.Check({ ...ok, requestId: '' }), 'a request id is required');
});

t.test('envelope and reply frames', async (t) => {
  t.ok(Value.Check(EnvelopeSchema, { id: 'a', type: 'x.y', occurredAt: '2025-01-01T08:00:00.000+08:00', correlationId: 'c', payload: {} }));
  t.notOk(Value.Check(EnvelopeSchema, { id: '', type: 'x.y', occurredAt: 'z', correlationId: 'c', payload: {} }));
  t.ok(Value.Check(RpcReplySchema, { ok: true, result: 1 }));
  t.ok(Value.Check(RpcReplySchema, { ok: false, error: { code: 'NOT_FOUND', message: 'no' } }));
  t.notOk(Value.Check(RpcReplySchema, { ok: false, result: 1 }));
});

t.test('list params get page defaults', async (t) => {
  const params = Value.Default(OrderListParams, { userId: 'u1' }) as { pageNum: number; pageSize: number };
  t.equal(params.pageNum, 1);
  t.equal(params.pageSize, 20);
});

t.test('usernames: one key whatever the case and surrounding blanks', async (t) => {
  t.equal(normalizeUsername('  Ann.Lee@Example.com\t'), 'Ann.Lee@Example.com');
  t.equal(usernameKey('  Ann.Lee@Example.com\t'), 'ann.lee@example.com');
  t.equal(usernameKey('Cafe\u0301'), usernameKey('CAFÉ'), 'NFC before case');
  t.ok(Value.Check(Email, 'a@b.cn'));
  t.notOk(Value.Check(Email, 'a@b'));
  t.ok(Value.Check(Username, `${'a'.repeat(240)}@example.com`), 'an e-mail account name fits');
});
