import { formatDate, formatDateTime, formatDecimal, type Reader } from '../../i18n/format.js';
import { t } from '../../i18n/i18n.js';

/**
 * A finding's message as a person reads it: the one place that writes it, for every channel (the
 * ticket page's checklist, the REST API, the internal note of inbound mail). The message is the
 * catalogue's (`messageKey` with `params`); the values the portal itself put in it are shown in the
 * reader's format (server/i18n/format.ts):
 *
 * - in the BPO checks' messages (`einvoices.bpo.*`, and the FatturaPA total taken from the VAT
 *   summary) amounts (exact decimals, `1234.5`) in the reader's number format with two decimals,
 *   calendar dates (`2026-01-31`) in the reader's date format, instants (`2026-01-31T09:30:00Z`)
 *   in the reader's date and time format in the reader's time zone.
 *
 * Sizes and limits (`size`, `max`) stay numbers: the catalogue formats them itself
 * (`{{size, bytes}}` with formatBytes, `{{max, number}}`, server/i18n/i18n.ts), so the API's 422
 * answer, which translates the same findings in errors/present.ts, shows them the same way.
 * Other values are shown as they are: what the file says where it is wrong (a value that is not a
 * decimal, the rule files' own texts) must be quoted, not reformatted, and a `count` stays a
 * number (the catalogue chooses its plural form by it).
 */
export interface FindingText {
  messageKey: string;
  params?: Record<string, string | number>;
}

/** Messages whose string values are the portal's own amounts and dates. */
const VALUE_MESSAGES = /^einvoices\.(bpo\.|fatturapa\.total_from_summary$)/;

const DECIMAL = /^-?\d+\.\d+$/;
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function readableValue(reader: Reader, messageKey: string, value: string | number) {
  if (typeof value === 'number' || !VALUE_MESSAGES.test(messageKey)) return value;
  if (DECIMAL.test(value)) return formatDecimal(value, reader.locale, 2);
  // A calendar date is the same day everywhere: read at noon UTC, shown in UTC.
  if (CALENDAR_DATE.test(value)) return formatDate(`${value}T12:00:00Z`, reader.locale, 'UTC') || value;
  if (INSTANT.test(value)) return formatDateTime(value, reader.locale, reader.timeZone) || value;
  return value;
}

/** The finding's parameters as its message shows them to this reader. */
function readableFindingParams(reader: Reader, f: FindingText): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(f.params ?? {}).map(([k, v]) => [k, readableValue(reader, f.messageKey, v)]),
  );
}

/** The finding's message in the reader's language, its values in the reader's format. */
export function findingMessage(reader: Reader, f: FindingText): string {
  return t(reader.locale, f.messageKey, readableFindingParams(reader, f));
}
