import { expect } from 'chai';
import { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { SwitchingStateModel } from '../../../models/quality.js';
import { allowReducedInspection } from '../../../server/domain/quality/allow-reduced-inspection.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import {
  resumeInspection,
  resumeInspectionSchema,
} from '../../../server/domain/quality/resume-inspection.js';
import { initialSwitchingState, type SwitchingState } from '../../../server/domain/quality/switching.js';
import { applyLotToSwitching } from '../../../server/domain/quality/switching-store.js';
import { switchingView } from '../../../server/domain/quality/switching-view.js';
import { auditRowView } from '../../../server/domain/reports/audit-view.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { dataEntryBatch, deliveryNote, refusal, saveTestLayout } from '../../support/keying.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * Issue #18 item 2, the switching rules' two human decisions (ISO 2859-1 clause 9): a team lead
 * resumes inspection stopped after five lots not accepted on tightened inspection, stating the
 * corrective action (9.4), and allows reduced inspection (9.3.3, at the authority's discretion).
 */
describe('resuming inspection and allowing reduced inspection', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    await connectTestDb('inspection-switching');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  const lead = () => ctxOf(world.users.teamLead, null);
  const op = () => ctxOf(world.users.operatorAcme, null);

  /** A layout of its own (the delivery notes renamed) and a data-entry ticket keyed on it (one record). */
  async function keyedTicket(name: string) {
    const layout = await saveTestLayout(world, { name });
    const ticket = await dataEntryBatch(world, layout._id);
    await keyRecord(op(), ticket.number, { values: deliveryNote(1) });
    return { ticket, layout };
  }
  /** The stored switching state of the layout set as a scripted sequence of lots would leave it. */
  const setState = (layoutId: Types.ObjectId, state: SwitchingState) =>
    SwitchingStateModel.updateOne(
      { tenantId: world.acme._id, layoutId },
      { $set: { state }, $inc: { version: 1 } },
      { upsert: true },
    );
  const audits = (ticketId: Types.ObjectId, action: string) =>
    AuditEvent.find({ tenantId: world.acme._id, targetId: ticketId, action }).lean();

  it('resumes a stopped inspection on tightened, by a team lead stating the corrective action, audited once', async () => {
    const { ticket, layout } = await keyedTicket('Stopped notes');
    await setState(layout._id, { ...initialSwitchingState(), severity: 'discontinued' });
    expect(await refusal(finishBatch(op(), ticket.number))).to.equal('conflict:keying.errors.discontinued');
    const view = await switchingView(op(), ticket.number);
    expect(view).to.deep.include({ severity: 'discontinued', stopped: true, canSteer: false });
    expect((await switchingView(lead(), ticket.number)).canSteer).to.equal(true);

    const action = { correctiveAction: 'Keyers retrained on VAT numbers; a checklist per batch.' };
    // Operators lack the permission; a short statement is not a corrective action.
    expect(await refusal(resumeInspection(op(), ticket.number, action))).to.equal(
      'forbidden:errors.forbidden',
    );
    const short = resumeInspectionSchema.safeParse({ correctiveAction: '  fixed  ' });
    expect(short.success).to.equal(false);
    // Another client's team lead does not see the ticket.
    const nordLead = await makeUser({ role: 'team_lead', tenantIds: [world.nord.id] });
    expect(await refusal(resumeInspection(ctxOf(nordLead, null), ticket.number, action))).to.equal(
      'not_found:errors.not_found',
    );

    expect(await resumeInspection(lead(), ticket.number, action)).to.deep.equal({ severity: 'tightened' });
    const row = await SwitchingStateModel.findOne({ tenantId: world.acme._id, layoutId: layout._id }).lean();
    expect((row?.state as SwitchingState).severity).to.equal('tightened');
    expect(row?.resumed).to.deep.include({ correctiveAction: action.correctiveAction });
    const [entry] = await audits(ticket._id, 'quality.inspection_resumed');
    expect(entry?.details).to.deep.include({
      layout: 'Stopped notes',
      correctiveAction: action.correctiveAction,
    });
    expect(auditRowView(entry!, 'en').detailsText).to.equal(`Stopped notes: ${action.correctiveAction}`);
    expect(auditRowView(entry!, 'da').actionLabel).to.equal('Inspektion genoptaget efter et stop');

    // A crash before the audit entry: the same request again completes it, once.
    await AuditEvent.deleteOne({ tenantId: world.acme._id, _id: entry!._id });
    await Promise.all([
      resumeInspection(lead(), ticket.number, action),
      resumeInspection(lead(), ticket.number, action),
    ]);
    expect(await audits(ticket._id, 'quality.inspection_resumed')).to.have.length(1);
    // Not stopped any more: another resumption is refused.
    expect(
      await refusal(
        resumeInspection(ctxOf(world.users.admin, null), ticket.number, {
          correctiveAction: 'Something else done.',
        }),
      ),
    ).to.equal('conflict:quality_ops.errors.not_stopped');
    expect((await finishBatch(op(), ticket.number)).severity).to.equal('tightened');
  });

  it('moves normal to reduced on a score of 30 only where a team lead allowed it, and back when withdrawn', async () => {
    const { ticket, layout } = await keyedTicket('Steady notes');
    const accepted = { classes: [{ nonconforming: 0, accept: 1, acceptOneStepTighter: 0 }] };
    const at28 = { ...initialSwitchingState(), switchingScore: 28 };
    // Not allowed (the default): the score passes 30, inspection stays normal.
    await setState(layout._id, at28);
    expect(await applyLotToSwitching(world.acme._id, layout._id, new Types.ObjectId(), accepted)).to.equal(
      null,
    );
    let row = await SwitchingStateModel.findOne({ tenantId: world.acme._id, layoutId: layout._id }).lean();
    expect(row?.state).to.deep.include({ severity: 'normal', switchingScore: 30 });

    expect(await refusal(allowReducedInspection(op(), ticket.number, { allow: true }))).to.equal(
      'forbidden:errors.forbidden',
    );
    expect(await allowReducedInspection(lead(), ticket.number, { allow: true })).to.deep.equal({
      allow: true,
      severity: 'normal',
    });
    expect((await switchingView(op(), ticket.number)).reducedAllowed).to.equal(true);
    await setState(layout._id, at28);
    expect(
      await applyLotToSwitching(world.acme._id, layout._id, new Types.ObjectId(), accepted),
    ).to.deep.equal({
      from: 'normal',
      to: 'reduced',
      reason: 'switching-score',
    });

    // Withdrawn while on reduced inspection: back to normal at once (9.3.4 c).
    expect(await allowReducedInspection(lead(), ticket.number, { allow: false })).to.deep.equal({
      allow: false,
      severity: 'normal',
    });
    row = await SwitchingStateModel.findOne({ tenantId: world.acme._id, layoutId: layout._id }).lean();
    expect(row?.reducedAllowed).to.equal(false);
    expect((row?.state as SwitchingState).severity).to.equal('normal');
    const entries = await audits(ticket._id, 'quality.reduced_allowed');
    expect(entries.map((e) => e.details)).to.have.deep.members([
      { layout: 'Steady notes', layoutId: String(layout._id), allow: true },
      {
        layout: 'Steady notes',
        layoutId: String(layout._id),
        allow: false,
        switched: { from: 'reduced', to: 'normal', reason: 'other-conditions' },
      },
    ]);
    expect(entries.map((e) => auditRowView(e, 'it').detailsText)).to.have.members([
      'Steady notes: ispezione ridotta consentita',
      'Steady notes: ispezione ridotta revocata',
    ]);
    // The same choice again by the same person (a retry) writes no second entry.
    await allowReducedInspection(lead(), ticket.number, { allow: false });
    expect(await audits(ticket._id, 'quality.reduced_allowed')).to.have.length(2);
  });
});
