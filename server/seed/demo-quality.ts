import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { InspectionLot, KeyedRecord, RecordLayoutModel } from '../../models/quality.js';
import { Tenant } from '../../models/tenant.js';
import type { Ctx } from '../domain/context.js';
import { startBatch } from '../domain/quality/batch.js';
import { closeLot } from '../domain/quality/close-lot.js';
import { finishBatch } from '../domain/quality/finish-batch.js';
import { keyRecord } from '../domain/quality/key-record.js';
import { recordInspection } from '../domain/quality/record-inspection.js';
import { saveLayout } from '../domain/quality/save-layout.js';
import { createTicket } from '../domain/tickets/create.js';
import { ticketInputSchema } from '../domain/tickets/schemas.js';

/**
 * Quality demo data (issue #18 item 6): a record layout for each demo client with an accuracy
 * target, and data-entry batches keyed and inspected over the demo months (the two before this
 * one and this one), all through the domain operations (saveLayout, startBatch, keyRecord,
 * finishBatch, recordInspection, closeLot):
 *
 * - Acme: a clean lot two months ago, one rejected lot last month (the VAT numbers keyed wrong)
 *   reworked by another operator and accepted, a clean lot this month. Last month's accuracy
 *   is a recorded breach; the others are "at risk" (a small sample cannot prove 99.5 %).
 * - Nordhavn: a rejected lot in each of the two past months, each reworked and accepted; two
 *   rejections in a row put the layout on tightened inspection, which this month's lot is drawn on.
 *
 * The domain stamps what it does "now": each lot is closed on its demo day (closeLot's `now`),
 * and the keying and draw times of the batch are then moved back to that day, as demo-sla.ts
 * moves the demo tickets' clocks. Idempotent: a client whose demo layout exists is left as it is.
 */

interface DemoBatch {
  /** 0, 1: the months before this one; 2: this month. */
  month: 0 | 1 | 2;
  keyer: string;
  records: number;
  /** The field keyed wrong in every sampled record of the first round (the lot is rejected). */
  wrongField?: string;
  /** Who re-keys the sampled records after a rejection. */
  reworker?: string;
}

interface DemoLayout {
  name: string;
  accuracyTarget: number;
  fields: unknown[];
  record: (i: number) => Record<string, string>;
  batches: DemoBatch[];
}

const aql = { critical: 0.65, major: 1.0, minor: 2.5 };

export const demoLayouts: Record<string, DemoLayout> = {
  acme: {
    name: 'Bolle di consegna',
    accuracyTarget: 0.995,
    fields: [
      { key: 'supplier_vat', label: 'P. IVA fornitore', type: 'vat', required: true, class: 'critical' },
      { key: 'doc_number', label: 'Numero bolla', type: 'text', maxLength: 20, required: true },
      { key: 'amount', label: 'Importo', type: 'number', decimals: 2, min: 0, required: true },
      { key: 'currency', label: 'Valuta', type: 'code', codes: ['EUR', 'USD'], required: true },
      { key: 'note', label: 'Note', type: 'text', maxLength: 60, class: 'minor' },
    ],
    record: (i) => ({
      supplier_vat: 'IT01234567897',
      doc_number: `DDT-${1000 + i}`,
      amount: `${(i * 37.5).toFixed(2)}`,
      currency: i % 5 === 0 ? 'USD' : 'EUR',
      note: i % 3 === 0 ? 'Consegna parziale' : '',
    }),
    batches: [
      { month: 0, keyer: 'sara@desk.example', records: 30 },
      {
        month: 1,
        keyer: 'marco@desk.example',
        records: 30,
        wrongField: 'supplier_vat',
        reworker: 'sara@desk.example',
      },
      { month: 2, keyer: 'sara@desk.example', records: 30 },
    ],
  },
  nordhavn: {
    name: 'Manifests',
    accuracyTarget: 0.99,
    fields: [
      { key: 'vessel', label: 'Vessel', type: 'text', maxLength: 40, required: true },
      { key: 'container', label: 'Container', type: 'text', maxLength: 11, required: true },
      { key: 'consignee_vat', label: 'Consignee VAT', type: 'vat', required: true, class: 'critical' },
      { key: 'weight_kg', label: 'Weight (kg)', type: 'number', decimals: 0, min: 0, required: true },
      { key: 'note', label: 'Note', type: 'text', maxLength: 60, class: 'minor' },
    ],
    record: (i) => ({
      vessel: i % 2 === 0 ? 'Nordhavn Star' : 'Aarhus Maersk',
      container: `MSKU${String(1_000_000 + i * 7).slice(-7)}`,
      consignee_vat: 'DK12345674',
      weight_kg: String(12_000 + i * 150),
      note: '',
    }),
    batches: [
      {
        month: 0,
        keyer: 'marco@desk.example',
        records: 20,
        wrongField: 'consignee_vat',
        reworker: 'marco@desk.example',
      },
      {
        month: 1,
        keyer: 'marco@desk.example',
        records: 20,
        wrongField: 'consignee_vat',
        reworker: 'marco@desk.example',
      },
      { month: 2, keyer: 'marco@desk.example', records: 20 },
    ],
  },
};

/** The instant a demo batch happened: the 10th (12th) of a past month at 10:00, or earlier today. */
function dayOf(month: 0 | 1 | 2, zone: string, now: Date): Date {
  const local = DateTime.fromJSDate(now, { zone });
  const start = local.startOf('month').minus({ months: 2 - month });
  if (month < 2) return start.set({ day: 10 + 2 * month, hour: 10 }).toJSDate();
  return new Date(Math.max(start.toMillis(), now.getTime() - 2 * 3_600_000));
}

async function keyAll(ctx: Ctx, number: string, layout: DemoLayout, seqs: number[] | number) {
  const list = typeof seqs === 'number' ? Array.from({ length: seqs }, (_, i) => i + 1) : seqs;
  for (const i of list)
    await keyRecord(ctx, number, {
      ...(typeof seqs === 'number' ? {} : { seq: i }),
      values: layout.record(i),
    });
}

/** One batch: keyed, finished, inspected (and reworked and inspected again when rejected), on its day. */
async function seedBatch(
  tenant: { _id: Types.ObjectId; code: string; timeZone: string },
  layout: DemoLayout,
  layoutId: string,
  batch: DemoBatch,
  actAs: (email: string) => Promise<Ctx>,
  now: Date,
): Promise<void> {
  const at = dayOf(batch.month, tenant.timeZone, now);
  const client = await actAs(`user@${tenant.code}.example`);
  const lead = await actAs('lead@desk.example');
  const keyer = await actAs(batch.keyer);
  const ticket = await createTicket(
    client,
    ticketInputSchema.parse({
      type: 'data_entry',
      subject: `${layout.name}: ${DateTime.fromJSDate(at, { zone: tenant.timeZone }).toFormat('LLLL yyyy')}`,
      priority: 'normal',
      fields: { batchDescription: layout.name, targetSystem: 'ERP', expectedRecordCount: batch.records },
    }),
    'portal',
  );
  await startBatch(keyer, ticket.number, layoutId);
  await keyAll(keyer, ticket.number, layout, batch.records);
  const where = { tenantId: tenant._id, ticketId: ticket._id };
  await KeyedRecord.updateMany(where, { $set: { keyedAt: at } });
  let lot = await finishBatch(keyer, ticket.number);
  await InspectionLot.updateOne({ _id: lot._id, tenantId: tenant._id }, { $set: { drawnAt: at } });
  for (const seq of lot.seqs)
    await recordInspection(lead, ticket.number, {
      seq,
      wrongFields: batch.wrongField ? [batch.wrongField] : [],
    });
  const first = await closeLot(lead, ticket.number, at);
  if (first.verdict === 'accepted') return;
  // The rejected lot goes back for rework: its records are checked and keyed again a day later.
  const later = new Date(at.getTime() + 86_400_000);
  const reworker = await actAs(batch.reworker ?? batch.keyer);
  await keyAll(reworker, ticket.number, layout, lot.seqs);
  await KeyedRecord.updateMany({ ...where, seq: { $in: lot.seqs } }, { $set: { keyedAt: later } });
  lot = await finishBatch(reworker, ticket.number);
  await InspectionLot.updateOne({ _id: lot._id, tenantId: tenant._id }, { $set: { drawnAt: later } });
  for (const seq of lot.seqs) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
  await closeLot(lead, ticket.number, later);
}

/** Seeds each demo client's layout and batches once; returns the number of batches created. */
export async function seedDemoQuality(
  ctx: Ctx,
  actAs: (email: string) => Promise<Ctx>,
  now = new Date(),
): Promise<number> {
  let created = 0;
  const lead = await actAs('lead@desk.example');
  for (const [code, layout] of Object.entries(demoLayouts)) {
    const tenant = await Tenant.findOne({ code }).select({ code: 1, timeZone: 1 }).lean();
    if (!tenant) continue;
    if (await RecordLayoutModel.exists({ tenantId: tenant._id, name: layout.name })) continue;
    const saved = await saveLayout(lead, String(tenant._id), {
      name: layout.name,
      aql,
      accuracyTarget: layout.accuracyTarget,
      fields: layout.fields,
    });
    for (const batch of layout.batches) {
      await seedBatch(tenant, layout, String(saved._id), batch, actAs, now);
      created++;
    }
  }
  ctx.log.info({ created }, 'demo keying batches in place');
  return created;
}
