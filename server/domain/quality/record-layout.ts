import { z } from 'zod';
import { aqlIndex, inspectionLevels } from './sampling-tables.js';

/**
 * A record layout: what one record of a client's data-entry work holds. Each client contract
 * defines its layouts; a field has a type (text, number, date, code list, VAT number, IBAN), may be
 * required, and has a class (critical, major, minor) that decides which AQL its errors are judged
 * against when a lot is inspected (ISO 2859-1 classifies nonconformities the same way). The
 * layout also carries the inspection level (II by default), the AQL per class and the accuracy
 * target of the contract. `recordLayoutSchema` validates a layout as an adapter receives it.
 */

export const fieldTypes = ['text', 'number', 'date', 'code', 'vat', 'iban'] as const;
export type FieldType = (typeof fieldTypes)[number];

export const fieldClasses = ['critical', 'major', 'minor'] as const;
export type FieldClass = (typeof fieldClasses)[number];

const label = z.string().trim().min(1).max(120);
const common = {
  key: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, { message: 'quality.layout.field_key' }),
  label,
  required: z.boolean().default(false),
  class: z.enum(fieldClasses).default('major'),
};

const textField = z.object({
  ...common,
  type: z.literal('text'),
  maxLength: z.number().int().min(1).max(2000).default(200),
});
const numberField = z
  .object({
    ...common,
    type: z.literal('number'),
    decimals: z.number().int().min(0).max(6).default(0),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .refine((f) => f.min === undefined || f.max === undefined || f.min <= f.max, {
    message: 'quality.layout.min_max',
    path: ['max'],
  });
const dateField = z.object({ ...common, type: z.literal('date') });
const codeField = z
  .object({
    ...common,
    type: z.literal('code'),
    codes: z.array(z.string().trim().min(1).max(60)).min(1).max(500),
  })
  .refine((f) => new Set(f.codes.map((c) => c.toLowerCase())).size === f.codes.length, {
    message: 'quality.layout.duplicate_code',
    path: ['codes'],
  });
const vatField = z.object({ ...common, type: z.literal('vat') });
const ibanField = z.object({ ...common, type: z.literal('iban') });

export const layoutFieldSchema = z.discriminatedUnion('type', [
  textField,
  numberField,
  dateField,
  codeField,
  vatField,
  ibanField,
]);
export type LayoutField = z.output<typeof layoutFieldSchema>;

const aql = z.number().refine((v) => aqlIndex(v) >= 0, { message: 'quality.layout.aql' });

export const recordLayoutSchema = z
  .object({
    name: label,
    fields: z.array(layoutFieldSchema).min(1).max(200),
    inspectionLevel: z.enum(inspectionLevels).default('II'),
    aql: z.object({ critical: aql, major: aql, minor: aql }),
    /** Field accuracy promised by the contract, as a proportion (0.995 = 99.5 %). */
    accuracyTarget: z.number().min(0).max(1).optional(),
    /** Critical fields keyed twice by two people, differences settled by a third. */
    doubleKeyCritical: z.boolean().default(false),
  })
  .superRefine((layout, ctx) => {
    const seen = new Set<string>();
    layout.fields.forEach((field, i) => {
      if (seen.has(field.key)) {
        ctx.addIssue({ code: 'custom', message: 'quality.layout.duplicate_key', path: ['fields', i, 'key'] });
      }
      seen.add(field.key);
    });
  });
export type RecordLayout = z.output<typeof recordLayoutSchema>;

/** The fields of a layout by class, in layout order. */
export function fieldsByClass(layout: Pick<RecordLayout, 'fields'>): Record<FieldClass, LayoutField[]> {
  const out: Record<FieldClass, LayoutField[]> = { critical: [], major: [], minor: [] };
  for (const field of layout.fields) out[field.class].push(field);
  return out;
}
