import type { TicketEInvoice } from '../domain/einvoices/queries.js';
import type { FindingLocation } from '../domain/einvoices/types.js';
import { i18n, t, type Locale } from '../i18n/i18n.js';
import { findingMessage } from '../domain/einvoices/finding-message.js';
import { formatDecimal } from '../i18n/format.js';
import { findingStates, gateOf, type FindingState } from '../domain/tickets/finding-state.js';

/**
 * What the approval control says about the findings (tickets/approval-gate.ts decides; this only
 * shows it): the errors still blocking and the warnings an approver accepts.
 */
export function approvalGateView(states: readonly FindingState[] | null) {
  if (!states) return null;
  const gate = gateOf(states);
  return {
    blocked: gate.blocked,
    blockedCount: gate.blocking.length,
    blockedRules: gate.blocking.map((f) => f.rule).join(', '),
    warningsCount: gate.warnings.length,
  };
}

/** Who accepted the file's warnings with the approval, and when (a Date the template formats). */
export function warningsAcceptedView(raw: unknown) {
  const w = raw as { by?: { name?: string }; at?: Date } | null | undefined;
  return w?.at ? { name: w.by?.name ?? '', at: w.at } : null;
}

/** The checklist's rows: each finding in the reader's language, its override, its override form. */
function findingViews(
  states: readonly FindingState[],
  locale: Locale,
  opts: { mayOverride?: boolean; staff?: boolean; timeZone?: string },
) {
  const reader = { locale, timeZone: opts.timeZone ?? 'UTC' };
  const where = (l: FindingLocation | undefined) =>
    l
      ? [
          l.line ? t(locale, 'einvoices.page.at_line', { line: l.line, column: l.column ?? 1 }) : '',
          l.path ?? '',
        ]
          .filter(Boolean)
          .join(' · ')
      : '';
  return states.map((f) => ({
    id: f.id,
    blocking: f.blocking,
    override:
      f.override && opts.staff
        ? { name: f.override.by.name, at: f.override.at, reason: f.override.reason }
        : null,
    mayOverride: f.blocking && opts.mayOverride === true,
    severity: f.severity,
    severityLabel: t(locale, `einvoices.page.severity.${f.severity}`),
    rule: f.rule,
    message: findingMessage(reader, f),
    where: where(f.location),
  }));
}

/**
 * The ticket page's read-only e-invoice section: findings as a checklist (severity, rule,
 * message in the reader's language, where in the file), the signature, and the lines, VAT
 * summary and payment terms as a readable invoice. Amounts are the file's exact decimals, shown
 * in the reader's number format.
 */
export function einvoiceView(
  e: TicketEInvoice,
  locale: Locale,
  /**
   * `mayOverride`: the reader may override error findings (an override form under each);
   * `staff`: the reader sees the overrides (staff's control: internal, as their timeline entries);
   * `timeZone`: the reader's, for the instants in finding messages (finding-message.ts).
   */
  opts: { mayOverride?: boolean; staff?: boolean; timeZone?: string } = {},
) {
  const states = findingStates(e.findings, e.overrides);
  const amount = (v: string | undefined) => formatDecimal(v, locale, 2);
  const plain = (v: string | undefined) => formatDecimal(v, locale, 0);
  const fatturapa = e.format === 'fatturapa';
  return {
    filename: e.entryName ? `${e.filename} › ${e.entryName}` : e.filename,
    format: t(locale, `einvoices.page.formats.${e.format}`),
    kind: t(locale, `einvoices.page.kinds.${e.kind}`),
    documentType: e.documentType ?? '',
    downloadUrl: `/attachments/${String(e.attachmentId)}`,
    findings: findingViews(states, locale, opts),
    signature: e.signature
      ? {
          signers: e.signature.signers.join('; '),
          verified: e.signature.verified,
          status: t(
            locale,
            e.signature.verified
              ? 'einvoices.page.signature_verified'
              : 'einvoices.page.signature_not_verified',
          ),
        }
      : null,
    lines: e.lines.map((l) => ({
      number: l.number ?? '',
      description: l.description ?? '',
      quantity: plain(l.quantity),
      unitPrice: amount(l.unitPrice),
      total: amount(l.total),
      vatRate: plain(l.vatRate),
    })),
    vatSummary: e.vatSummary.map((s) => ({
      rate: plain(s.rate),
      category: s.category ?? '',
      taxable: amount(s.taxable),
      tax: amount(s.tax),
    })),
    dueDates: e.dueDates.map((d) => ({ on: d.date, amount: amount(d.amount) })),
    payment: e.paymentTerms
      ? {
          means: e.paymentTerms.means
            .map((m) => paymentCode(locale, fatturapa ? 'fatturapa_means' : 'ubl_means', m))
            .join(', '),
          accounts: e.paymentTerms.accounts.join(', '),
          note: e.paymentTerms.note ?? '',
          condition: paymentCode(
            locale,
            fatturapa ? 'fatturapa_condition' : '-',
            e.paymentTerms.condition ?? '',
          ),
        }
      : null,
    gate: approvalGateView(states),
    corrects: e.corrects.join(', '),
    siblings: e.siblings,
    correctsTickets: e.correctsTickets,
    correctedBy: e.correctedBy,
  };
}

/**
 * A payment code of the file (FatturaPA MP/TP, UNCL 4461 in UBL) in words, the code kept beside;
 * a code of no known list (`list` is `-`), or unknown in its list, as it is.
 */
function paymentCode(locale: Locale, list: string, value: string): string {
  const key = `einvoicepay.${list}.${value}`;
  return /^[A-Za-z0-9]{1,4}$/.test(value) && i18n().exists(key, { lng: locale })
    ? `${t(locale, key)} (${value})`
    : value;
}
