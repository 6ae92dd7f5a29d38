import { expect } from 'chai';
import http from 'node:http';
import { pino } from 'pino';
import { attemptHistory } from '../../../server/domain/webhooks/list-attempts.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueWebhooks } from '../../../server/domain/webhooks/deliver.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { agentFor, isForbiddenAddress } from '../../../server/domain/webhooks/safe-target.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const log = pino({ level: 'silent' });
const sys = () => systemCtx(log, 'ssrf-test');

/** Issue 19, item 3: outgoing requests refuse private, loopback and link-local targets. */
describe('webhook targets (SSRF)', function () {
  this.timeout(30_000);
  let world: World;
  const receiver = new WebhookReceiver();

  before(async () => {
    await connectTestDb('webhook-ssrf');
    world = await makeWorld();
    await receiver.start();
  });
  afterEach(() => configureWebhooks({ allowHosts: [], timeoutMs: 2000 }));
  after(async () => {
    await receiver.stop();
    configureWebhooks({ allowHosts: [], timeoutMs: 10_000 });
    await dropAndDisconnect();
  });

  it('classifies addresses', () => {
    const refused = [
      '0.0.0.0',
      '10.0.0.1',
      '10.255.255.255',
      '127.0.0.1',
      '127.1.2.3',
      '100.64.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.1',
      '192.0.0.8',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'fe80::1%eth0',
      'febf::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:a00:1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '::127.0.0.1',
      '64:ff9b::10.0.0.1',
      '2002:a00:1::1',
      'not-an-address',
    ];
    const allowed = [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
    ];
    for (const a of refused) expect(isForbiddenAddress(a), a).to.equal(true);
    for (const a of allowed) expect(isForbiddenAddress(a), a).to.equal(false);
  });

  it('refuses to register http, private, loopback, link-local and IPv4-mapped targets', async () => {
    const ctx = ctxOf(world.users.acmeAdmin, world.acme);
    const refused = [
      'http://example.com/hook',
      'https://10.0.0.1/hook',
      'https://127.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://localhost/hook',
      'https://user:pass@example.com/hook',
      'ftp://example.com/hook',
      'not a url',
    ];
    for (const url of refused) {
      const err = await registerEndpoint(ctx, {
        url,
        description: '',
        events: ['ticket.created'],
        orderedPerTicket: false,
      }).then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(err?.code, url).to.equal('validation');
    }
    const ok = await registerEndpoint(ctx, {
      url: 'https://hooks.example.com/desk',
      description: '',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    expect(ok.url).to.equal('https://hooks.example.com/desk');
  });

  it('checks names at connect time: a name resolving to loopback is refused unless allowed', async () => {
    const get = (url: URL) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(url, { agent: agentFor(url) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
    const before = receiver.received.length;
    const url = new URL(`http://localhost:${receiver.port}/rebind`);
    const err = await get(url).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).to.equal('EWEBHOOKTARGET');
    expect(receiver.received.length).to.equal(before);
    configureWebhooks({ allowHosts: ['localhost'] });
    expect(await get(url)).to.equal(200);
  });

  it('delivery refuses a stored target that is not public, and follows no redirect', async () => {
    configureWebhooks({ allowHosts: ['127.0.0.1'] });
    const ctx = ctxOf(world.users.acmeAdmin, world.acme);
    const redirecting = await registerEndpoint(ctx, {
      url: receiver.url('/moved'),
      description: '',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    const rebound = await registerEndpoint(ctx, {
      url: 'https://hooks.example.com/rebound',
      description: '',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    const numeric = await registerEndpoint(ctx, {
      url: 'https://hooks.example.com/numeric',
      description: '',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    // As if DNS or an old row now pointed inside: written behind the domain's back.
    await WebhookEndpoint.updateOne(
      { _id: rebound.id },
      { $set: { url: `https://localhost:${receiver.port}/rebound` } },
    ).setOptions({ allTenants: true });
    await WebhookEndpoint.updateOne(
      { _id: numeric.id },
      { $set: { url: `https://[::ffff:127.0.0.1]:${receiver.port}/numeric` } },
    ).setOptions({ allTenants: true });
    receiver.answer = (r) =>
      r.path === '/moved'
        ? { status: 302, headers: { Location: receiver.url('/elsewhere') } }
        : { status: 200 };
    await makeTicket(world.users.acmeUser, world.acme, 'SSRF');
    await sweepMissedWebhookEvents(sys());
    await deliverDueWebhooks(sys());
    const paths = receiver.received.map((r) => r.path);
    expect(paths).to.include('/moved');
    expect(paths).not.to.include('/elsewhere');
    expect(paths).not.to.include('/rebound');
    expect(paths).not.to.include('/numeric');
    const attemptOf = async (id: string) => (await attemptHistory({ endpointId: id }, { limit: 1 }))[0]!;
    expect((await attemptOf(redirecting.id)).status).to.equal(302);
    expect((await attemptOf(redirecting.id)).ok).to.equal(false);
    expect((await attemptOf(rebound.id)).error).to.match(/not a public address/);
    expect((await attemptOf(numeric.id)).error).to.match(/refused/);
  });
});
