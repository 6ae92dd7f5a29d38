import type { Request } from 'express';
import type { Types } from 'mongoose';
import { can } from '../domain/auth/policy.js';
import { macrosForTicket } from '../domain/macros/list-macros.js';
import { previewMacro } from '../domain/macros/render-macro.js';
import { t } from '../i18n/i18n.js';

/**
 * What the ticket page's macro picker shows: the macros the caller may apply to this ticket (most
 * used first) and, when one is chosen (`?macro=` on the page, `macroId` in an apply that came back),
 * its preview as the domain renders it.
 */
export async function macroPickerLocals(
  req: Request,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; type: string; number: string; status: string },
  chosen?: string,
) {
  if (!can(req.ctx.actor, 'macros.apply') || ticket.status === 'closed') return { macroPicker: null };
  const macros = await macrosForTicket(req.ctx, ticket);
  const query = req.query as Record<string, unknown>;
  const selected = chosen ?? (typeof query.macro === 'string' ? query.macro : '');
  const preview = selected ? await previewMacro(req.ctx, ticket.number, selected, req.locale) : null;
  if (!macros.length && !preview) return { macroPicker: null };
  return {
    macroPicker: {
      macros: macros.map((m) => ({ id: String(m._id), name: m.name, selected: String(m._id) === selected })),
      preview: preview && {
        id: String(preview.macro._id),
        name: preview.macro.name,
        text: preview.text,
        language: t(req.locale, `macros.languages.${preview.locale}`),
        lines: preview.lines,
        missing: preview.missing.length
          ? t(req.locale, 'macros.missing_values', { names: preview.missing.join(', ') })
          : null,
        statusRefused: !preview.statusAllowed,
        mayApply: preview.missing.length === 0 && preview.statusAllowed,
      },
    },
  };
}
