import { User } from '../../../models/user.js';
import type { MacroStatus } from '../../../models/macro.js';
import { notFound } from '../../errors/app-error.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { cachedTenant } from '../tenants/cache.js';
import { getTicket } from '../tickets/queries.js';
import { fieldLabel, fieldValueText } from '../tickets/timeline-view.js';
import { movesFor } from '../tickets/transitions.js';
import { getMacro } from './list-macros.js';
import { fillPlaceholders } from './placeholders.js';

type LoadedTicket = Awaited<ReturnType<typeof getTicket>>;
type LoadedMacro = Awaited<ReturnType<typeof getMacro>>;

/** The requester's language: their own account's, else their client's, else English. */
async function requesterLocale(ticket: LoadedTicket, tenantLocale: string | undefined): Promise<Locale> {
  const user = ticket.requester?.id
    ? await User.findOne({ _id: ticket.requester.id }).setOptions({ allTenants: true }).lean()
    : null;
  if (user && String(user.tenantId) === String(ticket.tenantId) && isLocale(user.locale)) return user.locale;
  return isLocale(tenantLocale) ? tenantLocale : 'en';
}

/** A macro's changes to a ticket, as planned: only what differs from the ticket now. */
export function plannedChanges(macro: LoadedMacro, ticket: LoadedTicket) {
  const changes: Array<{ field: string; from: unknown; to: unknown }> = [];
  const status = (macro.status ?? null) as MacroStatus | null;
  if (status && status !== ticket.status) changes.push({ field: 'status', from: ticket.status, to: status });
  if (macro.priority && macro.priority !== ticket.priority)
    changes.push({ field: 'priority', from: ticket.priority, to: macro.priority });
  const tags = [...new Set([...(ticket.tags ?? []), ...(macro.tags ?? [])])];
  if (tags.length !== (ticket.tags ?? []).length)
    changes.push({ field: 'tags', from: ticket.tags, to: tags });
  const current = (ticket.fields ?? {}) as Record<string, unknown>;
  for (const [name, to] of Object.entries((macro.fields ?? {}) as Record<string, unknown>)) {
    if (JSON.stringify(current[name] ?? null) !== JSON.stringify(to))
      changes.push({ field: `fields.${name}`, from: current[name] ?? null, to });
  }
  return changes;
}

/**
 * What applying a macro to a ticket would send and change: the reply in the requester's language
 * with the ticket's values (dates in the client's time zone), the placeholders the ticket has no
 * value for (the send is refused while there are any), and the changes, each as a line in the
 * reader's language. Whether the status move is allowed now is said too.
 */
export async function previewMacro(ctx: Ctx, ref: string, macroId: string, readerLocale: Locale) {
  requirePermission(ctx, 'macros.apply');
  const ticket = await getTicket(ctx, ref);
  const macro = await getMacro(ctx, macroId);
  // Another client's macro, or one for another type, reads as not found on this ticket.
  const foreign = macro.tenantId !== null && String(macro.tenantId) !== String(ticket.tenantId);
  if (foreign || (macro.type && macro.type !== ticket.type)) throw notFound('macro');
  const tenant = await cachedTenant(ticket.tenantId);
  const locale = await requesterLocale(ticket, tenant?.locale);
  const operatorName = ctx.actor.kind === 'user' ? ctx.actor.name : '';
  const { text, missing } = fillPlaceholders(macro.body[locale], {
    ticket,
    operatorName,
    locale,
    timeZone: tenant?.timeZone ?? 'UTC',
  });
  const changes = plannedChanges(macro, ticket);
  const statusChange = changes.find((c) => c.field === 'status');
  const statusAllowed = !statusChange || movesFor(ctx.actor, ticket).includes(statusChange.to as MacroStatus);
  const lines = changes.map((c) => {
    const name = c.field.startsWith('fields.') ? c.field.slice(7) : c.field;
    return t(readerLocale, 'history.field_change', {
      field: fieldLabel(c.field, readerLocale),
      from: fieldValueText(name, c.from, readerLocale, ticket),
      to: fieldValueText(name, c.to, readerLocale, ticket),
    });
  });
  return { ticket, macro, locale, text, missing, changes, lines, statusAllowed };
}
