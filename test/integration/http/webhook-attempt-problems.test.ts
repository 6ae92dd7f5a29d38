import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { attemptProblem } from '../../../server/domain/webhooks/attempt-problem.js';
import { t } from '../../../server/i18n/i18n.js';
import { tokenOf } from '../../support/api.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A failed delivery's problem on the endpoint page (found by the outside test of issue #19): the
 * attempt log's own text (Node's `getaddrinfo ENOTFOUND …`, `timed out after 10000 ms`) was all an
 * Italian or Danish reader got. The page says what happened in their language, the technical
 * text beside it.
 */
describe('webhook attempts: what went wrong, in the reader’s language', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('webhook-attempt-problems');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  // What the delivery stores (server/domain/webhooks/deliver.ts, safe-target.ts), newest last.
  const stored: Array<[string, string, Record<string, number>]> = [
    ['timed out after 10000 ms', 'webhook_problems.timeout', { seconds: 10 }],
    ['refused: 10.0.0.7 is not a public address', 'webhook_problems.refused', {}],
    [
      'webhook target hooks.example refused: 10.0.0.8 is not a public address',
      'webhook_problems.refused',
      {},
    ],
    ['getaddrinfo ENOTFOUND hooks.invalid', 'webhook_problems.no_such_host', {}],
    ['connect ECONNREFUSED 203.0.113.9:443', 'webhook_problems.connection_refused', {}],
    ['socket hang up', 'webhook_problems.connection_reset', {}],
    ['unable to verify the first certificate', 'webhook_problems.tls', {}],
    ['something else entirely', 'webhook_problems.other', {}],
  ];

  it('names each kind of stored error', () => {
    for (const [error, key, params] of stored)
      expect(attemptProblem(error), error).to.deep.equal({ key, params });
    expect(attemptProblem(null)).to.equal(null);
  });

  it('shows them on the endpoint page in Italian and Danish, the technical text kept', async () => {
    for (const [user, locale] of [
      [world.users.acmeAdmin, 'it'],
      [world.users.nordAdmin, 'da'],
    ] as const) {
      const token = (await tokenOf(user, 'erp')).token;
      const created = await supertest(tp.url)
        .post('/api/v1/webhook-endpoints')
        .set('Authorization', `Bearer ${token}`)
        .send({ url: 'https://hooks.invalid/erp', events: ['ticket.created'] })
        .expect(201);
      const endpointId = new Types.ObjectId(created.body.id as string);
      const at = Date.now() - 60_000;
      await WebhookAttempt.insertMany(
        stored.map(([error], i) => ({
          tenantId: user.tenantId,
          endpointId,
          eventId: new Types.ObjectId(),
          msgId: `msg_${i}`,
          attempt: 1,
          at: new Date(at + i * 1000),
          url: 'https://hooks.invalid/erp',
          status: null,
          latencyMs: 5,
          error,
          ok: false,
        })),
      );
      const agent = await signedInAgent(tp.url, user.email);
      const page = await agent.get(`/webhooks/${String(endpointId)}`).expect(200);
      const rows = tableRows(page.text, 'webhook-attempts');
      // Newest first.
      expect(rows.map((r) => r[6])).to.deep.equal(
        [...stored].reverse().map(([error, key, params]) => `${t(locale, key, params)} ${error}`),
      );
    }
  });
});
