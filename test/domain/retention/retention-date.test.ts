import { expect } from 'chai';
import { countryOf, defaultsFor } from '../../../server/domain/retention/retention-defaults.js';
import { financialYearEndOf, retentionEndOf } from '../../../server/domain/retention/retention-date.js';
import { DateTime } from 'luxon';

const rome = { timeZone: 'Europe/Rome', financialYearEnd: '12-31' };
const copenhagen = { timeZone: 'Europe/Copenhagen', financialYearEnd: '12-31' };
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Issue 20: retention arithmetic per country and start rule. */
describe('retention arithmetic', () => {
  it('keeps an Italian invoice ten years from its date, the whole last day in Rome', () => {
    const end = retentionEndOf(defaultsFor('IT').invoice_files, { invoiceDate: '2016-03-03' }, rome);
    // 4 March 2026 00:00 in Rome (CET, UTC+1).
    expect(iso(end)).to.equal('2026-03-03T23:00:00.000Z');
  });

  it('keeps a Danish invoice five years from the end of the financial year it falls in', () => {
    const end = retentionEndOf(defaultsFor('DK').invoice_files, { invoiceDate: '2020-06-15' }, copenhagen);
    // The year ends 31 December 2020; five years on, kept through 31 December 2025 in Copenhagen.
    expect(iso(end)).to.equal('2025-12-31T23:00:00.000Z');
    const lastDay = retentionEndOf(
      defaultsFor('DK').invoice_files,
      { invoiceDate: '2020-12-31' },
      copenhagen,
    );
    expect(iso(lastDay)).to.equal('2025-12-31T23:00:00.000Z');
    const firstDay = retentionEndOf(
      defaultsFor('DK').invoice_files,
      { invoiceDate: '2021-01-01' },
      copenhagen,
    );
    expect(iso(firstDay)).to.equal('2026-12-31T23:00:00.000Z');
  });

  it('counts a financial year ending on 30 June, and one ending on 29 February', () => {
    const june = { timeZone: 'Europe/Copenhagen', financialYearEnd: '06-30' };
    const rule = { years: 5, months: 0, start: 'financial_year_end' as const };
    expect(iso(retentionEndOf(rule, { invoiceDate: '2021-06-30' }, june))).to.equal(
      '2026-06-30T22:00:00.000Z',
    );
    expect(iso(retentionEndOf(rule, { invoiceDate: '2021-07-01' }, june))).to.equal(
      '2027-06-30T22:00:00.000Z',
    );
    const zone = 'Europe/Copenhagen';
    const leapEnd = financialYearEndOf(DateTime.fromISO('2023-01-10', { zone }), '02-29');
    expect(leapEnd.toISODate()).to.equal('2023-02-28');
    expect(financialYearEndOf(DateTime.fromISO('2024-02-29', { zone }), '02-29').toISODate()).to.equal(
      '2024-02-29',
    );
  });

  it('lands a leap day plus whole years on 28 February', () => {
    const rule = { years: 1, months: 0, start: 'invoice_date' as const };
    expect(iso(retentionEndOf(rule, { invoiceDate: '2024-02-29' }, rome))).to.equal(
      '2025-02-28T23:00:00.000Z',
    );
  });

  it('takes the closing in the client zone: a ticket closed late on 31 December belongs to that year', () => {
    const rule = { years: 5, months: 0, start: 'financial_year_end' as const };
    // 23:30 in Copenhagen on 31 December 2020 is 22:30 UTC: still the 2020 financial year.
    const closedAt = new Date('2020-12-31T22:30:00Z');
    expect(iso(retentionEndOf(rule, { closedAt }, copenhagen))).to.equal('2025-12-31T23:00:00.000Z');
    // In Tokyo the same instant is already 1 January 2021: the next financial year.
    const tokyo = { timeZone: 'Asia/Tokyo', financialYearEnd: '12-31' };
    expect(iso(retentionEndOf(rule, { closedAt }, tokyo))).to.equal('2026-12-31T15:00:00.000Z');
  });

  it('starts from an instant for closings and records, and not at all for an open ticket', () => {
    const closedAt = new Date('2020-05-10T08:00:00Z');
    const rule = { years: 2, months: 6, start: 'ticket_closed' as const };
    expect(iso(retentionEndOf(rule, { closedAt }, rome))).to.equal('2022-11-10T08:00:00.000Z');
    expect(retentionEndOf(rule, { closedAt: null }, rome)).to.equal(null);
    const fy = { years: 5, months: 0, start: 'financial_year_end' as const };
    expect(retentionEndOf(fy, { closedAt: null, createdAt: closedAt }, copenhagen)).to.equal(null);
    expect(iso(retentionEndOf(fy, { createdAt: closedAt }, copenhagen))).to.equal('2025-12-31T23:00:00.000Z');
    const created = { years: 1, months: 0, start: 'created' as const };
    expect(iso(retentionEndOf(created, { createdAt: closedAt }, rome))).to.equal('2021-05-10T08:00:00.000Z');
  });

  it('counts a ticket without an invoice date from its closing under the invoice-date rule', () => {
    const closedAt = new Date('2020-05-10T08:00:00Z');
    expect(
      iso(retentionEndOf(defaultsFor('IT').invoice_files, { closedAt, invoiceDate: null }, rome)),
    ).to.equal('2030-05-10T08:00:00.000Z');
  });

  it('takes the country from the setting, else the VAT number, and gives other countries their defaults', () => {
    expect(countryOf(null, 'IT01234567897')).to.equal('IT');
    expect(countryOf('DK', 'IT01234567897')).to.equal('DK');
    expect(countryOf(null, null)).to.equal(null);
    expect(defaultsFor('IT').tickets).to.deep.equal({ years: 10, months: 0, start: 'ticket_closed' });
    expect(defaultsFor('DK').tickets).to.deep.equal({ years: 5, months: 0, start: 'financial_year_end' });
    expect(defaultsFor('FR').invoice_files).to.deep.equal({ years: 10, months: 0, start: 'invoice_date' });
    expect(defaultsFor(null).inbound_mail).to.deep.equal({ years: 1, months: 0, start: 'created' });
  });
});
