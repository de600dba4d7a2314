// The user's live request: the stored order plus what only the scheduler knows right now (cars ahead, energy and
// fee of the running session). Pure.
import type { OrderView, QueueEntryView } from '@voltq/contracts';
import { isFinal, toView, type OrderDoc } from './order.js';

/** The live view: the scheduler's facts (fresher than the stored events) over the stored order. */
export function liveView(doc: OrderDoc, position: QueueEntryView | undefined): OrderView {
  const view = toView(doc);
  if (!position || isFinal(doc.state) || isFinal(position.state)) return view;
  view.state = position.state;
  view.queueNo = position.queueNo;
  view.mode = position.mode;
  view.energyWms = position.energyWms;
  view.position = position.carsAhead;
  if (position.pileNo !== undefined) view.pileNo = position.pileNo;
  else delete view.pileNo;
  if (position.sessionId !== undefined && position.state === 'charging') view.sessionId = position.sessionId;
  // the scheduler counts every session including the running one; the stored sums may lag behind its events
  view.requestChargedWms = Math.max(view.requestChargedWms, position.requestChargedWms);
  view.requestFeeFen = Math.max(view.requestFeeFen, position.requestFeeFen);
  return view;
}
