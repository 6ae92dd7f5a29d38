import { expect } from 'chai';
import { DateTime } from 'luxon';
import { AuditEvent } from '../../../models/audit-event.js';
import { attemptHistory } from '../../../server/domain/webhooks/list-attempts.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { t } from '../../../server/i18n/i18n.js';
import { postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, fieldError, inputValue, navHrefs, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const secretIn = (html: string): string | null => {
  const raw = /data-testid="secret">(whsec_[^<]+)</.exec(html)?.[1];
  return raw ? decodeHtml(raw) : null;
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(50);
  }
}

/**
 * Issue 19, item 4 (pages): client admins (and provider admins, for any client) manage their
 * endpoints in the portal: register (the secret shown once), edit, disable and enable, rotate
 * the secret (shown once), send a test event, read the attempt history, replay one delivery or
 * every failed one in a time range. Thin over the domain: what the pages do is what the API does.
 */
describe('webhook pages', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let acmeAdmin: Agent;
  const receiver = new WebhookReceiver();

  before(async () => {
    tp = await startTestPortal('webhook-pages');
    world = await makeWorld();
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'] });
    acmeAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
  });
  after(async () => {
    configureWebhooks({ allowHosts: [] });
    await receiver.stop();
    await tp?.stop();
  });

  it('registers an endpoint from the form: the secret once, field errors keep what was typed', async () => {
    const page = await acmeAdmin.get('/webhooks').expect(200);
    expect(navHrefs(page.text)).to.include('/webhooks');
    // A client user has no such page nor link.
    const user = await signedInAgent(tp.url, world.users.acmeUser.email);
    expect(navHrefs((await user.get('/').expect(200)).text)).to.not.include('/webhooks');
    await user.get('/webhooks').expect(403);

    // A private address and no event: the form comes back with a message per field.
    const bad = await postForm(acmeAdmin, '/webhooks', '/webhooks', {
      url: 'https://10.0.0.7/hook',
      description: 'ERP typed',
    });
    expect(bad.status).to.equal(422);
    expect(inputValue(bad.text, 'description')).to.equal('ERP typed');
    expect(fieldError(bad.text, 'events')).to.be.a('string').and.not.equal('');
    const bad2 = await postForm(acmeAdmin, '/webhooks', '/webhooks', {
      url: 'https://10.0.0.7/hook',
      description: 'ERP typed',
      events: ['ticket.created'],
    });
    expect(bad2.status).to.equal(422);
    expect(fieldError(bad2.text, 'url')).to.equal(t('it', 'webhooks.url_private'));

    const created = await postForm(acmeAdmin, '/webhooks', '/webhooks', {
      url: receiver.url('/erp'),
      description: 'ERP',
      events: ['ticket.created', 'ticket.status_changed'],
      orderedPerTicket: 'true',
    });
    expect(created.status).to.equal(201);
    expect(created.headers['cache-control']).to.equal('no-store');
    const secret = secretIn(created.text);
    expect(secret).to.match(/^whsec_/);
    const list = await acmeAdmin.get('/webhooks').expect(200);
    expect(list.text).to.not.include(secret as string);
    const rows = tableRows(list.text, 'webhook-endpoints');
    expect(rows).to.have.length(1);
    expect(rows[0]?.slice(0, 4)).to.deep.equal([
      receiver.url('/erp'),
      'ERP',
      '2',
      t('it', 'webhook_pages.state.active'),
    ]);
    const ep = await WebhookEndpoint.findOne({ tenantId: world.acme._id }).lean();
    expect(ep?.events).to.deep.equal(['ticket.created', 'ticket.status_changed']);
    expect(ep?.orderedPerTicket).to.equal(true);
  });

  it('edits, disables, enables and rotates; another company’s admin gets 404', async () => {
    const ep = await WebhookEndpoint.findOne({ tenantId: world.acme._id }).lean();
    const id = String(ep?._id);
    const path = `/webhooks/${id}`;
    const page = await acmeAdmin.get(path).expect(200);
    expect(inputValue(page.text, 'url')).to.equal(receiver.url('/erp'));

    const invalid = await postForm(acmeAdmin, path, path, { url: 'ftp://x.example/h', description: 'Kept' });
    expect(invalid.status).to.equal(422);
    expect(inputValue(invalid.text, 'description')).to.equal('Kept');

    const saved = await postForm(acmeAdmin, path, path, {
      url: receiver.url('/erp'),
      description: 'ERP main',
      events: ['ticket.created', 'ticket.assigned'],
    });
    expect(saved.status).to.equal(302);
    const after = await WebhookEndpoint.findOne({ _id: ep?._id, tenantId: world.acme._id }).lean();
    expect(after?.events).to.deep.equal(['ticket.created', 'ticket.assigned']);
    expect(after?.orderedPerTicket).to.equal(false);
    expect(after?.description).to.equal('ERP main');

    await postForm(acmeAdmin, path, `${path}/state`, { state: 'disabled' }).then((r) =>
      expect(r.status).to.equal(302),
    );
    const disabled = await acmeAdmin.get(path).expect(200);
    expect(textOf(disabled.text)).to.include(t('it', 'webhook_pages.state.disabled'));
    expect(textOf(disabled.text)).to.include(t('it', 'webhook_pages.disabled'));
    // A test event to a disabled endpoint: refused, with the reason.
    const refused = await postForm(acmeAdmin, path, `${path}/test`, {});
    expect(refused.status).to.equal(302);
    expect(textOf((await acmeAdmin.get(path)).text)).to.include(t('it', 'webhook_ops.endpoint_disabled'));
    await postForm(acmeAdmin, path, `${path}/state`, { state: 'active' });
    expect(
      (await WebhookEndpoint.findOne({ _id: ep?._id, tenantId: world.acme._id }).lean())?.state,
    ).to.equal('active');

    const rotated = await postForm(acmeAdmin, path, `${path}/rotate-secret`, {});
    expect(rotated.status).to.equal(200);
    expect(rotated.headers['cache-control']).to.equal('no-store');
    const fresh = secretIn(rotated.text);
    const stored = await WebhookEndpoint.findOne({ _id: ep?._id, tenantId: world.acme._id }).lean();
    expect(fresh).to.equal(stored?.secret);
    expect(stored?.previousSecret).to.equal(ep?.secret);
    expect((await acmeAdmin.get(path)).text).to.not.include(fresh as string);

    const nord = await signedInAgent(tp.url, world.users.nordAdmin.email);
    await nord.get(path).expect(404);
    for (const action of ['', '/state', '/rotate-secret', '/test', '/replay'])
      expect((await postForm(nord, '/webhooks', `${path}${action}`, { state: 'disabled' })).status).to.equal(
        404,
      );
    expect(tableRows((await nord.get('/webhooks')).text, 'webhook-endpoints')[0]?.[0]).to.equal(
      t('da', 'webhook_pages.empty'),
    );
    const audit = await AuditEvent.find({ targetId: id }).setOptions({ allTenants: true }).lean();
    expect(audit.map((a) => a.action)).to.include.members(['webhook.updated', 'webhook.secret_rotated']);
  });

  it('sends a test event, shows its attempt, and replays one delivery and a range of failed ones', async () => {
    const ep = await WebhookEndpoint.findOne({ tenantId: world.acme._id }).lean();
    const id = String(ep?._id);
    const path = `/webhooks/${id}`;
    receiver.answer = () => ({ status: 503, body: 'down for maintenance' });
    const sent = await postForm(acmeAdmin, path, `${path}/test`, {});
    expect(sent.status).to.equal(302);
    await until(
      'the test event’s first attempt',
      async () =>
        (await attemptHistory({ endpointId: ep!._id, tenantId: world.acme._id }, { limit: 1 })).length > 0,
    );
    const page = await acmeAdmin.get(path).expect(200);
    const rows = tableRows(page.text, 'webhook-attempts');
    const event = await WebhookEvent.findOne({ endpointId: ep?._id, tenantId: world.acme._id }).lean();
    expect(rows[0]?.[1]).to.equal(event?.msgId);
    expect(rows[0]?.[3]).to.equal('503');
    expect(rows[0]?.[6]).to.include('down for maintenance');
    expect(rows[0]?.[5]).to.include('webhook-id').and.not.include('webhook-signature');

    // Given up (as after its last retry): replay the range it happened in, in the reader's time zone.
    receiver.answer = () => ({ status: 200, body: 'ok' });
    await WebhookEvent.updateOne(
      { _id: event?._id, tenantId: world.acme._id },
      { $set: { status: 'failed', nextAttemptAt: null } },
    );
    const zone = world.acme.timeZone;
    const local = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
    const occurred = event?.occurredAt as Date;
    // A range without an end: the form says so, nothing is replayed.
    const noEnd = await postForm(acmeAdmin, path, `${path}/replay`, { from: local(occurred), to: '' });
    expect(noEnd.status).to.equal(422);
    const replayed = await postForm(acmeAdmin, path, `${path}/replay`, {
      from: local(new Date(occurred.getTime() - 60_000)),
      to: local(new Date(occurred.getTime() + 120_000)),
    });
    expect(replayed.status).to.equal(302);
    // The words themselves: a key that does not resolve would be on the page and in t()'s answer alike.
    expect(textOf((await acmeAdmin.get(path)).text)).to.include('Rimesso in coda: 1 evento.');
    await until(
      'the replayed delivery',
      async () =>
        (await attemptHistory({ endpointId: ep!._id, tenantId: world.acme._id, ok: true }, { limit: 1 }))
          .length > 0,
    );
    // One delivery again, from its row in the history.
    const before = receiver.received.filter((r) => r.headers['webhook-id'] === event?.msgId).length;
    const one = await postForm(acmeAdmin, path, `${path}/replay`, { eventId: String(event?._id) });
    expect(one.status).to.equal(302);
    await until('the event delivered once more', async () =>
      Promise.resolve(
        receiver.received.filter((r) => r.headers['webhook-id'] === event?.msgId).length > before,
      ),
    );
  });

  it('lets a provider admin register an endpoint for a client they choose', async () => {
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const page = await admin.get('/webhooks').expect(200);
    expect(page.text).to.include(`value="${String(world.nord._id)}"`);
    const missing = await postForm(admin, '/webhooks', '/webhooks', {
      url: receiver.url('/nord'),
      events: ['ticket.created'],
    });
    expect(missing.status).to.equal(422);
    expect(fieldError(missing.text, 'tenantId')).to.equal(t('en', 'webhooks.tenant_required'));
    const created = await postForm(admin, '/webhooks', '/webhooks', {
      tenantId: String(world.nord._id),
      url: receiver.url('/nord'),
      events: ['ticket.created'],
    });
    expect(created.status).to.equal(201);
    const rows = tableRows((await admin.get('/webhooks')).text, 'webhook-endpoints');
    expect(rows.map((r) => r[0])).to.include.members([world.acme.legalName, world.nord.legalName]);
  });
});
