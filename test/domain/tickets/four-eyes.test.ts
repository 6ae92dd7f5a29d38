import { expect } from 'chai';
import { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry, type TimelineKind } from '../../../models/timeline-entry.js';
import type { UserDoc } from '../../../models/user.js';
import { AppError } from '../../../server/errors/app-error.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import {
  amountAbove,
  fourEyesFlags,
  fourEyesRulesSchema,
  ruleExceeded,
} from '../../../server/domain/tickets/four-eyes.js';
import {
  fourEyesRulesInputSchema,
  saveFourEyesRules,
} from '../../../server/domain/tickets/save-four-eyes-rules.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { auditActionLabel } from '../../../server/domain/reports/audit-view.js';
import { timelineView } from '../../../server/domain/tickets/timeline-view.js';
import { ticketUpdateSchema, updateTicket } from '../../../server/domain/tickets/update.js';
import { bodies } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue #18, item 4: four eyes on invoices above a client's threshold. */
describe('four eyes on invoices', function () {
  this.timeout(30_000);
  let world: World;
  let lead2: UserDoc;
  before(async () => {
    await connectTestDb('four-eyes');
    world = await makeWorld();
    lead2 = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id, world.nord.id] });
    await saveFourEyesRules(
      ctxOf(world.users.admin, null),
      world.acme.id as string,
      fourEyesRulesInputSchema.parse({ fourEyes: 'eur 5000.00\nDKK 37500' }),
    );
  });
  after(dropAndDisconnect);

  const staff = (user: UserDoc) => ctxOf(user, null);
  let n = 0;
  async function invoice(fields: Record<string, unknown>, tenant: 'acme' | 'nord' = 'acme') {
    n++;
    const requester = tenant === 'acme' ? world.users.acmeUser : world.users.nordUser;
    return createTicket(
      ctxOf(requester, world[tenant]),
      ticketInputSchema.parse(bodies.invoice({ invoiceNumber: `FE-${n}`, ...fields })),
      'portal',
    );
  }
  const update = (user: UserDoc, number: string, input: Record<string, unknown>) =>
    updateTicket(staff(user), number, ticketUpdateSchema.parse(input));
  /** The field error key an update is refused with. */
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      if (err instanceof AppError)
        return `${err.code}:${err.fields.map((f) => `${f.path}=${f.key}`).join(',')}`;
      throw err;
    }
    return 'accepted';
  }
  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId };
  const entries = (t: Ref, kind: TimelineKind) =>
    TimelineEntry.find({ tenantId: t.tenantId, ticketId: t._id, kind }).lean();
  const audits = (t: Ref, action: string) =>
    AuditEvent.find({ tenantId: t.tenantId, targetId: t._id, action }).lean();
  const stored = (t: Ref) => Ticket.findOne({ _id: t._id, tenantId: t.tenantId }).lean();

  it('compares amounts with thresholds exactly, per currency', () => {
    expect(amountAbove(5000, '5000.00')).to.equal(false);
    expect(amountAbove(5000.01, '5000.00')).to.equal(true);
    expect(amountAbove(5000.001, '5000')).to.equal(true);
    expect(amountAbove(0.1 + 0.2, '0.3')).to.equal(false); // 0.30000000000000004 reads as 0.300000
    expect(amountAbove(999_999_999_999.99, '999999999999.98')).to.equal(true);
    const rules = [
      { currency: 'EUR', above: '5000.00' },
      { currency: 'DKK', above: '37500' },
    ];
    expect(ruleExceeded(rules, 'invoice', { amount: 6000, currency: 'EUR' })).to.deep.equal(rules[0]);
    expect(ruleExceeded(rules, 'invoice', { amount: 6000, currency: 'DKK' })).to.equal(null);
    expect(ruleExceeded(rules, 'invoice', { amount: 6000, currency: 'USD' })).to.equal(null);
    expect(ruleExceeded(rules, 'complaint', { amount: 6000, currency: 'EUR' })).to.equal(null);
  });

  it("reads a client's thresholds from lines or a list, refusing a bad line by its number", () => {
    expect(fourEyesRulesSchema.parse(' eur  005000.50 \n\nDKK 37500')).to.deep.equal([
      { currency: 'EUR', above: '5000.50' },
      { currency: 'DKK', above: '37500' },
    ]);
    expect(fourEyesRulesSchema.parse('')).to.deep.equal([]);
    const issues = (v: unknown) =>
      (fourEyesRulesSchema.safeParse(v).error?.issues ?? []).map(
        (i) => (i as unknown as { params: { key: string; line: number } }).params,
      );
    expect(issues('EUR 5000\nXYZ 10')).to.deep.equal([{ key: 'four_eyes.errors.currency', line: 2 }]);
    expect(issues('EUR 5.000,00')).to.deep.equal([{ key: 'four_eyes.errors.amount', line: 1 }]);
    expect(issues('EUR -1')).to.deep.equal([{ key: 'four_eyes.errors.amount', line: 1 }]);
    expect(issues('EUR 1 2')).to.deep.equal([{ key: 'four_eyes.errors.amount', line: 1 }]);
    expect(
      issues([
        { currency: 'EUR', above: '1' },
        { currency: 'eur', above: '2' },
      ]),
    ).to.deep.equal([{ key: 'four_eyes.errors.duplicate_currency', line: 2, currency: 'EUR' }]);
  });

  it('stores the thresholds on the tenant and audits the change once', async () => {
    const tenant = await Tenant.findById(world.acme._id).lean();
    expect(tenant?.fourEyes).to.deep.equal([
      { currency: 'EUR', above: '5000.00' },
      { currency: 'DKK', above: '37500' },
    ]);
    const acme = { _id: world.acme._id, tenantId: world.acme._id };
    const saved = await audits(acme, 'tenant.updated');
    expect(saved).to.have.length(1);
    expect(saved[0]?.details).to.deep.include({ fields: ['fourEyes'] });
    // The same rules again: nothing to audit.
    await saveFourEyesRules(
      staff(world.users.admin),
      world.acme.id as string,
      fourEyesRulesInputSchema.parse({ fourEyes: 'EUR 5000.00\nDKK 37500' }),
    );
    expect(await audits(acme, 'tenant.updated')).to.have.length(1);
    expect(
      await refusal(
        saveFourEyesRules(staff(world.users.teamLead), world.acme.id as string, { fourEyes: [] }),
      ),
    ).to.equal('forbidden:');
  });

  it('leaves invoices at or below the threshold, or in another currency, as before', async () => {
    const at = await invoice({ amount: 5000, currency: 'EUR' });
    const dkk = await invoice({ amount: 30000, currency: 'DKK' });
    const usd = await invoice({ amount: 1_000_000, currency: 'USD' });
    for (const t of [at, dkk, usd]) {
      await update(world.users.operatorAcme, t.number, { fields: { approvalOutcome: 'approved' } });
      expect((await stored(t))?.fields).to.include({
        approvalOutcome: 'approved',
      });
      expect(await entries(t, 'approval')).to.have.length(0);
    }
  });

  it('refuses someone without the approving permission above the threshold', async () => {
    const t = await invoice({ amount: 5000.01, currency: 'EUR' });
    expect(
      await refusal(update(world.users.operatorAcme, t.number, { fields: { approvalOutcome: 'approved' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.no_permission');
    expect(
      await refusal(update(world.users.operatorAcme, t.number, { fields: { approvalOutcome: 'rejected' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.no_permission');
    // Putting it on hold is not a decision.
    await update(world.users.operatorAcme, t.number, { fields: { approvalOutcome: 'on_hold' } });
  });

  it('records who keyed an invoice, refuses them and lets a second person approve', async () => {
    const t = await invoice({ amount: 1200, currency: 'EUR' });
    // Nobody on staff keyed it yet: the requester is the maker.
    expect(t.keyedBy ?? null).to.equal(null);
    await update(world.users.teamLead, t.number, { fields: { amount: 12_000 } });
    const keyed = await stored(t);
    expect(String(keyed?.keyedBy?.id)).to.equal(String(world.users.teamLead._id));
    expect(
      await refusal(update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.maker');
    // Keying and deciding in one go makes the caller the maker of what they decide.
    expect(
      await refusal(update(lead2, t.number, { fields: { amount: 12_500, approvalOutcome: 'approved' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.maker');

    const flagsFor = (user: UserDoc) =>
      fourEyesFlags(staff(user), keyed!, { currency: 'EUR', above: '5000.00' }, [
        'approved',
        'rejected',
        'on_hold',
      ]);
    expect(flagsFor(world.users.teamLead).fourEyes?.mayDecide).to.equal(false);
    expect(flagsFor(world.users.teamLead).approvalOutcomes).to.deep.equal(['on_hold']);
    expect(flagsFor(world.users.teamLead).fourEyes?.makerName).to.equal(world.users.teamLead.name);
    expect(flagsFor(lead2).fourEyes?.mayDecide).to.equal(true);
    expect(flagsFor(lead2).approvalOutcomes).to.deep.equal(['approved', 'rejected', 'on_hold']);

    await update(lead2, t.number, { fields: { approvalOutcome: 'approved', approvalReason: 'Matches PO' } });
    const approvals = await entries(t, 'approval');
    expect(approvals).to.have.length(1);
    expect(approvals[0]?.data).to.deep.include({
      outcome: 'approved',
      maker: world.users.teamLead.name,
      amount: 12_000,
      currency: 'EUR',
      reason: 'Matches PO',
    });
    // No override flag any more: a decision is a second person's approval or rejection.
    expect(approvals[0]?.data).to.not.have.property('override');
    expect(String(approvals[0]?.author?.id)).to.equal(String(lead2._id));
    const audit = await audits(t, 'invoice.approved');
    expect(audit).to.have.length(1);
    expect(String(audit[0]?.actorId)).to.equal(String(lead2._id));
    // The decision is not also a field change entry.
    const fieldEntries = await entries(t, 'fields');
    expect(
      fieldEntries.flatMap((e) =>
        (e.data as { changes: Array<{ field: string }> }).changes.map((c) => c.field),
      ),
    ).to.not.include('fields.approvalOutcome');
    const view = timelineView(approvals as never, [], 'en', 'Europe/Rome', keyed!);
    expect(view[0]?.summary?.lines[0]).to.equal(
      `Invoice of €12,000.00 approved by a second person (keyed by ${world.users.teamLead.name})`,
    );
    expect(view[0]?.summary?.lines[1]).to.equal('Reason: Matches PO');
  });

  it('takes the requester as the maker while no staff member keyed the invoice', async () => {
    const t = await invoice({ amount: 5000.5, currency: 'EUR' });
    expect(t.keyedBy ?? null).to.equal(null);
    await update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } });
    expect(((await stored(t))?.fields as Record<string, unknown>).approvalOutcome).to.equal('approved');
    expect((await entries(t, 'approval'))[0]?.data).to.deep.include({ maker: world.users.acmeUser.name });
  });

  it('takes an approval back when the invoice is keyed again', async () => {
    const t = await invoice({ amount: 9000, currency: 'EUR' });
    await update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } });
    await update(world.users.teamLead, t.number, { fields: { amount: 9100 } });
    const after = await stored(t);
    expect((after?.fields as Record<string, unknown>).approvalOutcome).to.equal(undefined);
    // Now the team lead keyed it: they cannot approve it again.
    expect(
      await refusal(update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.maker');
  });

  it('records a rejection by the second person', async () => {
    const t = await invoice({ amount: 40_000, currency: 'DKK' });
    await update(world.users.operatorAcme, t.number, { fields: { supplierName: 'Nordic Paper ApS' } });
    await update(lead2, t.number, { fields: { approvalOutcome: 'rejected', approvalReason: 'No PO' } });
    expect(await audits(t, 'invoice.rejected')).to.have.length(1);
    expect((await entries(t, 'approval'))[0]?.data).to.deep.include({
      outcome: 'rejected',
      maker: world.users.operatorAcme.name,
    });
  });

  it('never lets the maker approve, an admin included, whatever the request says', async () => {
    const t = await invoice({ amount: 100, currency: 'EUR' });
    await update(world.users.admin, t.number, { fields: { amount: 7000 } });
    expect(
      await refusal(update(world.users.admin, t.number, { fields: { approvalOutcome: 'approved' } })),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.maker');
    // With a reason too: the earlier admin override of four eyes is gone.
    expect(
      await refusal(
        update(world.users.admin, t.number, {
          fields: { approvalOutcome: 'approved', approvalReason: 'Only one person on shift' },
        }),
      ),
    ).to.equal('validation:fields.approvalOutcome=four_eyes.errors.maker');
    expect(await audits(t, 'invoice.approval_overridden')).to.have.length(0);
    expect(await audits(t, 'invoice.approved')).to.have.length(0);
    // A second person approves it.
    await update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } });
    expect(await audits(t, 'invoice.approved')).to.have.length(1);
  });

  it('still reads an approval entry of the earlier admin override in every language', () => {
    // Written before the override was removed: `override: true`, kept readable in old timelines.
    const old = {
      _id: new Types.ObjectId(),
      kind: 'approval',
      visibility: 'public',
      at: new Date('2026-11-02T09:30:00Z'),
      author: { name: 'Admin', kind: 'user' },
      data: {
        outcome: 'approved',
        override: true,
        maker: 'Admin',
        reason: 'Alone on shift',
        amount: 6500,
        currency: 'EUR',
      },
    };
    for (const locale of ['en', 'it', 'da'] as const) {
      const lines = timelineView([old], [], locale, 'Europe/Rome')[0]?.summary?.lines ?? [];
      expect(lines).to.have.length(2);
      expect(lines.join(' ')).to.include('Admin').and.to.include('Alone on shift');
      expect(lines.join(' ')).to.not.include('four_eyes.');
    }
    expect(timelineView([old], [], 'en', 'Europe/Rome')[0]?.summary?.lines[0]).to.equal(
      'Invoice of €6,500.00 approved as an override of the four-eyes rule (keyed by Admin)',
    );
    // Its audit entry too: the action is no longer written, its label stays for the old entries.
    const labels = (['en', 'it', 'da'] as const).map((l) =>
      auditActionLabel('invoice.approval_overridden', l),
    );
    expect(labels[0]).to.equal('Invoice approval overridden');
    expect(new Set(labels).size).to.equal(3);
  });

  it('never lets the maker approve, however the requests interleave', async () => {
    for (let round = 0; round < 4; round++) {
      const t = await invoice({ amount: 8000, currency: 'EUR' });
      await update(world.users.teamLead, t.number, { fields: { amount: 8001 } });
      // The maker and a second person at once: only the second person's approval stands.
      const [maker, second] = await Promise.all([
        refusal(update(world.users.teamLead, t.number, { fields: { approvalOutcome: 'approved' } })),
        refusal(update(lead2, t.number, { fields: { approvalOutcome: 'approved' } })),
      ]);
      // The maker is refused, or (after the second person's approval landed) changes nothing.
      expect(maker).to.be.oneOf([
        'accepted',
        'conflict:',
        'validation:fields.approvalOutcome=four_eyes.errors.maker',
      ]);
      expect(second).to.be.oneOf(['accepted', 'conflict:']);
      const decided = await audits(t, 'invoice.approved');
      expect(decided.map((a) => String(a.actorId))).to.deep.equal(
        second === 'accepted' ? [String(lead2._id)] : [],
      );
      expect(await entries(t, 'approval')).to.have.length(decided.length);
      // Someone re-keys while approving in another request: never approved with them as maker.
      const u = await invoice({ amount: 8000, currency: 'EUR' });
      await update(world.users.teamLead, u.number, { fields: { amount: 8001 } });
      await Promise.all([
        refusal(update(lead2, u.number, { fields: { amount: 8002 } })),
        refusal(update(lead2, u.number, { fields: { approvalOutcome: 'approved' } })),
      ]);
      const kept = await stored(u);
      const approved = (kept?.fields as Record<string, unknown>).approvalOutcome === 'approved';
      if (approved) expect(String(kept?.keyedBy?.id)).to.not.equal(String(lead2._id));
      // An approval that stands was never the maker's. (A second person may approve and then
      // re-key: that re-keying takes their approval back, so it no longer stands.)
      const approvals = await audits(u, 'invoice.approved');
      if (approved)
        for (const a of approvals) expect(String(a.actorId)).to.not.equal(String(kept?.keyedBy?.id));
    }
  });

  it("applies a client's threshold to that client's invoices only", async () => {
    const t = await invoice({ amount: 50_000, currency: 'EUR' }, 'nord');
    await update(world.users.operatorBoth, t.number, { fields: { amount: 60_000 } });
    await update(world.users.operatorBoth, t.number, { fields: { approvalOutcome: 'approved' } });
    expect(await entries(t, 'approval')).to.have.length(0);
    expect(await audits(t, 'invoice.approved')).to.have.length(0);
  });
});
