import { formatNumber } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { fieldLabel } from '../tickets/timeline-view.js';
import { areaOfAction, auditActions, auditAreas } from '../audit/audit.js';

/**
 * Areas whose labels live in their own catalogue file (four-eyes.json, webhook-ops.json,
 * macros.json, keying.json, einvoice-gate.json, quality-ops.json, retention.json, privacy.json).
 */
const labelCatalogues = [
  'four_eyes',
  'webhook_ops',
  'macros',
  'keying',
  'einvoice_gate',
  'quality_ops',
  'retention',
  'privacy',
];

function ownLabel(locale: Locale, kind: 'actions' | 'areas', name: string): string {
  return labelCatalogues.reduceRight(
    (fallback, cat) => t(locale, `${cat}.audit_labels.${kind}.${name}`, { defaultValue: fallback }),
    name,
  );
}

/** An action's label in the reader's language (`auth.sign_in` reads "Signed in"). */
export const auditActionLabel = (action: string, locale: Locale): string =>
  t(locale, `audit_labels.actions.${action}`, { defaultValue: ownLabel(locale, 'actions', action) });

export const auditAreaLabel = (area: string, locale: Locale): string =>
  t(locale, `audit_labels.areas.${area}`, { defaultValue: ownLabel(locale, 'areas', area) });

/** The choices of the audit page's filters, labelled. */
export function auditFilterChoices(locale: Locale) {
  return {
    areas: auditAreas.map((area) => ({ value: area, label: auditAreaLabel(area, locale) })),
    actions: auditActions.map((action) => ({ value: action, label: auditActionLabel(action, locale) })),
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What changed, in words, for the actions whose details a person reads (ticket actions). */
function detailsText(action: string, details: Record<string, unknown>, locale: Locale): string {
  switch (action) {
    case 'ticket.status_changed':
      return t(locale, 'timeline.status', {
        from: t(locale, `ticket_status.${str(details.from)}`),
        to: t(locale, `ticket_status.${str(details.to)}`),
      });
    case 'ticket.fields_changed':
      return (Array.isArray(details.fields) ? details.fields : [])
        .map((f) => fieldLabel(str(f), locale))
        .join(', ');
    // invoice.approval_overridden: written by the removed admin override of four eyes only; the
    // entries of it in databases still read.
    case 'invoice.approved':
    case 'invoice.rejected':
    case 'invoice.approval_overridden':
      return [
        typeof details.amount === 'number'
          ? `${formatNumber(details.amount, locale)} ${str(details.currency)}`
          : '',
        str(details.reason),
      ]
        .filter(Boolean)
        .join(' · ');
    case 'invoice.finding_overridden':
      return [str(details.rule), str(details.reason)].filter(Boolean).join(' · ');
    case 'invoice.warnings_accepted':
      return t(locale, 'einvoice_gate.timeline.warnings_accepted', { count: Number(details.count) || 0 });
    case 'quality.second_keyed':
      return t(locale, 'quality_ops.audit_details.second_keyed', {
        seq: Number(details.seq) || 0,
        count: Number(details.differences) || 0,
      });
    case 'quality.differences_settled':
      return t(locale, 'quality_ops.audit_details.settled', {
        seq: Number(details.seq) || 0,
        count: Array.isArray(details.fields) ? details.fields.length : 0,
      });
    case 'quality.inspection_resumed':
      return t(locale, 'quality_ops.audit_details.resumed', {
        layout: str(details.layout),
        action: str(details.correctiveAction),
      });
    case 'quality.reduced_allowed':
      return t(locale, `quality_ops.audit_details.${details.allow === true ? 'reduced_on' : 'reduced_off'}`, {
        layout: str(details.layout),
      });
    case 'ticket.taken':
    case 'ticket.assigned':
      return str(details.to);
    case 'ticket.released':
      return str(details.from);
    case 'user.role_changed':
      return `${t(locale, `roles.${str(details.from)}`, { defaultValue: str(details.from) })} → ${t(locale, `roles.${str(details.to)}`, { defaultValue: str(details.to) })}`;
    default:
      return '';
  }
}

/** One row of the audit page, labels translated. */
export function auditRowView<E extends { action: string; details?: unknown }>(event: E, locale: Locale) {
  return {
    ...event,
    area: areaOfAction(event.action),
    areaLabel: auditAreaLabel(areaOfAction(event.action), locale),
    actionLabel: auditActionLabel(event.action, locale),
    detailsText: detailsText(event.action, (event.details ?? {}) as Record<string, unknown>, locale),
  };
}
