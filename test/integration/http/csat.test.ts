import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import supertest from 'supertest';
import { CsatRating } from '../../../models/csat-rating.js';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { signSurveyLink, verifySurveyLink } from '../../../server/domain/csat/link-token.js';
import { domainEvents, type DomainEvents } from '../../../server/domain/events.js';
import { assignTicket, takeTicket } from '../../../server/domain/queues/claims.js';
import { forgetContract } from '../../../server/domain/sla/contract-store.js';
import { policyFormValues } from '../../../server/domain/sla/contract-form-values.js';
import {
  parseContractInput,
  policyInputSchema,
  targetField,
} from '../../../server/domain/sla/contract-input.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { rateResolution } from '../../../server/domain/tickets/rate-resolution.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { pino } from 'pino';
import { ctxOf } from '../../support/tickets.js';
import { eventTypeOf, payloadOf } from '../../../server/domain/webhooks/event-types.js';
import { webhookPayloadSchemas } from '../../../server/domain/webhooks/payload-schemas.js';
import { csrfFrom } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxFor, headerOf } from '../../support/mail-helpers.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const complaint = (subject: string) =>
  ticketInputSchema.parse({
    type: 'complaint',
    subject,
    description: 'Il cliente lamenta un addebito doppio.',
    fields: {
      customerName: 'Bianchi',
      customerReference: 'C-77',
      channel: 'phone',
      category: 'billing',
      severity: 'medium',
    },
  });

/** The survey links of a resolved mail, by score. */
function surveyLinksIn(mail: ParsedMail): Map<number, string> {
  const links = new Map<number, string>();
  for (const m of (mail.text ?? '').matchAll(/(https?:\/\/\S+\/csat\/[^\s?]+\?score=(\d))/g))
    links.set(Number(m[2]), m[1] as string);
  return links;
}

/** Satisfaction surveys on the resolved mail: signed one-click links, no sign-in. */
describe('CSAT surveys', function () {
  this.timeout(40_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('csat');
    world = await makeWorld();
  });
  after(async () => {
    await tp?.stop();
  });

  async function resolvedTicket(
    subject: string,
    who = world.users.acmeUser,
    operator = world.users.operatorAcme,
  ) {
    const client = ctxFor(who, 'it');
    const staff = ctxFor(operator);
    const ticket = await createTicket(client, complaint(subject), 'portal');
    await takeTicket(staff, ticket.number);
    await changeStatus(staff, ticket.number, 'resolved');
    const mail = await tp.smtp.waitFor(
      (m) => headerOf(m, 'x-ticket') === ticket.number && /\] (Risolto|Resolved|Løst):/.test(m.subject ?? ''),
    );
    return { ticket, mail };
  }

  /** What a browser does: open the link (a page, nothing recorded), then press the button. */
  async function click(url: string) {
    const agent = supertest.agent(tp.url);
    const path = new URL(url).pathname + new URL(url).search;
    const page = await agent.get(path);
    expect(page.status).to.equal(200);
    const score = /name="score" value="(\d)"/.exec(page.text)?.[1];
    const posted = await agent
      .post(new URL(url).pathname)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), score });
    return { agent, page, posted };
  }

  it('the resolved mail carries five working links: a GET only shows the page, the POST records, then an optional comment', async () => {
    const heard: Array<DomainEvents['csat.received']> = [];
    const off = domainEvents.on('csat.received', (e) => heard.push(e));
    try {
      const { ticket, mail } = await resolvedTicket('Addebito doppio');
      const links = surveyLinksIn(mail);
      expect([...links.keys()]).to.deep.equal([1, 2, 3, 4, 5]);
      expect(mail.text).to.include('molto soddisfatto');
      expect(mail.html).to.include(`href="${links.get(5)}"`);

      const row0 = await CsatRating.findOne({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
      expect(row0?.score).to.equal(null);
      expect(row0?.assignee?.name).to.equal(world.users.operatorAcme.name);
      expect(row0?.type).to.equal('complaint');

      // A mail scanner prefetching every link records nothing.
      for (const url of links.values()) {
        const res = await supertest(tp.url).get(new URL(url).pathname + new URL(url).search);
        expect(res.status).to.equal(200);
      }
      expect((await CsatRating.findOne({ tenantId: world.acme._id, _id: row0?._id }).lean())?.score).to.equal(
        null,
      );

      const { agent, page, posted } = await click(links.get(4) as string);
      // The page is in the requester's language (Italian here), auto-submitting with a script.
      expect(page.text).to.include('data-auto-submit');
      expect(page.text).to.include('/static/js/csat.js');
      expect(page.text).to.include('Invia la valutazione 4');
      expect(posted.status).to.equal(303);
      const commentPath = posted.headers.location as string;
      const form = await agent.get(commentPath);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('abbiamo registrato 4 su 5');
      const thanks = await agent
        .post(commentPath)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), comment: 'Veloci e gentili.' });
      expect(thanks.status).to.equal(200);
      expect(thanks.text).to.include('Grazie per il suo riscontro');

      const row = await CsatRating.findOne({ tenantId: world.acme._id, _id: row0?._id }).lean();
      expect(row).to.include({ score: 4, comment: 'Veloci e gentili.', changes: 2 });
      const entries = await TimelineEntry.find({
        tenantId: world.acme._id,
        ticketId: ticket._id,
        kind: 'csat',
      })
        .sort({ at: 1 })
        .lean();
      expect(entries.map((e) => e.visibility)).to.deep.equal(['internal', 'internal']);
      expect(heard.filter((e) => e.number === ticket.number).map((e) => e.score)).to.deep.equal([4, 4]);

      // The webhook event of such an entry, checked against its documented schema.
      const entry = entries[0] as (typeof entries)[number];
      expect(eventTypeOf(entry as never)).to.equal('csat.received');
      const body = JSON.parse(
        payloadOf('csat.received', entry as never, { number: ticket.number, type: 'complaint' }),
      ) as unknown;
      expect(webhookPayloadSchemas['csat.received'].safeParse(body).success).to.equal(true);
    } finally {
      off();
    }
  });

  it('one rating per resolution: a second click within the window changes it; after the window it is refused', async () => {
    const { ticket, mail } = await resolvedTicket('Fattura mancante');
    const links = surveyLinksIn(mail);
    await click(links.get(2) as string);
    await click(links.get(5) as string);
    const rows = await CsatRating.find({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    expect(rows).to.have.length(1);
    expect(rows[0]?.score).to.equal(5);

    // The window ends (the row's expiry passed): the same link no longer rates.
    await CsatRating.updateOne(
      { tenantId: world.acme._id, _id: rows[0]?._id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const late = await supertest(tp.url).get(new URL(links.get(1) as string).pathname + '?score=1');
    expect(late.status).to.equal(404);
    expect(late.text).to.include('This survey link is not valid any more');
    expect(
      (await CsatRating.findOne({ tenantId: world.acme._id, _id: rows[0]?._id }).lean())?.score,
    ).to.equal(5);
  });

  it('a link reused after the ticket is reopened and resolved again rates its own resolution only; each survey keeps the assignee, type and priority of its moment', async () => {
    const { ticket, mail } = await resolvedTicket('Riaperto dopo la risposta');
    expect(ticket.priority).not.to.equal('urgent');
    const firstLinks = surveyLinksIn(mail);
    await click(firstLinks.get(2) as string);
    // Reopened, given to another operator at another priority, resolved again: a new resolution.
    const lead = ctxFor(world.users.teamLead);
    await changeStatus(lead, ticket.number, 'open');
    await updateTicket(lead, ticket.number, { priority: 'urgent' });
    await assignTicket(lead, ticket.number, String(world.users.operatorBoth._id));
    await changeStatus(ctxFor(world.users.operatorBoth), ticket.number, 'resolved');
    const again = await tp.smtp.waitFor(
      (m) =>
        m !== mail &&
        headerOf(m, 'x-ticket') === ticket.number &&
        /\] (Risolto|Resolved|Løst):/.test(m.subject ?? ''),
    );
    const secondLinks = surveyLinksIn(again);
    expect(secondLinks.get(5)).not.to.equal(firstLinks.get(5));
    const rows = async () =>
      CsatRating.find({ tenantId: world.acme._id, ticketId: ticket._id }).sort({ resolution: 1 }).lean();
    const [one, two] = await rows();
    expect([one?.score, two?.score]).to.deep.equal([2, null]);
    // Each survey is of its moment: the first keeps what the ticket was then, not what it became.
    expect([one?.assignee?.name, one?.type, one?.priority]).to.deep.equal([
      world.users.operatorAcme.name,
      'complaint',
      ticket.priority,
    ]);
    expect([two?.assignee?.name, two?.type, two?.priority]).to.deep.equal([
      world.users.operatorBoth.name,
      'complaint',
      'urgent',
    ]);
    // The first mail's link, used again, changes the first resolution's rating and nothing else.
    const reused = await click(firstLinks.get(4) as string);
    expect(reused.posted.status).to.equal(303);
    const [oneAfter, twoAfter] = await rows();
    expect([oneAfter?.score, twoAfter?.score]).to.deep.equal([4, null]);
    await click(secondLinks.get(5) as string);
    expect((await rows()).map((r) => r.score)).to.deep.equal([4, 5]);
  });

  it('refuses tampered, forged, expired and malformed tokens with a 4xx page, never a 5xx', async () => {
    const { mail } = await resolvedTicket('Rimborso');
    const url = new URL(surveyLinksIn(mail).get(3) as string);
    const token = url.pathname.split('/').pop() as string;
    const [payload, mac] = token.split('.') as [string, string];
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const altered = Buffer.from(JSON.stringify({ ...data, r: Number(data.r) + 1 })).toString('base64url');
    const flipped = mac.slice(0, -2) + (mac.endsWith('AA') ? 'BB' : 'AA');
    const expired = signSurveyLink({ ...verifySurveyLink(token), expiresAt: new Date(Date.now() - 1000) });
    const bad = [
      `${altered}.${mac}`,
      `${payload}.${flipped}`,
      `${payload}.`,
      expired,
      'not-a-token',
      `${payload}.${mac}.x`,
      'a'.repeat(500),
      `${Buffer.from('{"a":1').toString('base64url')}.${mac}`,
    ];
    for (const t of bad) {
      const get = await supertest(tp.url).get(`/csat/${encodeURIComponent(t)}?score=3`);
      expect(get.status, t).to.equal(404);
      const agent = supertest.agent(tp.url);
      const page = await agent.get('/login');
      const post = await agent
        .post(`/csat/${encodeURIComponent(t)}`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), score: '3' });
      expect(post.status, t).to.equal(404);
    }
    // Without the session's CSRF token a POST (a scanner, another site) records nothing.
    const blind = await supertest(tp.url).post(url.pathname).type('form').send({ score: '1' });
    expect(blind.status).to.be.within(400, 499);
    // A score outside 1..5 is a validation error.
    const agent = supertest.agent(tp.url);
    const page = await agent.get(url.pathname);
    const wrong = await agent
      .post(url.pathname)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), score: '9' });
    expect(wrong.status).to.be.within(400, 499);
  });

  it('a token of one tenant cannot rate another tenant’s ticket', async () => {
    const { ticket: nordTicket } = await resolvedTicket(
      'Faktura',
      world.users.nordUser,
      world.users.operatorBoth,
    );
    const acmeToken = new URL(surveyLinksIn((await resolvedTicket('Altro')).mail).get(1) as string).pathname
      .split('/')
      .pop() as string;
    const acmeLink = verifySurveyLink(acmeToken);
    // Signed with the server key (as if the key leaked or a bug signed it): still the wrong tenant.
    const crossed = signSurveyLink({
      ...acmeLink,
      ticketId: String(nordTicket._id),
      resolution: nordTicket.version + 2,
    });
    const nordRow = await CsatRating.findOne({ tenantId: world.nord._id, ticketId: nordTicket._id }).lean();
    const crossedExact = signSurveyLink({
      ...acmeLink,
      ticketId: String(nordTicket._id),
      resolution: nordRow?.resolution as number,
    });
    for (const t of [crossed, crossedExact]) {
      const res = await supertest(tp.url).get(`/csat/${t}?score=1`);
      expect(res.status).to.equal(404);
    }
    expect(
      (await CsatRating.findOne({ tenantId: world.nord._id, _id: nordRow?._id }).lean())?.score,
    ).to.equal(null);
  });

  it('sends no survey when the client’s contract turns surveys off', async () => {
    const calendar = await SlaCalendar.create({
      tenantId: world.nord._id,
      name: 'Always',
      timeZone: 'Europe/Copenhagen',
      alwaysOpen: true,
      weekly: [],
      holidays: [],
      closures: [],
    });
    await SlaPolicy.create({
      tenantId: world.nord._id,
      version: 1,
      calendarId: calendar._id,
      targets: ticketTypes.flatMap((type) =>
        priorities.map((priority) => ({
          type,
          priority,
          firstResponseMinutes: 600,
          resolutionMinutes: 6000,
        })),
      ),
      csatOptOut: true,
      createdBy: { id: null, name: 'test' },
    });
    forgetContract(world.nord.id);
    const { ticket, mail } = await resolvedTicket(
      'Ingen undersøgelse',
      world.users.nordUser,
      world.users.operatorBoth,
    );
    expect(surveyLinksIn(mail).size).to.equal(0);
    expect(mail.text).not.to.include('/csat/');
    expect(await CsatRating.countDocuments({ tenantId: world.nord._id, ticketId: ticket._id })).to.equal(0);
  });

  it('a rating becomes a csat.received webhook event of the client’s endpoint, matching its schema', async () => {
    configureWebhooks({ allowHosts: ['127.0.0.1'] });
    try {
      const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
        url: 'http://127.0.0.1:9/csat-hook',
        description: 'csat',
        events: ['csat.received'],
        orderedPerTicket: false,
      });
      const { ticket, mail } = await resolvedTicket('Webhook CSAT');
      await click(surveyLinksIn(mail).get(5) as string);
      await sweepMissedWebhookEvents(systemCtx(pino({ level: 'silent' }), 'test'));
      const events = await WebhookEvent.find({ tenantId: world.acme._id, endpointId: ep.id }).lean();
      expect(events.map((e) => e.type)).to.deep.equal(['csat.received']);
      const body = JSON.parse(String(events[0]?.payload)) as { data: Record<string, unknown> };
      expect(webhookPayloadSchemas['csat.received'].safeParse(body).success).to.equal(true);
      expect(body.data).to.include({ score: 5, hasComment: false });
      expect((body.data.ticket as { number: string }).number).to.equal(ticket.number);
    } finally {
      configureWebhooks({ allowHosts: [] });
    }
  });

  it('a crash between a rating and its timeline entry loses no event: the sweep writes it, once', async () => {
    const { ticket } = await resolvedTicket('Crash after rating');
    const row = await CsatRating.findOne({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    // The rating's own update as rateResolution makes it (carrying its entry, the one mechanism of
    // pending-entries.ts), then the process dies before the entry is written.
    const ratedAt = new Date(Date.now() - 60_000);
    const key = `csat:${String(row!._id)}:1`;
    await CsatRating.updateOne(
      { _id: row!._id, tenantId: world.acme._id },
      {
        $set: { score: 2, ratedAt },
        $inc: { changes: 1 },
        $push: {
          pendingEntries: {
            key,
            kind: 'csat',
            visibility: 'internal',
            data: { score: 2, resolution: row!.resolution, hasComment: false },
            at: ratedAt,
            author: { id: null, name: 'csat', kind: 'system' },
          },
        },
      },
    );
    const entries = () =>
      TimelineEntry.find({ tenantId: world.acme._id, ticketId: ticket._id, kind: 'csat' }).lean();
    expect(await entries()).to.have.length(0);
    const ctx = systemCtx(pino({ level: 'silent' }), 'test');
    await sweepMissedWebhookEvents(ctx);
    await sweepMissedWebhookEvents(ctx);
    const written = await entries();
    expect(written.map((e) => [e.key, e.at.getTime()])).to.deep.equal([[key, ratedAt.getTime()]]);
    expect(written[0]?.data).to.include({ score: 2 });
    const after = await CsatRating.findOne({ _id: row!._id, tenantId: world.acme._id }).lean();
    expect(after?.pendingEntries ?? []).to.deep.equal([]);
    // A rating made normally leaves no marker behind, and its entry follows the interrupted one.
    await rateResolution(
      systemCtx(pino({ level: 'silent' }), 'test'),
      signSurveyLink({
        tenantId: String(world.acme._id),
        ticketId: String(ticket._id),
        resolution: row!.resolution,
        locale: 'it',
        expiresAt: row!.expiresAt,
      }),
      { score: 4 },
    );
    expect((await entries()).map((e) => e.key)).to.deep.equal([key, `csat:${String(row!._id)}:2`]);
    const rated = await CsatRating.findOne({ _id: row!._id, tenantId: world.acme._id }).lean();
    expect(rated?.pendingEntries ?? []).to.deep.equal([]);
  });

  it('two ratings of one resolution at once: both recorded in turn, each with its own entry, nothing owed', async () => {
    const { ticket } = await resolvedTicket('Due clic insieme');
    const row = await CsatRating.findOne({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    const token = signSurveyLink({
      tenantId: String(world.acme._id),
      ticketId: String(ticket._id),
      resolution: row!.resolution,
      locale: 'it',
      expiresAt: row!.expiresAt,
    });
    const ctx = systemCtx(pino({ level: 'silent' }), 'test');
    await Promise.all([rateResolution(ctx, token, { score: 1 }), rateResolution(ctx, token, { score: 5 })]);
    const after = await CsatRating.findOne({ _id: row!._id, tenantId: world.acme._id }).lean();
    expect(after?.changes).to.equal(2);
    expect(after?.pendingEntries ?? []).to.deep.equal([]);
    const entries = await TimelineEntry.find({ tenantId: world.acme._id, ticketId: ticket._id, kind: 'csat' })
      .sort({ key: 1 })
      .lean();
    expect(entries.map((e) => e.key)).to.deep.equal([
      `csat:${String(row!._id)}:1`,
      `csat:${String(row!._id)}:2`,
    ]);
    // The last entry says the score the row kept.
    expect(entries[1]?.data).to.include({ score: after?.score });
  });

  it('the contract form’s opt-out box round-trips (unticked: surveys on)', () => {
    const form: Record<string, string> = { warnAt: '75, 90' };
    for (const type of ticketTypes)
      for (const priority of priorities) {
        form[targetField(type, priority, 'firstResponse')] = '1';
        form[targetField(type, priority, 'resolution')] = '8';
      }
    expect(parseContractInput(policyInputSchema, form).csatOptOut).to.equal(false);
    expect(parseContractInput(policyInputSchema, { ...form, csatOptOut: 'true' }).csatOptOut).to.equal(true);
    expect(policyFormValues({ csatOptOut: true } as never).csatOptOut).to.equal('true');
    expect(policyFormValues(null).csatOptOut).to.equal('');
  });
});
