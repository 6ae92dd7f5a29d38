import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import { Ticket } from '/work/main/models/ticket.js';
import { TimelineEntry } from '/work/main/models/timeline-entry.js';
import { OutboxMail } from '/work/main/models/outbox-mail.js';
import { startEmbeddedEngine } from '/work/main/server/db/embedded-engine.js';

const engine = await startEmbeddedEngine({ backend: 'memory', log: pino({ level: 'error' }), dbName: 'micro' });
await mongoose.connect(engine.uri);
await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
const tenantId = new Types.ObjectId();
let i = 0;
const ticketData = () => ({ tenantId, number: `X-${++i}`, seq: i, type: 'complaint', subject: 'Bench', description: 'd', priority: 'normal', priorityRank: 2, status: 'new', channel: 'api', requester: { id: new Types.ObjectId(), name: 'A', email: 'a@b.c' }, tags: ['bench'], fields: { customerName: 'M', customerReference: 'O', channel: 'phone', category: 'D', severity: 'medium' }, duplicateOf: null, searchText: 'x' });
async function time(name: string, n: number, f: () => Promise<unknown>) {
  for (let k = 0; k < 200; k++) await f();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let k = 0; k < n; k++) await f();
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  console.log(`${name.padEnd(40)} node cpu ${(((c.user + c.system) / n)).toFixed(0)} µs/op, wall ${((t / n) * 1000).toFixed(0)} µs/op`);
}
const N = 2000;
await time('Ticket.create', N, () => Ticket.create(ticketData()));
await time('Ticket.insertMany([1])', N, () => Ticket.insertMany([ticketData()]));
await time('new Ticket+validate+collection.insertOne', N, async () => { const d = new Ticket(ticketData()); await d.validate(); await Ticket.collection.insertOne(d.toBSON()); });
await time('Ticket.collection.insertOne(plain)', N, () => Ticket.collection.insertOne({ ...ticketData(), _id: new Types.ObjectId(), createdAt: new Date(), updatedAt: new Date() }));
await time('TimelineEntry.create', N, () => TimelineEntry.create({ tenantId, ticketId: new Types.ObjectId(), kind: 'created', visibility: 'public', author: { id: null, name: 'x', kind: 'client' }, body: 'b', data: { channel: 'api' } }));
await time('TimelineEntry.collection.insertOne', N, () => TimelineEntry.collection.insertOne({ key: new Types.ObjectId().toHexString(), tenantId, ticketId: new Types.ObjectId(), at: new Date(), kind: 'created', visibility: 'public', author: { id: null, name: 'x', kind: 'client' }, body: 'b', data: { channel: 'api' }, attachmentIds: [] }));
let m = 0;
await time('OutboxMail.create', N, () => OutboxMail.create({ tenantId, key: `k${++m}`, to: 'a@b.c', locale: 'en', template: 'ticket_created', params: { a: 'b' }, headers: {}, replyTo: null, messageId: `<${m}@x>` }));
await time('findOneAndUpdate lean counter', N, () => mongoose.connection.db!.collection('counters').findOneAndUpdate({ _id: 'c' as unknown as Types.ObjectId }, { $inc: { seq: 1 } }, { upsert: true }));
await time('Tenant-like findById lean', N, () => Ticket.findOne({ _id: new Types.ObjectId(), tenantId }).lean());
await time('collection.findOne by _id', N, () => Ticket.collection.findOne({ _id: new Types.ObjectId() }));
await mongoose.disconnect(); await engine.stop();
