import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { InspectionLot, KeyedRecord, KeyingBatch, RecordLayoutModel } from '../../models/quality.js';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import type { Ctx } from '../domain/context.js';
import { startBatch } from '../domain/quality/batch.js';
import { closeLot } from '../domain/quality/close-lot.js';
import { finishBatch } from '../domain/quality/finish-batch.js';
import type { Difference } from '../domain/quality/double-keying.js';
import { keyRecord } from '../domain/quality/key-record.js';
import { keySecond } from '../domain/quality/key-second.js';
import { recordInspection } from '../domain/quality/record-inspection.js';
import { saveLayout } from '../domain/quality/save-layout.js';
import { settleDifferences } from '../domain/quality/settle-differences.js';
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
 * - Acme also has a double-keyed layout (critical fields keyed by Sara, then blind by Marco): this
 *   month's batch of 10 records has two records whose totals differ, settled by the team lead,
 *   then is inspected and accepted.
 * - Nordhavn: a rejected lot in each of the two past months, each reworked and accepted; two
 *   rejections in a row put the layout on tightened inspection, which this month's lot is drawn on.
 *
 * The domain stamps what it does "now": each lot is closed on its demo day (closeLot's `now`),
 * and the keying and draw times of the batch are then moved back to that day, as demo-sla.ts
 * moves the demo tickets' clocks. Completable per client and layout: the seed is written in many
 * steps, and a run killed between any two is finished by the next, which never makes a layout,
 * ticket, record, keying or lot twice (seedBatch); a layout whose batches are all accepted is left
 * as it is.
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
  /** Double keying of the critical fields: the second keyer's values (a few differ from the first). */
  second?: (i: number) => Record<string, string>;
  /** Who keys the critical fields the second time. */
  secondKeyer?: string;
  accuracyTarget: number;
  fields: unknown[];
  record: (i: number) => Record<string, string>;
  batches: DemoBatch[];
}

const aql = { critical: 0.65, major: 1.0, minor: 2.5 };

export const demoLayouts: Record<string, DemoLayout[]> = {
  acme: [
    {
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
    {
      name: 'Fatture passive (doppia digitazione)',
      accuracyTarget: 0.995,
      fields: [
        { key: 'supplier_vat', label: 'P. IVA fornitore', type: 'vat', required: true, class: 'critical' },
        {
          key: 'invoice_number',
          label: 'Numero fattura',
          type: 'text',
          maxLength: 20,
          required: true,
          class: 'critical',
        },
        {
          key: 'total',
          label: 'Totale',
          type: 'number',
          decimals: 2,
          min: 0,
          required: true,
          class: 'critical',
        },
        { key: 'note', label: 'Note', type: 'text', maxLength: 60, class: 'minor' },
      ],
      record: (i) => ({
        supplier_vat: 'IT01234567897',
        invoice_number: `FT-2026-${String(i).padStart(4, '0')}`,
        total: `${(i * 122).toFixed(2)}`,
        note: '',
      }),
      // Marco's second keying differs from Sara's in records 3 and 7 (a total typed wrong): the lead settles them.
      second: (i) => ({
        supplier_vat: 'IT01234567897',
        invoice_number: `FT-2026-${String(i).padStart(4, '0')}`,
        total: `${(i * 122 + (i === 3 || i === 7 ? 10 : 0)).toFixed(2)}`,
      }),
      secondKeyer: 'marco@desk.example',
      batches: [{ month: 2, keyer: 'sara@desk.example', records: 10 }],
    },
  ],
  nordhavn: [
    {
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
  ],
};

/** The instant a demo batch happened: the 10th (12th) of a past month at 10:00, or earlier today. */
function dayOf(month: 0 | 1 | 2, zone: string, now: Date): Date {
  const local = DateTime.fromJSDate(now, { zone });
  const start = local.startOf('month').minus({ months: 2 - month });
  if (month < 2) return start.set({ day: 10 + 2 * month, hour: 10 }).toJSDate();
  return new Date(Math.max(start.toMillis(), now.getTime() - 2 * 3_600_000));
}

/** The demo data-entry ticket of a batch, or a new one (its description names the layout). */
async function batchTicket(
  tenant: { _id: Types.ObjectId; code: string; timeZone: string; locale: string },
  layout: DemoLayout,
  layoutId: Types.ObjectId,
  index: number,
  at: Date,
  records: number,
  client: Ctx,
) {
  // The layout's batches in the order they were made: the index-th is this demo batch.
  const batches = await KeyingBatch.find({ tenantId: tenant._id, layoutId }).sort({ _id: 1 }).lean();
  const made = batches[index];
  if (made) return { number: made.ticketNumber, ticketId: made.ticketId };
  // A run killed between the ticket and its batch left the ticket: it is taken, not made again.
  const keyed = new Set(
    (await KeyingBatch.find({ tenantId: tenant._id }).select({ ticketId: 1 }).lean()).map((b) =>
      String(b.ticketId),
    ),
  );
  const orphan = (
    await Ticket.find({ tenantId: tenant._id, type: 'data_entry', 'fields.batchDescription': layout.name })
      .select({ number: 1 })
      .sort({ _id: 1 })
      .lean()
  ).find((t) => !keyed.has(String(t._id)));
  if (orphan) return { number: orphan.number, ticketId: orphan._id };
  const ticket = await createTicket(
    client,
    ticketInputSchema.parse({
      type: 'data_entry',
      // The month in the client's language, as the other demo subjects (demo-history.ts) name it.
      subject: `${layout.name}: ${DateTime.fromJSDate(at, { zone: tenant.timeZone }).setLocale(tenant.locale).toFormat('LLLL yyyy')}`,
      priority: 'normal',
      fields: { batchDescription: layout.name, targetSystem: 'ERP', expectedRecordCount: records },
    }),
    'portal',
  );
  return { number: ticket.number, ticketId: ticket._id };
}

/** Key the records of a first round up to the batch's count (those a killed run keyed stay). */
async function keyMissing(ctx: Ctx, number: string, layout: DemoLayout, where: object, records: number) {
  const have = await KeyedRecord.countDocuments(where);
  for (let i = have + 1; i <= records; i++) await keyRecord(ctx, number, { values: layout.record(i) });
}

/** Double keying: the critical fields keyed again by another operator, the differences settled by the lead. */
async function keyTwice(ctx: { second: Ctx; lead: Ctx }, number: string, layout: DemoLayout, where: object) {
  if (!layout.second) return;
  for (const r of await KeyedRecord.find(where).select({ seq: 1, second: 1 }).sort({ seq: 1 }).lean())
    if (!r.second) await keySecond(ctx.second, number, { seq: r.seq, values: layout.second(r.seq) });
  for (const r of await KeyedRecord.find({ ...where, unsettled: { $gt: 0 } })
    .sort({ seq: 1 })
    .lean()) {
    const open = (r.differences as Difference[]).filter((d) => !d.settled);
    await settleDifferences(ctx.lead, number, {
      seq: r.seq,
      settle: open.map((d) => ({ key: d.key, choice: 'first' as const })),
    });
  }
}

/**
 * One batch: keyed (twice, on a double-keyed layout, its differences settled), finished,
 * inspected (and reworked and inspected again when rejected), on its day. It goes on from the
 * state the batch is in, so a run killed anywhere in it is finished by the next, and nothing is
 * made twice: the ticket is found again (batchTicket), records are keyed up to the count, the
 * second keyings and settlements are repeated only where missing, finishing returns the lot
 * already drawn and closing completes one cut short.
 */
async function seedBatch(
  tenant: { _id: Types.ObjectId; code: string; timeZone: string; locale: string },
  layout: DemoLayout,
  layoutId: Types.ObjectId,
  index: number,
  actAs: (email: string) => Promise<Ctx>,
  now: Date,
): Promise<boolean> {
  const batch = layout.batches[index]!;
  const at = dayOf(batch.month, tenant.timeZone, now);
  const later = new Date(at.getTime() + 86_400_000);
  const client = await actAs(`user@${tenant.code}.example`);
  const lead = await actAs('lead@desk.example');
  const keyer = await actAs(batch.keyer);
  const reworker = await actAs(batch.reworker ?? batch.keyer);
  const ticket = await batchTicket(tenant, layout, layoutId, index, at, batch.records, client);
  await startBatch(keyer, ticket.number, String(layoutId));
  const where = { tenantId: tenant._id, ticketId: ticket.ticketId };
  for (let step = 0; ; step++) {
    const state = await KeyingBatch.findOne(where).lean();
    if (!state || state.state === 'accepted') return step > 0;
    const dayOfRound = state.round === 1 ? at : later;
    if (state.state === 'keying') {
      await keyMissing(keyer, ticket.number, layout, where, batch.records);
      await keyTwice(
        { second: await actAs(layout.secondKeyer ?? batch.keyer), lead },
        ticket.number,
        layout,
        where,
      );
      await KeyedRecord.updateMany(where, { $set: { keyedAt: at } });
    }
    if (state.state === 'rework') {
      // The rejected lot goes back for rework: its records are checked and keyed again a day later.
      const rejected = await InspectionLot.findOne({ ...where, round: state.round - 1 }).lean();
      const seqs = rejected?.seqs ?? [];
      for (const seq of seqs) await keyRecord(reworker, ticket.number, { seq, values: layout.record(seq) });
      await KeyedRecord.updateMany({ ...where, seq: { $in: seqs } }, { $set: { keyedAt: later } });
    }
    if (state.state === 'keying' || state.state === 'rework') {
      const lot = await finishBatch(state.round === 1 ? keyer : reworker, ticket.number);
      await InspectionLot.updateOne(
        { _id: lot._id, tenantId: tenant._id },
        { $set: { drawnAt: dayOfRound } },
      );
      continue;
    }
    // Inspecting: the lot of this round is checked where it is not yet, and closed on its day.
    const lot = await InspectionLot.findOne({ ...where, round: state.round }).lean();
    if (!lot) return step > 0;
    const found = (lot.findings ?? {}) as Record<string, unknown>;
    const wrong = state.round === 1 && batch.wrongField ? [batch.wrongField] : [];
    for (const seq of lot.seqs)
      if (!found[String(seq)]) await recordInspection(lead, ticket.number, { seq, wrongFields: wrong });
    await closeLot(lead, ticket.number, dayOfRound);
  }
}

/**
 * Seeds each demo client's layouts and batches, each finished from where a killed run left it
 * (a layout is found by its name, a batch by its place among the layout's batches); returns the
 * number of batches taken to their end by this run.
 */
export async function seedDemoQuality(
  ctx: Ctx,
  actAs: (email: string) => Promise<Ctx>,
  now = new Date(),
): Promise<number> {
  let created = 0;
  const lead = await actAs('lead@desk.example');
  for (const [code, layouts] of Object.entries(demoLayouts)) {
    const tenant = await Tenant.findOne({ code }).select({ code: 1, timeZone: 1, locale: 1 }).lean();
    if (!tenant) continue;
    for (const layout of layouts) {
      const existing = await RecordLayoutModel.findOne({ tenantId: tenant._id, name: layout.name }).lean();
      const layoutId =
        existing?._id ??
        (
          await saveLayout(lead, String(tenant._id), {
            name: layout.name,
            aql,
            accuracyTarget: layout.accuracyTarget,
            ...(layout.second ? { doubleKeyCritical: true } : {}),
            fields: layout.fields,
          })
        )._id;
      const done = await KeyingBatch.countDocuments({ tenantId: tenant._id, layoutId, state: 'accepted' });
      if (done >= layout.batches.length) continue;
      for (const index of layout.batches.keys()) {
        if (await seedBatch(tenant, layout, layoutId, index, actAs, now)) created++;
      }
    }
  }
  ctx.log.info({ created }, 'demo keying batches in place');
  return created;
}
