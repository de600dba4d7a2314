// Document 002's car change (PATCH /client/index/car) as auth.updateCar: only the owner's car, only plate and
// capacity, a plate taken by the user's other car is CONFLICT, bad input VALIDATION; nothing stored on a refusal.
import t from 'tap';
import { startHarness, outcome } from '../support/harness.js';

const h = await startHarness('authcar', 'auth-cars-test');
t.teardown(() => h.close());
const bus = h.bus;
const auth = await h.startReplica();
const cars = auth.ctx.mongo!.collection('cars');

t.test('auth.updateCar', async (t) => {
  const gil = await bus.call('auth.register', { username: 'gil@example.com', password: 'gil-pw-1' });
  const hal = await bus.call('auth.register', { username: 'hal', password: 'hal-pw-1' });
  const car = await bus.call('auth.addCar', { userId: gil.userId, plate: 'ZJ-D0001', capacityWms: 1000 });
  await bus.call('auth.addCar', { userId: gil.userId, plate: 'ZJ-D0002' });
  const stored = await cars.findOne({ carId: car.carId });

  t.equal(await outcome(bus.call('auth.updateCar', { userId: hal.userId, carId: car.carId, plate: 'X' })), 'NOT_FOUND', "another user's car");
  t.equal(await outcome(bus.call('auth.updateCar', { userId: gil.userId, carId: 'no-such-car', plate: 'X' })), 'NOT_FOUND');
  t.equal(await outcome(bus.call('auth.updateCar', { userId: gil.userId, carId: car.carId, plate: 'ZJ-D0002' })), 'CONFLICT', 'the plate of her other car');
  for (const bad of [{ plate: '' }, { capacityWms: -1 }, { capacityWms: 1.5 }, { capacityWms: '5' }, { userId: hal.userId, owner: 'x' }, { createdAt: 1 }]) {
    t.equal(await outcome(bus.call('auth.updateCar', { userId: gil.userId, carId: car.carId, ...bad } as never)), 'VALIDATION', `refused: ${JSON.stringify(bad)}`);
  }
  t.same(await cars.findOne({ carId: car.carId }), stored, 'nothing changed');

  t.match(await bus.call('auth.updateCar', { userId: gil.userId, carId: car.carId, capacityWms: 2000 }), { carId: car.carId, plate: 'ZJ-D0001', capacityWms: 2000 });
  t.match(await bus.call('auth.updateCar', { userId: gil.userId, carId: car.carId, plate: 'ZJ-D0003' }), { plate: 'ZJ-D0003', capacityWms: 2000 }, 'absent fields stay');
  t.match(await bus.call('auth.updateCar', { userId: gil.userId, carId: car.carId }), { plate: 'ZJ-D0003' }, 'an empty change answers the car');
  t.same(await cars.findOne({ carId: car.carId }), { ...stored, plate: 'ZJ-D0003', capacityWms: 2000 }, 'only plate and capacity');
});
