import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ticket } from '../../../models/ticket.js';
import { RULE_SET_FILES, stopSchematron } from '../../../server/domain/einvoices/validate-schematron.js';
import { validationLimits } from '../../../server/domain/einvoices/validate-einvoice.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { fromRoot } from '../../../server/paths.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ubl, ublLines } from '../../domain/einvoices/builders.js';

/**
 * Issue #17: trouble with the rule sets, provoked for real through the e-invoice intake (the REST
 * API): a rule set not installed (`rules.unavailable`), the validator that cannot be started
 * (`rules.validator_down`), a rule set that fails to load (`rules.failed`), and more findings than
 * the list keeps (`rules.more`). Each time the ticket is made, with the finding, and never a 5xx.
 */
describe('e-invoices: trouble with the rule sets, through the intake', function () {
  this.timeout(180_000);
  let tp: TestPortal;
  let world: World;
  let api: ReturnType<typeof apiClient>;
  let seq = 0;
  const peppolXslt = fromRoot('einvoice-rules/build', RULE_SET_FILES['peppol-bis3']!);

  before(async () => {
    tp = await startTestPortal('einvoice-rules-trouble');
    world = await makeWorld();
    api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
  });
  afterEach(() => stopSchematron());
  after(() => tp?.stop());

  /** A Peppol invoice sent through the API: the receipt, and the ticket it made. */
  async function send(xml = ubl({ id: `TROUBLE-${++seq}` })) {
    const res = await api
      .post('/einvoices')
      .set('Content-Type', 'application/xml')
      .set('Accept-Language', 'en')
      .send(Buffer.from(xml));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const receipt = einvoiceReceiptJson.parse(res.body);
    const [invoice] = receipt.invoices;
    const ticket = await Ticket.findOne({ tenantId: world.acme._id, number: invoice!.ticket.number }).lean();
    expect(ticket?.type).to.equal('invoice');
    return invoice!.findings;
  }

  it('a rule set that is not installed: "not checked" (rules.unavailable), the XSD still checked', async () => {
    renameSync(peppolXslt, `${peppolXslt}.away`);
    try {
      const findings = await send();
      const unavailable = findings.filter((f) => f.rule === 'rules.unavailable');
      expect(unavailable, JSON.stringify(findings)).to.have.length(1);
      expect(unavailable[0]!.severity).to.equal('warning');
      expect(unavailable[0]!.message)
        .to.include('Peppol BIS Billing 3')
        .and.include('npm run einvoice-rules');
      // A file the XSD refuses is still refused: the schema was checked.
      const broken = await send(
        ubl({ id: `TROUBLE-${++seq}` }).replace('<cbc:IssueDate>', '<cbc:Bogus/><cbc:IssueDate>'),
      );
      expect(broken.map((f) => f.rule))
        .to.include('xsd.ubl')
        .and.include('rules.unavailable');
    } finally {
      renameSync(`${peppolXslt}.away`, peppolXslt);
    }
    // Installed again: checked again.
    const again = await send();
    expect(
      again.filter((f) => f.rule.startsWith('rules.')),
      JSON.stringify(again),
    ).to.deep.equal([]);
  });

  it('a validator that cannot be started: "validation service unavailable" (rules.validator_down)', async () => {
    await stopSchematron();
    const home = mkdtempSync(join(tmpdir(), 'no-java-'));
    mkdirSync(join(home, 'bin'));
    writeFileSync(join(home, 'bin', 'java'), '#!/bin/sh\necho "not a Java runtime" >&2\nexit 3\n');
    chmodSync(join(home, 'bin', 'java'), 0o755);
    const before = process.env.JAVA_HOME;
    process.env.JAVA_HOME = home;
    try {
      const findings = await send();
      const down = findings.find((f) => f.rule === 'rules.validator_down');
      expect(down, JSON.stringify(findings)).to.not.equal(undefined);
      expect(down!.severity).to.equal('warning');
      expect(down!.message).to.include('not a Java runtime');
    } finally {
      if (before === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = before;
      await stopSchematron();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a rule set that fails to load: "the check failed" (rules.failed), the ticket made all the same', async () => {
    await stopSchematron();
    const original = readFileSync(peppolXslt);
    writeFileSync(
      peppolXslt,
      '<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:bogus/>',
    );
    try {
      const findings = await send();
      const failed = findings.find((f) => f.rule === 'rules.failed');
      expect(failed, JSON.stringify(findings)).to.not.equal(undefined);
      expect(failed!.severity).to.equal('warning');
    } finally {
      writeFileSync(peppolXslt, original);
      await stopSchematron();
    }
  });

  it('more findings than the list keeps: the first ones and "N more" (rules.more)', async () => {
    // Every amount in a currency that does not exist: one finding per line, 251 in all.
    const xml = ubl({ id: `TROUBLE-${++seq}`, ...ublLines(120, 3) }).replace(
      /currencyID="EUR"/g,
      'currencyID="XXX"',
    );
    const findings = await send(xml);
    const more = findings.filter((f) => f.rule === 'rules.more');
    expect(more, JSON.stringify(findings.map((f) => f.rule))).to.have.length(1);
    expect(more[0]!.severity).to.equal('info');
    const listed = findings.filter((f) => f.rule.startsWith('PEPPOL-') || f.rule.startsWith('BR-'));
    expect(listed).to.have.length(validationLimits.maxFindingsPerEngine);
    expect(more[0]!.message).to.match(/^51 more findings of EN 16931/);
  });
});
