import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { validation } from '../../errors/app-error.js';
import { intlLocaleOf } from '../../i18n/format.js';
import type { Locale } from '../../i18n/i18n.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { currencyCodes } from './currencies.js';

/**
 * Four eyes on invoices. Per client (tenant.fourEyes) an invoice in a currency whose amount is
 * above that currency's threshold needs its decision (approved or rejected) taken by a second
 * person: someone holding `invoices.approve` who is not the invoice's maker. The maker never
 * decides, whatever their role (an admin included): there is no override of four eyes. (Entries
 * of the earlier admin override, `override: true`, still render in old timelines.)
 *
 * The maker is the person who keyed the invoice: the staff member who last changed one of its
 * keyed fields (`keyedInvoiceFields`: everything but the approval itself), recorded on the ticket
 * as `keyedBy` by the same update that changed them; while no staff member has, the requester who
 * opened it with those fields (portal, API, import or mail).
 */
export interface FourEyesRule {
  currency: string;
  /** An exact decimal with a point, at most three decimals: '5000.00'. */
  above: string;
}

/** The invoice fields whose values the maker keys; the approval and its reason are not among them. */
export const keyedInvoiceFields = [
  'supplierName',
  'supplierVat',
  'invoiceNumber',
  'issueDate',
  'dueDate',
  'amount',
  'currency',
  'poNumber',
] as const;

const decimalPattern = /^\d{1,13}(\.\d{1,3})?$/;
const SCALE = 6;

/** A non-negative decimal as an integer of millionths, exactly (text) or as JSON keeps it (number). */
function scaled(value: string | number): bigint | null {
  const textValue = typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(SCALE) : '') : value;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(textValue);
  if (!m) return null;
  return BigInt(m[1] + (m[2] ?? '').padEnd(SCALE, '0').slice(0, SCALE));
}

/** Whether `amount` is strictly above the decimal `above` (exact for every amount the schemas allow). */
export function amountAbove(amount: number, above: string): boolean {
  const a = scaled(amount);
  const b = scaled(above);
  return a !== null && b !== null && a > b;
}

/** '005000.50' -> '5000.50': leading zeros dropped, the decimals kept as typed. */
const normalDecimal = (v: string): string => v.replace(/^0+(?=\d)/, '');

const ruleSchema = z.object({
  currency: z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(currencyCodes)),
  above: z
    .string()
    .trim()
    .refine((v) => decimalPattern.test(v))
    .transform(normalDecimal),
});

/** One line of the tenant form's box: `EUR 5000.00`. */
function linesToRules(text: string): unknown[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [currency = '', above = '', ...rest] = line.split(/\s+/);
      return { currency, above: rest.length ? line : above };
    });
}

/**
 * A client's thresholds: a list of `{ currency, above }`, or the form's text (one `CUR amount` per
 * line); one threshold per currency. A refusal names the line (1-based) it is about.
 */
export const fourEyesRulesSchema = z
  .preprocess(
    (v) => (v === undefined || v === null ? [] : typeof v === 'string' ? linesToRules(v) : v),
    z.array(z.unknown()).max(50),
  )
  .transform((items, zctx) => {
    const rules: FourEyesRule[] = [];
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const parsed = ruleSchema.safeParse(item);
      const refuse = (key: string, extra: Record<string, string> = {}) =>
        zctx.issues.push({
          code: 'custom',
          input: item,
          message: key,
          params: { key: `four_eyes.errors.${key}`, line: i + 1, ...extra },
        });
      if (!parsed.success) {
        const bad = parsed.error.issues[0]?.path[0] === 'currency' ? 'currency' : 'amount';
        return refuse(bad);
      }
      if (seen.has(parsed.data.currency))
        return refuse('duplicate_currency', { currency: parsed.data.currency });
      seen.add(parsed.data.currency);
      rules.push(parsed.data);
    });
    return rules;
  });

/** The form's text for a client's thresholds. */
export function fourEyesRulesText(rules: readonly FourEyesRule[] | null | undefined): string {
  return (rules ?? []).map((r) => `${r.currency} ${r.above}`).join('\n');
}

interface InvoiceLike {
  tenantId: unknown;
  type: string;
  fields?: unknown;
}

/** The threshold among `rules` that this invoice's amount and currency exceed, if any. */
export function ruleExceeded(
  rules: readonly FourEyesRule[] | null | undefined,
  type: string,
  fields: unknown,
): FourEyesRule | null {
  if (type !== 'invoice') return null;
  const f = (fields ?? {}) as Record<string, unknown>;
  if (typeof f.amount !== 'number' || typeof f.currency !== 'string') return null;
  const rule = (rules ?? []).find((r) => r.currency === f.currency);
  return rule && amountAbove(f.amount, rule.above) ? { currency: rule.currency, above: rule.above } : null;
}

/** The ticket's own client's rules (read fresh: a rule is a control, not a hint). */
export async function tenantFourEyesRules(ticket: { tenantId: unknown }): Promise<FourEyesRule[]> {
  const tenant = await Tenant.findById(ticket.tenantId).select({ fourEyes: 1 }).lean();
  return (tenant?.fourEyes ?? []).map((r) => ({ currency: r.currency, above: r.above }));
}

/** The rule this invoice (as stored or as it would be after a change) falls under, if any. */
export async function fourEyesRuleFor(ticket: InvoiceLike, fields: unknown = ticket.fields) {
  if (ticket.type !== 'invoice') return null;
  return ruleExceeded(await tenantFourEyesRules(ticket), ticket.type, fields);
}

export interface MakerSource {
  keyedBy?: { id?: unknown; name?: string | null } | null;
  requester?: { id?: unknown; name?: string | null } | null;
}

/** Who keyed the invoice (see the top of this file). */
export function makerOf(ticket: MakerSource): { id: string | null; name: string } {
  const who = ticket.keyedBy?.id ? ticket.keyedBy : ticket.requester;
  return { id: who?.id ? String(who.id) : null, name: who?.name ?? '' };
}

const actorId = (ctx: Ctx): string | null =>
  ctx.actor.kind === 'user' || ctx.actor.kind === 'api' ? ctx.actor.userId : null;

/** Whether the caller is the invoice's maker. */
export function isMaker(ctx: Ctx, ticket: MakerSource): boolean {
  const id = actorId(ctx);
  return id !== null && makerOf(ticket).id === id;
}

export type FourEyesDecision = 'approved' | 'rejected';

/**
 * Whether the caller may take this decision on an invoice under four eyes; throws a field error on
 * `fields.approvalOutcome` (the form shows it on the approval box, the API as a 422) otherwise.
 */
export function checkFourEyesDecision(
  ctx: Ctx,
  ticket: MakerSource,
  decision: FourEyesDecision,
  opts: { keyedNow: boolean },
): void {
  const field = 'fields.approvalOutcome';
  if (!can(ctx.actor, 'invoices.approve'))
    throw validation([{ path: field, key: 'four_eyes.errors.no_permission' }], 'four eyes: no permission');
  // Changing the keyed fields in the same request makes the caller the maker of what they decide.
  const maker = opts.keyedNow || isMaker(ctx, ticket);
  if (!maker) return;
  throw validation([{ path: field, key: 'four_eyes.errors.maker' }], 'four eyes: the maker cannot decide');
}

/** What the ticket page shows and offers about four eyes, for this caller. */
export function fourEyesFlags(
  ctx: Ctx,
  ticket: MakerSource & { fields?: unknown },
  rule: FourEyesRule | null,
  outcomes: readonly string[],
) {
  if (!rule) return { fourEyes: null, approvalOutcomes: outcomes };
  const maker = makerOf(ticket);
  const mayDecide = can(ctx.actor, 'invoices.approve') && !isMaker(ctx, ticket);
  const outcome = (ticket.fields as Record<string, unknown> | undefined)?.approvalOutcome;
  return {
    fourEyes: {
      rule,
      makerName: maker.name,
      decided: outcome === 'approved' || outcome === 'rejected',
      mayDecide,
    },
    // The decisions are not offered to whoever may not take them (the maker, no permission).
    approvalOutcomes: mayDecide ? outcomes : outcomes.filter((o) => o !== 'approved' && o !== 'rejected'),
  };
}

/** A threshold as its reader reads it: '5000.00' EUR -> "€5,000.00" / "5.000,00 €", exactly. */
export function thresholdText(rule: FourEyesRule, locale: Locale): string {
  try {
    const format = new Intl.NumberFormat(intlLocaleOf(locale), {
      style: 'currency',
      currency: rule.currency,
    });
    // A decimal string is formatted exactly (ECMA-402 NumberFormat v3), never through a double.
    return format.format(rule.above as unknown as number);
  } catch {
    return `${rule.above} ${rule.currency}`;
  }
}

/** The ticket page's four-eyes flags for this caller (none for a ticket under no threshold). */
export async function fourEyesPageFlags(
  ctx: Ctx,
  ticket: InvoiceLike & MakerSource,
  outcomes: readonly string[],
  locale: Locale,
) {
  const flags = fourEyesFlags(ctx, ticket, await fourEyesRuleFor(ticket), outcomes);
  return {
    ...flags,
    fourEyes: flags.fourEyes
      ? { ...flags.fourEyes, aboveText: thresholdText(flags.fourEyes.rule, locale) }
      : null,
  };
}

/**
 * A client admin's read-only view of their own company's thresholds (the team page): each
 * currency with its amount in the reader's format.
 */
export async function ownFourEyesRules(ctx: Ctx, locale: Locale) {
  requirePermission(ctx, 'team.manage');
  if (!ctx.tenantId) return [];
  const rules = await tenantFourEyesRules({ tenantId: ctx.tenantId });
  return rules.map((rule) => ({ currency: rule.currency, aboveText: thresholdText(rule, locale) }));
}
