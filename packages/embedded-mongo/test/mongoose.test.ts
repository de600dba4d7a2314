// mongoose as the services use it: connect with a database in the URI, models with validation, defaults,
// timestamps, unique indexes, populate, lean queries, updates, aggregation and syncIndexes.
import t from 'tap';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/index.js';

t.test('mongoose models over the embedded server', async (t) => {
  const server = await startEmbeddedMongo({ port: 0 });
  const conn = await mongoose.createConnection(`${server.uri}/voltq_mongoose`).asPromise();
  t.teardown(async () => {
    await conn.close();
    await server.stop();
  });

  const userSchema = new mongoose.Schema(
    {
      email: { type: String, required: true, unique: true, lowercase: true, trim: true },
      name: { type: String, default: 'driver' },
      balanceFen: { type: Number, default: 0, min: 0 },
      role: { type: String, enum: ['user', 'admin'], default: 'user' },
      cars: [{ plate: String, capacityWh: Number }],
    },
    { timestamps: true },
  );
  const orderSchema = new mongoose.Schema(
    {
      user: { type: mongoose.Schema.Types.ObjectId, ref: 'User', required: true },
      mode: { type: String, enum: ['fast', 'slow'], required: true },
      energyWh: { type: Number, required: true },
      state: { type: String, default: 'waiting' },
    },
    { timestamps: true },
  );
  orderSchema.index({ user: 1, createdAt: -1 });
  const User = conn.model('User', userSchema);
  const Order = conn.model('Order', orderSchema);
  await User.init();
  await Order.init();

  t.test('create with defaults, timestamps and validation', async (t) => {
    const u = await User.create({ email: '  Ann@Example.COM ', cars: [{ plate: 'A1', capacityWh: 60000 }] });
    t.equal(u.email, 'ann@example.com');
    t.equal(u.name, 'driver');
    t.equal(u.role, 'user');
    t.ok(u.createdAt instanceof Date);
    t.equal(u.createdAt.getTime(), u.updatedAt.getTime());
    const stored = await User.findById(u._id).lean();
    t.equal(stored!.email, 'ann@example.com');
    t.equal(stored!.cars[0]!.plate, 'A1');
    t.ok(stored!.createdAt instanceof Date);
    await t.rejects(User.create({ email: 'x@y', role: 'root' as never }), { name: 'ValidationError' });
    await t.rejects(User.create({ name: 'no email' }), { name: 'ValidationError' });
    await t.rejects(User.create({ email: 'ANN@example.com' }), { code: 11000 }, 'the unique index is enforced');
    t.equal(await User.countDocuments(), 1);
  });

  t.test('updates, timestamps on update, upserts', async (t) => {
    const u = await User.create({ email: 'bob@example.com' });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await User.findOneAndUpdate({ _id: u._id }, { $inc: { balanceFen: 500 } }, { returnDocument: 'after' });
    t.equal(updated!.balanceFen, 500);
    t.ok(updated!.updatedAt.getTime() > u.updatedAt.getTime(), 'updatedAt moves');
    t.equal(updated!.createdAt.getTime(), u.createdAt.getTime(), 'createdAt stays');
    await t.rejects(User.updateOne({ _id: u._id }, { $set: { balanceFen: -1 } }, { runValidators: true }), { name: 'ValidationError' });
    const up = await User.updateOne({ email: 'cy@example.com' }, { $set: { name: 'cy' } }, { upsert: true });
    t.equal(up.upsertedCount, 1);
    const cy = await User.findOne({ email: 'cy@example.com' }).lean();
    t.equal(cy!.name, 'cy');
    t.ok(cy!.createdAt instanceof Date, 'timestamps set on upsert ($setOnInsert)');
    const doc = await User.findOne({ email: 'bob@example.com' });
    doc!.cars.push({ plate: 'B2', capacityWh: 40000 });
    doc!.name = 'Bob';
    await doc!.save();
    const again = await User.findById(doc!._id).lean();
    t.equal(again!.name, 'Bob');
    t.same(again!.cars.map((c) => c.plate), ['B2']);
    t.equal(again!.__v, 1, 'array modification bumps the version key');
  });

  t.test('populate, sort, paginate, aggregate', async (t) => {
    const ann = await User.findOne({ email: 'ann@example.com' });
    const bob = await User.findOne({ email: 'bob@example.com' });
    for (let i = 0; i < 12; i++) {
      await Order.create({ user: i % 3 === 0 ? bob!._id : ann!._id, mode: i % 2 ? 'fast' : 'slow', energyWh: 1000 * (i + 1) });
    }
    const page = await Order.find({ user: ann!._id }).sort({ energyWh: -1 }).skip(2).limit(3).populate('user', 'email').lean();
    t.equal(page.length, 3);
    t.same(page.map((o) => o.energyWh), [9000, 8000, 6000]);
    t.equal((page[0]!.user as unknown as { email: string }).email, 'ann@example.com');
    t.notOk('name' in (page[0]!.user as object), 'populate honours the selected fields');
    const totals = await Order.aggregate<{ _id: string; energyWh: number; n: number }>([
      { $group: { _id: '$mode', energyWh: { $sum: '$energyWh' }, n: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ]);
    t.same(totals, [
      { _id: 'fast', energyWh: 42000, n: 6 },
      { _id: 'slow', energyWh: 36000, n: 6 },
    ]);
    t.equal(await Order.countDocuments({ mode: 'fast' }), 6);
    t.equal(await Order.estimatedDocumentCount(), 12);
    t.same((await Order.distinct('mode')).sort(), ['fast', 'slow']);
    t.ok(await Order.exists({ user: bob!._id }));
    const del = await Order.deleteMany({ user: bob!._id });
    t.equal(del.deletedCount, 4);
  });

  t.test('indexes: syncIndexes, listIndexes', async (t) => {
    const indexes = await Order.listIndexes();
    t.ok(indexes.some((i) => i.name === 'user_1_createdAt_-1'));
    t.same(await Order.syncIndexes(), []);
    const names = (await User.listIndexes()).map((i) => i.name).sort();
    t.same(names, ['_id_', 'email_1']);
  });

  t.test('transactions are refused like on a standalone mongod', async (t) => {
    const session = await conn.startSession();
    await t.rejects(session.withTransaction(async () => User.create([{ email: 'tx@example.com' }], { session })));
    await session.endSession();
    t.equal(await User.countDocuments({ email: 'tx@example.com' }), 0);
  });
});
