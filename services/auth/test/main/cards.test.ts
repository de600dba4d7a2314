// RFID cards (auth.addCard / listCards / removeCard / cardOwner): a card belongs to one user whatever its case, the
// user's own card again is a retry, another user's is CONFLICT, bad ids VALIDATION; nothing stored on a refusal.
import t from 'tap';
import { startHarness, outcome } from '../support/harness.js';

const h = await startHarness('authcard', 'auth-cards-test');
t.teardown(() => h.close());
const bus = h.bus;
const auth = await h.startReplica();
const cards = auth.ctx.mongo!.collection('cards');

t.test('bind, list, look up and remove a card', async (t) => {
  const ivy = await bus.call('auth.register', { username: 'ivy', password: 'ivy-pw-01' });
  const jon = await bus.call('auth.register', { username: 'jon', password: 'jon-pw-01' });
  const card = await bus.call('auth.addCard', { userId: ivy.userId, cardId: 'Card-0001' });
  t.match(card, { cardId: 'Card-0001', createdAt: Number });
  t.same(await bus.call('auth.addCard', { userId: ivy.userId, cardId: 'CARD-0001' }), card, 'her own card again (any case): the same card');
  t.equal(await outcome(bus.call('auth.addCard', { userId: jon.userId, cardId: 'card-0001' })), 'CONFLICT', "another user's card, in other letters");
  t.same(await bus.call('auth.cardOwner', { cardId: 'card-0001' }), { cardId: 'Card-0001', userId: ivy.userId }, 'a pile may send it in any case');
  await bus.call('auth.addCard', { userId: ivy.userId, cardId: 'Card-0002' });
  t.same((await bus.call('auth.listCards', { userId: ivy.userId })).items.map((c) => c.cardId), ['Card-0001', 'Card-0002'], 'oldest first');
  t.same((await bus.call('auth.listCards', { userId: jon.userId })).items, [], "jon's list is his own");

  t.equal(await outcome(bus.call('auth.removeCard', { userId: jon.userId, cardId: 'Card-0001' })), 'NOT_FOUND', "jon cannot remove ivy's card");
  t.same(await bus.call('auth.removeCard', { userId: ivy.userId, cardId: 'card-0001' }), card);
  t.equal(await outcome(bus.call('auth.cardOwner', { cardId: 'Card-0001' })), 'NOT_FOUND', 'a removed card has no owner');
  t.match(await bus.call('auth.addCard', { userId: jon.userId, cardId: 'Card-0001' }), { cardId: 'Card-0001' }, 'a freed card can be bound again');
  t.equal(await outcome(bus.call('auth.addCard', { userId: '999', cardId: 'Card-9' })), 'NOT_FOUND', 'an unknown user');
});

t.test('bad card ids are refused, nothing stored', async (t) => {
  const kim = await bus.call('auth.register', { username: 'kim', password: 'kim-pw-01' });
  const before = await cards.countDocuments();
  for (const cardId of ['', 'x'.repeat(21), 'has space', 'tab\t', 'ünï']) {
    t.equal(await outcome(bus.call('auth.addCard', { userId: kim.userId, cardId })), 'VALIDATION', JSON.stringify(cardId));
  }
  t.equal(await outcome(bus.call('auth.addCard', { userId: kim.userId, cardId: 'C1', owner: 'x' } as never)), 'VALIDATION', 'an unknown field');
  t.equal(await cards.countDocuments(), before);
});
