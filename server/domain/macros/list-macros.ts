import { Types } from 'mongoose';
import { Macro, MacroUsage } from '../../../models/macro.js';
import type { TicketType } from '../../../models/ticket.js';
import { notFound } from '../../errors/app-error.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { tenantAccess } from '../tenants/scope.js';

/** Macros of every client (null) and of the clients the caller serves (admins: every client). */
function visibleFilter(ctx: Ctx): Record<string, unknown> {
  const access = tenantAccess(ctx);
  if (access.all) return { tenantId: { $exists: true } };
  return { tenantId: { $in: [null, ...access.tenantIds.map((id) => new Types.ObjectId(id))] } };
}

/** One macro the caller may see (manage or apply); another client's reads as not found. */
export async function getMacro(ctx: Ctx, id: string) {
  if (!can(ctx.actor, 'macros.manage') && !can(ctx.actor, 'macros.apply')) throw notFound('macro');
  if (!Types.ObjectId.isValid(id)) throw notFound('macro');
  const macro = await Macro.findOne({ _id: new Types.ObjectId(id), ...visibleFilter(ctx) }).lean();
  if (!macro) throw notFound('macro');
  return macro;
}

/** The management list: every macro the caller may keep, the all-clients ones first, by name. */
export async function listMacros(ctx: Ctx) {
  requirePermission(ctx, 'macros.manage');
  const macros = await Macro.find(visibleFilter(ctx)).sort({ name: 1 }).lean();
  return macros.sort((a, b) => Number(Boolean(a.tenantId)) - Number(Boolean(b.tenantId)));
}

/**
 * The macros the caller may apply to this ticket: active, of every client or of the ticket's own
 * client (never another's), for its type or any type; the ones this person used most first.
 */
export async function macrosForTicket(ctx: Ctx, ticket: { tenantId: Types.ObjectId; type: string }) {
  if (!can(ctx.actor, 'macros.apply')) return [];
  const macros = await Macro.find({
    tenantId: { $in: [null, ticket.tenantId] },
    active: true,
    type: { $in: [null, ticket.type as TicketType] },
  }).lean();
  if (!macros.length || ctx.actor.kind !== 'user') return macros;
  const usage = await MacroUsage.find({
    userId: new Types.ObjectId(ctx.actor.userId),
    macroId: { $in: macros.map((m) => m._id) },
  }).lean();
  const counts = new Map(usage.map((u) => [String(u.macroId), u.count]));
  const countOf = (m: { _id: Types.ObjectId }) => counts.get(String(m._id)) ?? 0;
  return macros.sort((a, b) => countOf(b) - countOf(a) || a.name.localeCompare(b.name));
}
