// Billing: bills (详单) and their events and RPC.
import { Type, type Static } from '@sinclair/typebox';
import { EnergyWms, EpochMs, FeeFen, Id, Page, PageParams, type RpcSchemaPair } from './common.js';

export const TierSplit = Type.Object({
  tier: Type.String({ description: 'sharp | peak | flat | valley | deep-valley' }),
  energyWms: EnergyWms(),
  energyFeeFen: FeeFen(),
  serviceFeeFen: FeeFen(),
});
export type TierSplit = Static<typeof TierSplit>;

export const Bill = Type.Object({
  billId: Id,
  billNo: Type.String(),
  sessionId: Id,
  orderId: Id,
  userId: Id,
  carId: Type.Optional(Id),
  stationId: Id,
  pileNo: Type.String(),
  startedAt: EpochMs(),
  endedAt: EpochMs(),
  durationMs: Type.Integer({ minimum: 0 }),
  energyWms: EnergyWms(),
  energyFeeFen: FeeFen(),
  serviceFeeFen: FeeFen(),
  totalFeeFen: FeeFen(),
  tiers: Type.Array(TierSplit),
  createdAt: EpochMs(),
});
export type Bill = Static<typeof Bill>;

/** bill.created carries the whole bill: the order service links it and the gateway can push it. */
export const BillCreated = Bill;
export type BillCreated = Bill;

export const billingMessages = {
  'bill.created': BillCreated,
} as const;

export const GetBillParams = Type.Object({ billId: Id, userId: Type.Optional(Id) });
export const ListBillsParams = Type.Object({
  userId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  stationId: Type.Optional(Id),
  ...PageParams,
});
export const BillList = Page(Bill);

export const billingRpc = {
  'billing.getBill': { params: GetBillParams, result: Bill },
  'billing.listBills': { params: ListBillsParams, result: BillList },
} as const satisfies Record<string, RpcSchemaPair>;
