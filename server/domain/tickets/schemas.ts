import { z } from 'zod';
import { priorities, ticketStatuses } from '../../../models/ticket.js';
import { currencyCodes } from './currencies.js';
import { checkVat } from './vat.js';

/** Optional text from a form: empty means absent. */
const optText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v ? v : undefined));
const text = (min: number, max: number) => z.string().trim().min(min).max(max);
/**
 * Numbers are JSON numbers, never coerced: `null`, `""`, `true`, `[7]` or `"0x10"` are refused
 * (forms read their text in the reader's locale first: numbers.ts).
 */
const number = () =>
  z.number({
    error: (issue) => {
      if (issue.code !== 'invalid_type') return undefined; // bounds: the generic too_small / too_big
      if (issue.input === undefined) return 'validation.required';
      return issue.expected === 'int' ? 'exact.whole_number' : 'exact.number';
    },
  });
const count = number().int().min(0).max(100_000_000);
const isoDate = z.iso.date();

export const dataEntryFields = z.object({
  batchDescription: text(2, 2000),
  targetSystem: text(1, 120),
  expectedRecordCount: count,
  recordsCompleted: count.default(0),
  errorCount: count.default(0),
});

export const complaintChannels = ['phone', 'mail', 'web', 'social'] as const;
export const complaintSeverities = ['low', 'medium', 'high', 'critical'] as const;
export const complaintFields = z.object({
  customerName: text(1, 200),
  customerReference: text(1, 100),
  channel: z.enum(complaintChannels),
  category: text(1, 100),
  severity: z.enum(complaintSeverities),
  requestedRemedy: optText(2000),
  outcome: optText(2000),
});

export const approvalOutcomes = ['approved', 'rejected', 'on_hold'] as const;
/** A VAT number, normalised (upper case, no spaces, dots or dashes) and checked per country (vat.ts). */
export const vatNumber = z
  .string()
  .trim()
  .min(1)
  .max(30)
  .transform((v, ctx) => {
    const checked = checkVat(v);
    if (!checked.ok)
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: checked.key,
        params: { key: checked.key, ...checked.params },
      });
    return checked.vat;
  });
/** An ISO 4217 code (currencies.ts), in any case and with spaces around. */
const currency = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
  z.enum(currencyCodes),
);
const invoiceFieldObject = z.object({
  supplierName: text(1, 200),
  supplierVat: vatNumber,
  invoiceNumber: text(1, 60),
  issueDate: isoDate,
  dueDate: isoDate,
  amount: number().min(0).max(1e12),
  currency,
  poNumber: optText(60),
  approvalOutcome: z
    .enum(approvalOutcomes)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  approvalReason: optText(2000),
});
export const invoiceFields = invoiceFieldObject.refine(
  (v) => typeof v.dueDate !== 'string' || typeof v.issueDate !== 'string' || v.dueDate >= v.issueDate,
  {
    path: ['dueDate'],
    params: { key: 'due_before_issue' },
    // Also when another field is refused (e.g. the currency): every mistake is shown at once.
    // Never on what is not an object at all (fields missing or null): nothing to compare there.
    when: (payload) =>
      typeof payload.value === 'object' &&
      payload.value !== null &&
      !payload.issues.some((issue) => issue.path?.[0] === 'issueDate' || issue.path?.[0] === 'dueDate'),
  },
);

export const fieldSchemas = {
  data_entry: dataEntryFields,
  complaint: complaintFields,
  invoice: invoiceFields,
} as const;

/** A tag is at most 40 characters (checked after trimming; the document states it plainly). */
const TAG_MAX = 40;
const tagList = z
  .union([
    z.string().meta({ pattern: `^[^,]{0,${TAG_MAX}}(,[^,]{0,${TAG_MAX}})*$` }),
    z.array(z.string().meta({ maxLength: TAG_MAX })),
  ])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(',')))
  .pipe(
    z
      .array(z.string().trim().toLowerCase().max(TAG_MAX))
      .transform((tags) => [...new Set(tags.filter(Boolean))].slice(0, 20)),
  );

const common = {
  subject: text(3, 200),
  description: z.string().trim().max(20_000).default(''),
  priority: z.enum(priorities).default('normal'),
  tags: tagList,
};

/** A new ticket, as the portal form, the API and the importers hand it over. */
export const ticketInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('data_entry'), ...common, fields: dataEntryFields }),
  z.object({ type: z.literal('complaint'), ...common, fields: complaintFields }),
  z.object({ type: z.literal('invoice'), ...common, fields: invoiceFields }),
]);
export type TicketInput = z.infer<typeof ticketInputSchema>;

/**
 * A new ticket from the e-mail channel. A free mail carries a subject, a body and files, never
 * the type's required fields, so every field is optional here and staff complete them; only
 * what the channel itself tells is filled in (`mailTicketFieldDefaults`). The portal and the
 * API keep using the strict `ticketInputSchema`.
 */
export const mailTicketSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('data_entry'), ...common, fields: dataEntryFields.partial() }),
  z.object({ type: z.literal('complaint'), ...common, fields: complaintFields.partial() }),
  z.object({ type: z.literal('invoice'), ...common, fields: invoiceFieldObject.partial() }),
]);
export type MailTicketInput = z.infer<typeof mailTicketSchema>;

/** What a ticket opened by mail knows about its fields from the channel alone. */
export const mailTicketFieldDefaults = {
  data_entry: { recordsCompleted: 0, errorCount: 0 },
  complaint: { channel: 'mail' },
  invoice: {},
} as const;

export const replySchema = z.object({
  body: text(1, 20_000),
  internal: z
    .union([z.boolean(), z.enum(['true', 'false', 'on', ''])])
    .optional()
    .transform((v) => v === true || v === 'true' || v === 'on'),
  /** When the author's page was loaded: a reply by someone else since then asks for confirmation. */
  seenAt: z.iso
    .datetime()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** The author saw the warning and sends anyway. */
  confirm: z
    .union([z.boolean(), z.enum(['true', 'false', 'on', ''])])
    .optional()
    .transform((v) => v === true || v === 'true' || v === 'on'),
});
export type ReplyInput = Omit<z.infer<typeof replySchema>, 'internal' | 'confirm'> & {
  internal?: boolean;
  confirm?: boolean;
};

export const statusChangeSchema = z.object({ status: z.enum(ticketStatuses) });

export const ticketListQuerySchema = z.object({
  scope: z.enum(['mine', 'company', 'all']).default('company'),
  status: z
    .enum([...ticketStatuses, 'active', ''])
    .optional()
    .transform((v) => v || undefined),
  type: z
    .enum(['data_entry', 'complaint', 'invoice', ''])
    .optional()
    .transform((v) => v || undefined),
  priority: z
    .enum([...priorities, ''])
    .optional()
    .transform((v) => v || undefined),
  q: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((v) => v || undefined),
  tenant: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  page: z.coerce.number().int().min(1).max(1000).default(1),
});
export type TicketListQuery = z.infer<typeof ticketListQuerySchema>;
