import { expect } from 'chai';
import { AuditEvent } from '../../../models/audit-event.js';
import { auditActionLabel, auditAreaLabel } from '../../../server/domain/reports/audit-view.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { rotateSecret } from '../../../server/domain/webhooks/rotate-secret.js';
import { updateEndpoint } from '../../../server/domain/webhooks/update-endpoint.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue 19, item 4: the operable parts (audit, test event, attempts, replay). */
describe('webhook operations (domain)', () => {
  let world: World;
  before(async () => {
    await connectTestDb('webhook-operations');
    world = await makeWorld();
  });
  after(async () => {
    await dropAndDisconnect();
  });

  it('audits registration, change and secret rotation, labelled in every language', async () => {
    const acme = ctxOf(world.users.acmeAdmin, world.acme);
    const ep = await registerEndpoint(acme, {
      url: 'https://erp.acme.example/audit',
      description: 'ERP',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    await updateEndpoint(acme, ep.id, { description: 'ERP 2' });
    await rotateSecret(acme, ep.id);
    const rows = await AuditEvent.find({ targetId: ep.id })
      .setOptions({ allTenants: true })
      .sort({ at: 1 })
      .lean();
    expect(rows.map((r) => r.action)).to.deep.equal([
      'webhook.registered',
      'webhook.updated',
      'webhook.secret_rotated',
    ]);
    expect(rows.every((r) => String(r.tenantId) === String(world.acme._id))).to.equal(true);
    expect(rows[0]!.actorEmail).to.equal(world.users.acmeAdmin.email);
    expect(JSON.stringify(rows)).not.to.contain('whsec_');
    expect(rows[1]!.details).to.deep.equal({ changed: ['description'] });
    for (const locale of ['en', 'it', 'da'] as const) {
      expect(auditAreaLabel('webhook', locale)).not.to.equal('webhook');
      for (const r of rows) expect(auditActionLabel(r.action, locale)).not.to.equal(r.action);
    }
  });
});
