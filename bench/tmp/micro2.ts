import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import { Ticket } from '/work/main/models/ticket.js';
import { startEmbeddedEngine } from '/work/main/server/db/embedded-engine.js';
const engine = await startEmbeddedEngine({ backend: 'memory', log: pino({ level: 'error' }), dbName: 'micro' });
await mongoose.connect(engine.uri);
await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
const tenantId = new Types.ObjectId();
let i = 0;
const ticketData = () => ({ tenantId, number: `X-${++i}`, seq: i, type: 'complaint', subject: 'Bench', description: 'd', priority: 'normal', priorityRank: 2, status: 'new', channel: 'api', requester: { id: new Types.ObjectId(), name: 'A', email: 'a@b.c' }, tags: ['bench'], fields: { customerName: 'M', customerReference: 'O', channel: 'phone', category: 'D', severity: 'medium' }, duplicateOf: null, searchText: 'x' });
async function time(name: string, n: number, f: () => Promise<unknown>) {
  for (let k = 0; k < 300; k++) await f();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let k = 0; k < n; k++) await f();
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  console.log(`${name.padEnd(50)} node cpu ${(((c.user + c.system) / n)).toFixed(0)} µs/op, wall ${((t / n) * 1000).toFixed(0)} µs/op`);
}
const N = 2000;
await time('new Ticket (no save)', N, async () => new Ticket(ticketData()));
await time('new Ticket + validateSync', N, async () => { const d = new Ticket(ticketData()); d.validateSync(); });
await time('new Ticket + validateSync + toBSON', N, async () => { const d = new Ticket(ticketData()); d.validateSync(); d.toBSON(); });
await time('Ticket.validate(plain)', N, async () => { await Ticket.validate(ticketData()); });
await time('Ticket.castObject(plain)', N, async () => { Ticket.castObject(ticketData()); });
await time('new+validateSync+collection.insertOne', N, async () => { const d = new Ticket(ticketData()); const e = d.validateSync(); if (e) throw e; await Ticket.collection.insertOne(d.toBSON()); });
await time('collection.insertOne(plain)', N, () => Ticket.collection.insertOne({ ...ticketData(), _id: new Types.ObjectId(), createdAt: new Date(), updatedAt: new Date() }));
await mongoose.disconnect(); await engine.stop();
