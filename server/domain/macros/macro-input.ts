import { Types } from 'mongoose';
import { z } from 'zod';
import { macroStatuses } from '../../../models/macro.js';
import { priorities, ticketTypes, type TicketType } from '../../../models/ticket.js';
import { fieldSchemas } from '../tickets/schemas.js';

const blankToNull = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.enum(values), z.literal('')])
    .optional()
    .transform((v) => (v ? v : null));

const replyText = z.string().trim().min(1).max(20_000);

/**
 * A macro as the management form (or a test) sends it. `fieldChanges` is one `name=value` per
 * line (type fields the macro sets); the body is one text per language.
 */
export const macroInputSchema = z.object({
  name: z.string().trim().min(2).max(80),
  tenantId: z
    .string()
    .optional()
    .transform((v) => (v ? v : null))
    .pipe(
      z
        .string()
        .refine((id) => Types.ObjectId.isValid(id), { params: { key: 'unknown' } })
        .nullable(),
    ),
  type: blankToNull(ticketTypes),
  body_en: replyText,
  body_it: replyText,
  body_da: replyText,
  status: blankToNull(macroStatuses),
  priority: blankToNull(priorities),
  tags: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) =>
      (Array.isArray(v) ? v : (v ?? '').split(','))
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean)
        .slice(0, 20),
    )
    .pipe(z.array(z.string().max(40))),
  fieldChanges: z
    .string()
    .max(5_000)
    .optional()
    .transform((v) => v ?? ''),
  active: z
    .union([z.boolean(), z.enum(['true', 'false', 'on', ''])])
    .optional()
    .transform((v) => v === undefined || v === true || v === 'true' || v === 'on'),
});
export type MacroInput = z.input<typeof macroInputSchema>;
export type ParsedMacroInput = z.infer<typeof macroInputSchema>;

/** Fields a macro may not set: a four-eyes decision is a person's, taken on the invoice itself. */
const notSettable = new Set(['approvalOutcome', 'approvalReason']);

/** The type fields a macro of this type may set. */
export function settableFields(type: TicketType): string[] {
  return Object.keys(fieldSchemas[type].shape).filter((name) => !notSettable.has(name));
}

/**
 * Read the `name=value` lines into type field values, each checked with the type's own schema for
 * that field (a number field takes a plain number). Problems come back per line, never thrown.
 */
export function readFieldChanges(
  type: TicketType | null,
  text: string,
): { fields: Record<string, unknown>; problems: Array<{ key: string; params: Record<string, string> }> } {
  const fields: Record<string, unknown> = {};
  const problems: Array<{ key: string; params: Record<string, string> }> = [];
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length && type === null) {
    problems.push({ key: 'macros.fields_need_type', params: {} });
    return { fields, problems };
  }
  if (!type) return { fields, problems };
  const shape = fieldSchemas[type].shape as Record<string, z.ZodType>;
  const allowed = settableFields(type);
  for (const line of lines) {
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : line.slice(eq + 1).trim();
    const schema = shape[name];
    if (!schema || !allowed.includes(name)) {
      problems.push({ key: 'macros.unknown_field', params: { name, fields: allowed.join(', ') } });
      continue;
    }
    let parsed = schema.safeParse(raw);
    if (!parsed.success && raw !== '' && Number.isFinite(Number(raw))) parsed = schema.safeParse(Number(raw));
    if (!parsed.success) {
      problems.push({ key: 'macros.bad_field_value', params: { name, value: raw } });
      continue;
    }
    fields[name] = parsed.data;
  }
  return { fields, problems };
}

/** The field changes shown back in the form, one `name=value` per line. */
export function fieldChangesText(fields: Record<string, unknown> | null | undefined): string {
  return Object.entries(fields ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n');
}
