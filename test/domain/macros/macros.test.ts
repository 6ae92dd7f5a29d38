import { expect } from 'chai';
import type { Types } from 'mongoose';
import { pino } from 'pino';
import { AuditEvent } from '../../../models/audit-event.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { MacroUsage } from '../../../models/macro.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { applyMacro } from '../../../server/domain/macros/apply-macro.js';
import { getMacro, listMacros, macrosForTicket } from '../../../server/domain/macros/list-macros.js';
import { macroInputSchema, type MacroInput } from '../../../server/domain/macros/macro-input.js';
import { previewMacro } from '../../../server/domain/macros/render-macro.js';
import { saveMacro } from '../../../server/domain/macros/save-macro.js';
import { AppError } from '../../../server/errors/app-error.js';
import { timelineView } from '../../../server/domain/tickets/timeline-view.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 3: macros. */
describe('macros', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('macros');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  const lead = () => ctxOf(world.users.teamLead, null);
  const input = (over: Partial<MacroInput> = {}) =>
    macroInputSchema.parse({
      name: `Macro ${Math.random().toString(36).slice(2, 8)}`,
      type: 'complaint',
      body_en:
        'Dear {{requester.name}}, ticket {{ticket.number}} ({{complaint.customer}}) is with {{operator.name}}.',
      body_it:
        'Gentile {{requester.name}}, il ticket {{ticket.number}} ({{complaint.customer}}) è con {{operator.name}}.',
      body_da:
        'Kære {{requester.name}}, sag {{ticket.number}} ({{complaint.customer}}) er hos {{operator.name}}.',
      ...over,
    });
  async function refusal(promise: Promise<unknown>): Promise<AppError> {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(AppError);
      return err as AppError;
    }
    throw new Error('expected a refusal');
  }
  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId };
  const entriesOf = (t: Ref) =>
    TimelineEntry.find({ tenantId: t.tenantId, ticketId: t._id }).sort({ at: 1 }).lean();

  describe('saving checks the placeholders', () => {
    it('refuses an unknown placeholder, per language, as a field error', async () => {
      const err = await refusal(
        saveMacro(
          lead(),
          null,
          input({ body_it: 'Ciao {{requester.nome}}', body_da: 'Hej {{ticket.numbr}}' }),
        ),
      );
      expect(err.code).to.equal('validation');
      expect(err.fields.map((f) => [f.path, f.key, f.params?.name])).to.deep.equal([
        ['body_it', 'macros.unknown_placeholder', 'requester.nome'],
        ['body_da', 'macros.unknown_placeholder', 'ticket.numbr'],
      ]);
    });

    it("refuses a type field's placeholder not valid for the macro's ticket type", async () => {
      const err = await refusal(saveMacro(lead(), null, input({ body_en: 'Invoice {{invoice.number}}' })));
      expect(err.fields).to.have.length(1);
      expect(err.fields[0]).to.include({ path: 'body_en', key: 'macros.placeholder_wrong_type' });
      // A macro for any ticket type may use only the placeholders every ticket has.
      const any = await refusal(
        saveMacro(lead(), null, input({ type: '', body_en: 'Re {{complaint.customer}}' })),
      );
      expect(any.fields[0]).to.include({ path: 'body_en', key: 'macros.placeholder_wrong_type' });
    });

    it('refuses a field change the type does not have or a bad value, and a duplicate name', async () => {
      const unknown = await refusal(saveMacro(lead(), null, input({ fieldChanges: 'invoiceNumber=7' })));
      expect(unknown.fields[0]).to.include({ path: 'fieldChanges', key: 'macros.unknown_field' });
      const bad = await refusal(saveMacro(lead(), null, input({ fieldChanges: 'severity=enormous' })));
      expect(bad.fields[0]).to.include({ path: 'fieldChanges', key: 'macros.bad_field_value' });
      const first = await saveMacro(lead(), null, input({ name: 'Twice' }));
      const again = await refusal(saveMacro(lead(), null, input({ name: 'Twice' })));
      expect(again.code).to.equal('duplicate');
      // The same name for one client is another macro.
      await saveMacro(lead(), null, input({ name: 'Twice', tenantId: String(world.acme._id) }));
      expect(String(first.tenantId ?? null)).to.equal('null');
    });

    it('saves a valid macro, records the save in the audit log, and only for team leads and admins', async () => {
      const saved = await saveMacro(
        lead(),
        null,
        input({
          status: 'pending',
          priority: 'high',
          tags: 'macro, Follow-Up',
          fieldChanges: 'severity=high',
        }),
      );
      expect(saved.fields).to.deep.equal({ severity: 'high' });
      expect(saved.tags).to.deep.equal(['macro', 'follow-up']);
      const audit = await AuditEvent.findOne({ targetId: saved._id, action: 'macro.saved' })
        .setOptions({ allTenants: true })
        .lean();
      expect(audit?.actorEmail).to.equal(world.users.teamLead.email);
      const denied = await refusal(saveMacro(ctxOf(world.users.operatorAcme, null), null, input()));
      expect(denied.code).to.equal('forbidden');
    });
  });

  describe('preview and apply', () => {
    it("previews in the requester's language (their own, else their client's) with the ticket's values", async () => {
      const macro = await saveMacro(lead(), null, input());
      const operator = ctxOf(world.users.operatorBoth, null);
      const english = await makeUser({
        role: 'client_user',
        tenantId: world.acme.id,
        locale: 'en',
        name: 'Eve English',
      });
      const cases = [
        { requester: english, tenant: world.acme, locale: 'en', start: 'Dear Eve English, ticket ' },
        {
          requester: world.users.acmeUser,
          tenant: world.acme,
          locale: 'it',
          start: `Gentile ${world.users.acmeUser.name}, il ticket `,
        },
        {
          requester: world.users.nordUser,
          tenant: world.nord,
          locale: 'da',
          start: `Kære ${world.users.nordUser.name}, sag `,
        },
      ];
      for (const c of cases) {
        const ticket = await makeTicket(c.requester, c.tenant, `Preview ${c.locale}`);
        const preview = await previewMacro(operator, ticket.number, String(macro._id), 'en');
        expect(preview.locale).to.equal(c.locale);
        expect(preview.missing).to.deep.equal([]);
        expect(preview.text.startsWith(c.start), preview.text).to.equal(true);
        expect(preview.text).to.contain(ticket.number);
        expect(preview.text).to.contain('(Bianchi)');
        expect(preview.text).to.contain(world.users.operatorBoth.name);
      }
    });

    it('refuses to send when the ticket has no value for a placeholder, and writes nothing', async () => {
      // No SLA contract for this client: the ticket has no due time.
      const macro = await saveMacro(
        lead(),
        null,
        input({ body_it: 'Risposta entro {{due.first_response}}', status: 'pending' }),
      );
      const ticket = await makeTicket(world.users.acmeUser, world.acme, 'No due time');
      const operator = ctxOf(world.users.operatorAcme, null);
      const preview = await previewMacro(operator, ticket.number, String(macro._id), 'en');
      expect(preview.missing).to.deep.equal(['due.first_response']);
      const err = await refusal(applyMacro(operator, ticket.number, String(macro._id), 'en'));
      expect(err.code).to.equal('validation');
      expect(err.messageKey).to.equal('macros.missing_values');
      expect(err.params).to.deep.equal({ names: 'due.first_response' });
      const stored = await Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }).lean();
      expect(stored?.status).to.equal('new');
      expect(stored?.version).to.equal(ticket.version);
      expect((await entriesOf(ticket)).map((e) => e.kind)).to.deep.equal(['created']);
    });

    it("fills due times in the client's time zone and the requester's language", async () => {
      const macro = await saveMacro(
        lead(),
        null,
        input({
          type: '',
          body_en: 'Answer by {{due.first_response}}',
          body_it: 'Risposta entro {{due.first_response}}',
          body_da: 'Svar senest {{due.first_response}}, løst senest {{due.resolution}}',
        }),
      );
      const ticket = await makeTicket(world.users.nordUser, world.nord, 'With a clock');
      // A clock written as the SLA engine keeps it (sla/clock.ts): only the due times matter here.
      await Ticket.updateOne(
        { _id: ticket._id, tenantId: ticket.tenantId },
        {
          $set: {
            sla: {
              firstResponse: { dueAt: new Date('2026-03-02T07:30:00Z') },
              resolution: { dueAt: new Date('2026-07-01T22:15:00Z') },
            },
          },
        },
      );
      const preview = await previewMacro(
        ctxOf(world.users.operatorBoth, null),
        ticket.number,
        String(macro._id),
        'en',
      );
      expect(preview.locale).to.equal('da');
      // Copenhagen: UTC+1 in March, UTC+2 in July (the resolution falls on the next day there).
      expect(preview.text).to.contain('2. mar. 2026, 08.30');
      expect(preview.text).to.contain('2. jul. 2026, 00.15');
    });

    it('applies the reply and every change as one timeline entry, and counts the use', async () => {
      const macro = await saveMacro(
        lead(),
        null,
        input({
          status: 'pending',
          priority: 'urgent',
          tags: 'waiting',
          fieldChanges: 'severity=critical\noutcome=Asked for documents',
        }),
      );
      const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Apply me');
      const operator = ctxOf(world.users.operatorAcme, null);
      const done = await applyMacro(operator, ticket.number, String(macro._id), 'en');
      const stored = await Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }).lean();
      expect(stored?.status).to.equal('pending');
      expect(stored?.priority).to.equal('urgent');
      expect(stored?.tags).to.include('waiting');
      expect(stored?.fields).to.include({ severity: 'critical', outcome: 'Asked for documents' });
      // A staff reply to an unassigned ticket takes it (the one-step reply path).
      expect(String(stored?.assignee?.id)).to.equal(String(world.users.operatorAcme._id));
      const entries = await entriesOf(ticket);
      expect(entries.filter((e) => e.visibility === 'public').map((e) => e.kind)).to.deep.equal([
        'created',
        'reply',
      ]);
      const reply = entries.find((e) => e.kind === 'reply');
      expect(reply?.body).to.contain(`il ticket ${ticket.number}`);
      const data = reply?.data as { macro: { name: string }; changes: Array<{ field: string; to: unknown }> };
      expect(data.macro.name).to.equal(macro.name);
      expect(data.changes.map((c) => [c.field, c.to])).to.deep.equal([
        ['status', 'pending'],
        ['priority', 'urgent'],
        ['tags', ['waiting']],
        ['fields.severity', 'critical'],
        ['fields.outcome', 'Asked for documents'],
      ]);
      expect(done.changes).to.have.length(5);
      // The entry reads as the macro and its changes, in the reader's language.
      const [view] = timelineView([reply!], [], 'en', 'Europe/Rome', stored ?? {});
      expect(view?.summary?.lines[0]).to.equal(`Macro “${macro.name}” applied`);
      expect(view?.summary?.lines).to.have.length(6);
      const usage = await MacroUsage.findOne({
        userId: world.users.operatorAcme._id,
        macroId: macro._id,
      }).lean();
      expect(usage?.count).to.equal(1);
    });

    it("tells the client's webhooks of the reply and of the status move the one entry holds", async () => {
      const endpoint = await registerEndpoint(ctxOf(world.users.nordAdmin, world.nord), {
        url: 'https://erp.nord.example/hooks',
        description: 'ERP',
        events: ['ticket.status_changed', 'ticket.reply_added'],
        orderedPerTicket: false,
      });
      const macro = await saveMacro(lead(), null, input({ status: 'resolved' }));
      const ticket = await makeTicket(world.users.nordUser, world.nord, 'Webhook told');
      await applyMacro(ctxOf(world.users.operatorBoth, null), ticket.number, String(macro._id), 'en');
      await sweepMissedWebhookEvents(systemCtx(pino({ level: 'silent' }), 'macros-test'));
      const events = await WebhookEvent.find({ endpointId: endpoint.id, ticketId: ticket._id })
        .setOptions({ allTenants: true })
        .lean();
      const told = events.map((e) => {
        const payload = JSON.parse(e.payload) as { type: string; data: { from?: string; to?: string } };
        return [payload.type, payload.data.from ?? null, payload.data.to ?? null];
      });
      expect(told).to.have.deep.members([
        ['ticket.reply_added', null, null],
        ['ticket.status_changed', 'new', 'resolved'],
      ]);
      await WebhookEndpoint.updateOne(
        { _id: endpoint.id, tenantId: world.nord._id },
        { $set: { state: 'disabled' } },
      );
    });

    it('puts the macros an operator used most first, for that operator only', async () => {
      const tenant = await makeUser({ role: 'operator', tenantIds: [world.nord.id] });
      const a = await saveMacro(
        lead(),
        null,
        input({ name: 'AAA first by name', tenantId: String(world.nord._id) }),
      );
      const b = await saveMacro(
        lead(),
        null,
        input({ name: 'ZZZ used most', tenantId: String(world.nord._id) }),
      );
      const operator = ctxOf(tenant, null);
      const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Ordering');
      const order = async (ctx = operator) =>
        (await macrosForTicket(ctx, nordTicket))
          .map((m) => m.name)
          .filter((n) => n === a.name || n === b.name);
      expect(await order()).to.deep.equal([a.name, b.name]);
      for (const title of ['One', 'Two']) {
        const t = await makeTicket(world.users.nordUser, world.nord, title);
        await applyMacro(operator, t.number, String(b._id), 'en');
      }
      expect(await order()).to.deep.equal([b.name, a.name]);
      // Another operator's usage is their own.
      expect(await order(ctxOf(world.users.operatorBoth, null))).to.deep.equal([a.name, b.name]);
    });
  });

  describe('tenant scope', () => {
    it("keeps one client's macro off another client's tickets", async () => {
      const nordOnly = await saveMacro(
        lead(),
        null,
        input({ name: 'Nordhavn only', tenantId: String(world.nord._id) }),
      );
      const acmeTicket = await makeTicket(world.users.acmeUser, world.acme, 'Acme ticket');
      const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Nord ticket');
      const both = ctxOf(world.users.operatorBoth, null);
      // Listed and applicable on the client's own ticket ...
      expect((await macrosForTicket(both, nordTicket)).map((m) => m.name)).to.include('Nordhavn only');
      await previewMacro(both, nordTicket.number, String(nordOnly._id), 'en');
      // ... never on another client's, even by id.
      expect((await macrosForTicket(both, acmeTicket)).map((m) => m.name)).not.to.include('Nordhavn only');
      const err = await refusal(applyMacro(both, acmeTicket.number, String(nordOnly._id), 'en'));
      expect(err.code).to.equal('not_found');
      expect((await entriesOf(acmeTicket)).map((e) => e.kind)).to.deep.equal(['created']);
      // An operator who does not serve the client does not see its macro at all.
      const acmeOnly = ctxOf(world.users.operatorAcme, null);
      expect((await refusal(getMacro(acmeOnly, String(nordOnly._id)))).code).to.equal('not_found');
      expect(
        (await refusal(applyMacro(acmeOnly, acmeTicket.number, String(nordOnly._id), 'en'))).code,
      ).to.equal('not_found');
      // Nor may a team lead keep a macro for a client they do not serve.
      const acmeLead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
      const refused = await refusal(
        saveMacro(ctxOf(acmeLead, null), null, input({ tenantId: String(world.nord._id) })),
      );
      expect(refused.fields[0]).to.include({ path: 'tenantId' });
      expect((await listMacros(ctxOf(acmeLead, null))).map((m) => m.name)).not.to.include('Nordhavn only');
    });
  });
});
