import { expect } from 'chai';
import type { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import type { UserDoc } from '../../../models/user.js';
import { ticketFindingStates } from '../../../server/domain/tickets/approval-gate.js';
import { findingId, findingStates } from '../../../server/domain/tickets/finding-state.js';
import { overrideFinding } from '../../../server/domain/einvoices/override-finding.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import type { Finding } from '../../../server/domain/einvoices/types.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { timelineView } from '../../../server/domain/tickets/timeline-view.js';
import { ticketUpdateSchema, updateTicket } from '../../../server/domain/tickets/update.js';
import { AppError } from '../../../server/errors/app-error.js';
import { toAppError } from '../../../server/errors/normalize.js';
import { presentError } from '../../../server/errors/present.js';
import { bodies, userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fatturaPA } from './builders.js';

/** Issue #17 item 5: the findings of an e-invoice's file gate its approval. */
describe('e-invoices: findings gate the approval', function () {
  this.timeout(60_000);
  let world: World;
  let nordLead: UserDoc;
  before(async () => {
    await connectTestDb('einvoice-gate');
    world = await makeWorld();
    nordLead = await makeUser({ role: 'team_lead', tenantIds: [world.nord.id] });
  });
  after(dropAndDisconnect);

  let n = 0;
  /** An e-invoice ticket of Acme: `error` a VAT summary whose tax is wrong, `warning` a wrong total. */
  async function einvoice(opts: { error?: boolean; warning?: boolean }) {
    n++;
    const xml = fatturaPA({
      bodies: [
        {
          number: `GATE-${n}`,
          summary: [{ rate: '22.00', taxable: '100.00', tax: opts.error ? '30.00' : '22.00' }],
          total: opts.warning ? '999.00' : opts.error ? '130.00' : '122.00',
        },
      ],
    });
    const receipt = await receiveEInvoice(
      userCtx(world.users.acmeAdmin),
      { filename: `gate-${n}.xml` },
      Buffer.from(xml),
    );
    const id = receipt.invoices[0]!.ticket.id;
    const ticket = await Ticket.findOne({ _id: id, tenantId: world.acme._id }).lean();
    return ticket!;
  }
  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string };
  const states = async (t: Ref) => (await ticketFindingStates(userCtx(world.users.admin), t))!;
  const errorIds = async (t: Ref) => (await states(t)).filter((s) => s.severity === 'error').map((s) => s.id);
  /** An approval; accepting the warnings unless told (a test machine may lack a rule set: a warning). */
  const approve = (user: UserDoc, t: Ref, extra: Record<string, unknown> = { acceptWarnings: true }) =>
    updateTicket(
      userCtx(user),
      t.number,
      ticketUpdateSchema.parse({ fields: { approvalOutcome: 'approved' }, ...extra }),
    );
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      const e = toAppError(err);
      return `${e.code}:${e.fields.map((f) => `${f.path}=${f.key}`).join(',')}`;
    }
    return 'accepted';
  }
  const entries = (t: Ref) =>
    TimelineEntry.find({ tenantId: t.tenantId, ticketId: t._id, kind: 'approval' }).sort({ at: 1 }).lean();
  const audits = (t: Ref, action: string) =>
    AuditEvent.find({ tenantId: t.tenantId, targetId: t._id, action }).lean();
  const stored = (t: Ref) => Ticket.findOne({ _id: t._id, tenantId: t.tenantId }).lean();
  const outcome = async (t: Ref) =>
    ((await Ticket.findOne({ _id: t._id, tenantId: t.tenantId }).lean())?.fields as Record<string, unknown>)
      .approvalOutcome;

  it('names a finding by what it says, not by its place in the list', () => {
    const a: Finding = { severity: 'error', rule: 'bpo.total', messageKey: 'k', params: { b: 1, a: '2' } };
    const b: Finding = { ...a, params: { a: '2', b: 1 } };
    expect(findingId(a)).to.match(/^[0-9a-f]{16}$/);
    expect(findingId(a)).to.equal(findingId(b));
    expect(findingId({ ...a, location: { line: 3 } })).not.to.equal(findingId(a));
    // An override of a finding no longer found applies to nothing; a warning is never "overridden".
    const override = { by: { id: null, name: 'x' }, at: new Date(), reason: 'r', rule: 'bpo.total' };
    const [state] = findingStates([a], { [findingId(a)]: override, ffffffffffffffff: override });
    expect(state).to.deep.include({ blocking: false, override });
    const [warning] = findingStates([{ ...a, severity: 'warning' }], { [findingId(a)]: override });
    expect(warning).to.deep.include({ blocking: false, override: null });
  });

  it('refuses to approve while an error of the file is left, in the reader language', async () => {
    const t = await einvoice({ error: true });
    expect(await errorIds(t)).to.have.length(1);
    expect(await refusal(approve(world.users.teamLead, t))).to.equal(
      'validation:fields.approvalOutcome=einvoice_gate.errors.blocked',
    );
    const err = await approve(world.users.teamLead, t).catch((e: unknown) => e);
    const en = presentError(err, 'en', 'api');
    expect(en.status).to.equal(422);
    expect(en.message).to.contain('1 error in its file is not resolved (bpo.summary_tax)');
    expect(presentError(err, 'it', 'api').message).to.contain('non può essere approvata');
    expect(presentError(err, 'da', 'api').message).to.contain('kan ikke godkendes');
    expect(await outcome(t)).to.equal(undefined);
    // Rejecting or holding it is no approval: not gated.
    await updateTicket(
      userCtx(world.users.teamLead),
      t.number,
      ticketUpdateSchema.parse({ fields: { approvalOutcome: 'on_hold' } }),
    );
    expect(await outcome(t)).to.equal('on_hold');
  });

  it('approves once each error is overridden with a reason: recorded, in the timeline and the audit', async () => {
    const t = await einvoice({ error: true });
    const [id] = await errorIds(t);
    await overrideFinding(userCtx(world.users.teamLead), t.number, id!, {
      reason: '  Tax agreed with the supplier by phone  ',
    });
    const [state] = (await states(t)).filter((s) => s.id === id);
    expect(state?.blocking).to.equal(false);
    expect(state?.override).to.deep.include({
      reason: 'Tax agreed with the supplier by phone',
      rule: 'bpo.summary_tax',
      by: { id: String(world.users.teamLead._id), name: world.users.teamLead.name },
    });
    expect(state?.override?.at).to.be.instanceOf(Date);
    const [entry] = await entries(t);
    expect(entry).to.deep.include({ visibility: 'internal' });
    expect(entry?.data).to.deep.include({
      action: 'finding_overridden',
      rule: 'bpo.summary_tax',
      findingId: id,
    });
    const [view] = timelineView([entry!], [], 'en', 'Europe/Rome', t);
    expect(view?.summary?.lines).to.deep.equal([
      'Error bpo.summary_tax of the file overridden',
      'Reason: Tax agreed with the supplier by phone',
    ]);
    expect(await audits(t, 'invoice.finding_overridden')).to.have.length(1);

    await approve(world.users.operatorAcme, t);
    expect(await outcome(t)).to.equal('approved');
    expect((await stored(t))?.warningsAccepted).to.not.equal(undefined);
  });

  it('refuses an override without a reason, of a warning, or of a finding that is not there', async () => {
    const t = await einvoice({ error: true, warning: true });
    const all = await states(t);
    const error = all.find((s) => s.severity === 'error')!;
    const warning = all.find((s) => s.severity === 'warning')!;
    const lead = userCtx(world.users.teamLead);
    expect(await refusal(overrideFinding(lead, t.number, error.id, { reason: '   ' }))).to.equal(
      'validation:reason=einvoice_gate.errors.reason_required',
    );
    expect(await refusal(overrideFinding(lead, t.number, error.id, {}))).to.match(/^validation:reason=/);
    expect(await refusal(overrideFinding(lead, t.number, warning.id, { reason: 'x' }))).to.equal(
      'validation:reason=einvoice_gate.errors.not_an_error',
    );
    expect(await refusal(overrideFinding(lead, t.number, '0123456789abcdef', { reason: 'x' }))).to.equal(
      'not_found:',
    );
    expect(await refusal(overrideFinding(lead, t.number, '../x', { reason: 'x' }))).to.equal('not_found:');
    expect((await states(t)).find((s) => s.id === error.id)?.override).to.equal(null);
    expect(await entries(t)).to.have.length(0);
  });

  it('stores one override of two at once; the same override sent again completes, never doubles', async () => {
    const t = await einvoice({ error: true });
    const [id] = await errorIds(t);
    const results = await Promise.allSettled([
      overrideFinding(userCtx(world.users.teamLead), t.number, id!, { reason: 'First' }),
      overrideFinding(userCtx(world.users.admin), t.number, id!, { reason: 'Second' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).to.be.instanceOf(AppError);
    expect((lost.reason as AppError).code).to.equal('conflict');
    expect((lost.reason as AppError).messageKey).to.equal('einvoice_gate.errors.already_overridden');
    const row = await EInvoiceRecord.findOne({ tenantId: t.tenantId, ticketId: t._id }).lean();
    expect(Object.keys(row?.overrides as object)).to.deep.equal([id]);
    expect(await entries(t)).to.have.length(1);
    expect(await audits(t, 'invoice.finding_overridden')).to.have.length(1);
    // The winner sends it again (a retry after a crash): the entries are there once.
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    await overrideFinding(userCtx(winner === 0 ? world.users.teamLead : world.users.admin), t.number, id!, {
      reason: winner === 0 ? 'First' : 'Second',
    });
    expect(await entries(t)).to.have.length(1);
    expect(await audits(t, 'invoice.finding_overridden')).to.have.length(1);
  });

  it('never blocks on warnings, but the approver accepts them explicitly: recorded who and when', async () => {
    const t = await einvoice({ warning: true });
    expect(await errorIds(t)).to.have.length(0);
    expect(await refusal(approve(world.users.teamLead, t, {}))).to.equal(
      'validation:acceptWarnings=einvoice_gate.errors.accept_warnings',
    );
    const before = Date.now();
    await approve(world.users.teamLead, t, { acceptWarnings: 'on' });
    const row = await stored(t);
    expect((row?.fields as Record<string, unknown>).approvalOutcome).to.equal('approved');
    const accepted = row?.warningsAccepted as {
      by: { id: unknown; name: string };
      at: Date;
      findings: string[];
    };
    expect(String(accepted.by.id)).to.equal(String(world.users.teamLead._id));
    expect(accepted.by.name).to.equal(world.users.teamLead.name);
    expect(new Date(accepted.at).getTime()).to.be.at.least(before - 1000);
    const warnings = (await states(t)).filter((s) => s.severity === 'warning').map((s) => s.id);
    expect((await states(t)).find((s) => s.rule === 'bpo.total')?.severity).to.equal('warning');
    expect(accepted.findings).to.deep.equal(warnings);
    const [entry] = await entries(t);
    expect(entry?.data).to.deep.include({ action: 'warnings_accepted', count: warnings.length });
    expect(timelineView([entry!], [], 'en', 'Europe/Rome', t)[0]?.summary?.lines).to.deep.equal([
      warnings.length === 1
        ? 'Approved accepting 1 warning of the file'
        : `Approved accepting ${warnings.length} warnings of the file`,
    ]);
    expect(await audits(t, 'invoice.warnings_accepted')).to.have.length(1);
    // Taking the approval back takes the acceptance with it.
    await updateTicket(
      userCtx(world.users.teamLead),
      t.number,
      ticketUpdateSchema.parse({ fields: { approvalOutcome: 'on_hold' } }),
    );
    expect((await stored(t))?.warningsAccepted).to.equal(null);
  });

  it('keeps overrides when keyed fields are edited: the findings are those of the file', async () => {
    const t = await einvoice({ error: true });
    const [id] = await errorIds(t);
    await overrideFinding(userCtx(world.users.teamLead), t.number, id!, { reason: 'Checked' });
    await updateTicket(
      userCtx(world.users.operatorAcme),
      t.number,
      ticketUpdateSchema.parse({ fields: { amount: 131, poNumber: 'PO-9' } }),
    );
    expect((await states(t)).find((s) => s.id === id)?.blocking).to.equal(false);
    await approve(world.users.teamLead, t);
    expect(await outcome(t)).to.equal('approved');
  });

  it('lets no client and no operator override, and no staff of another client', async () => {
    const t = await einvoice({ error: true });
    const [id] = await errorIds(t);
    for (const user of [world.users.acmeAdmin, world.users.acmeUser, world.users.operatorAcme])
      expect(await refusal(overrideFinding(userCtx(user), t.number, id!, { reason: 'x' }))).to.equal(
        'forbidden:',
      );
    // A team lead serving Nordhavn only: the Acme ticket does not exist for them, by number or id.
    for (const ref of [t.number, String(t._id)])
      expect(await refusal(overrideFinding(userCtx(nordLead), ref, id!, { reason: 'x' }))).to.equal(
        'not_found:',
      );
    expect(await refusal(approve(nordLead, t))).to.equal('not_found:');
    expect((await states(t)).find((s) => s.id === id)?.blocking).to.equal(true);
  });

  it('leaves invoices not made from a file as they were', async () => {
    const typed = await createTicket(
      userCtx(world.users.acmeUser),
      ticketInputSchema.parse(bodies.invoice({ invoiceNumber: 'TYPED-1' })),
      'portal',
    );
    expect(await ticketFindingStates(userCtx(world.users.admin), typed)).to.equal(null);
    await approve(world.users.operatorAcme, typed);
    expect(await outcome(typed)).to.equal('approved');
  });
});
