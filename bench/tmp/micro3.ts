import mongoose, { Types } from 'mongoose';
import { Ticket } from '/work/main/models/ticket.js';
import { TimelineEntry } from '/work/main/models/timeline-entry.js';
process.removeAllListeners('warning');
const tenantId = new Types.ObjectId();
let i = 0;
const ticketData = () => ({ tenantId, number: `X-${++i}`, seq: i, type: 'complaint', subject: 'Bench', description: 'd', priority: 'normal', priorityRank: 2, status: 'new', channel: 'api', requester: { id: new Types.ObjectId(), name: 'A', email: 'a@b.c' }, tags: ['bench'], fields: { customerName: 'M', customerReference: 'O', channel: 'phone', category: 'D', severity: 'medium' }, duplicateOf: null, searchText: 'x', createdAt: new Date(), updatedAt: new Date() });
async function time(name: string, n: number, f: () => Promise<unknown>) {
  for (let k = 0; k < 2000; k++) await f();
  const c0 = process.cpuUsage();
  for (let k = 0; k < n; k++) await f();
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(50)} node cpu ${(((c.user + c.system) / n)).toFixed(1)} µs/op`);
}
const N = 10000;
await time('new Ticket', N, async () => new Ticket(ticketData()));
await time('new Ticket + validateSync', N, async () => { const d = new Ticket(ticketData()); d.validateSync(); });
await time('new Ticket + await validate()', N, async () => { const d = new Ticket(ticketData()); await d.validate(); });
await time('new Ticket + validate + toObject', N, async () => { const d = new Ticket(ticketData()); await d.validate(); d.toObject(); });
await time('new TimelineEntry + validate + toObject', N, async () => { const d = new TimelineEntry({ tenantId, ticketId: new Types.ObjectId(), kind: 'created', visibility: 'public', author: { id: null, name: 'x', kind: 'client' }, body: 'b', data: { channel: 'api' } }); await d.validate(); d.toObject(); });
void mongoose;
