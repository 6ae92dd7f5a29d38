import { Types } from 'mongoose';
import { Macro } from '../../../models/macro.js';
import { AppError, type FieldError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { getMacro } from './list-macros.js';
import { readFieldChanges, type ParsedMacroInput } from './macro-input.js';
import { placeholderProblem, placeholdersIn } from './placeholders.js';

const languages = ['en', 'it', 'da'] as const;

/** Every mistake of the input at once, as field errors: placeholders per language, field changes. */
function check(input: ParsedMacroInput): { fields: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  for (const lang of languages) {
    for (const name of placeholdersIn(input[`body_${lang}`])) {
      const problem = placeholderProblem(name, input.type);
      if (!problem) continue;
      errors.push({
        path: `body_${lang}`,
        key: problem.key === 'unknown' ? 'macros.unknown_placeholder' : 'macros.placeholder_wrong_type',
        params: { name, types: problem.types },
      });
      break;
    }
  }
  const { fields, problems } = readFieldChanges(input.type, input.fieldChanges);
  if (problems[0]) errors.push({ path: 'fieldChanges', key: problems[0].key, params: problems[0].params });
  return { fields, errors };
}

/**
 * Create a macro (no id) or change one. Team leads and admins (`macros.manage`), for every client
 * or for one client they serve. Placeholders and field changes are checked here, so a macro that
 * is stored can always be filled from a ticket that has the values. A name already used in the
 * same scope is refused by the unique index (a race included).
 */
export async function saveMacro(ctx: Ctx, id: string | null, input: ParsedMacroInput) {
  requirePermission(ctx, 'macros.manage');
  if (input.tenantId && !mayAccessTenant(ctx, input.tenantId))
    throw new AppError('validation', 'unknown tenant', {
      fields: [{ path: 'tenantId', key: 'validation.unknown' }],
    });
  const existing = id ? await getMacro(ctx, id) : null;
  const { fields, errors } = check(input);
  if (errors.length) throw new AppError('validation', 'macro refused', { fields: errors });
  const doc = {
    name: input.name,
    type: input.type,
    body: { en: input.body_en, it: input.body_it, da: input.body_da },
    status: input.status,
    priority: input.priority,
    tags: [...new Set(input.tags)],
    fields,
    active: input.active,
    updatedBy: ctx.actor.kind === 'user' ? ctx.actor.name : '',
  };
  const tenantId = input.tenantId ? new Types.ObjectId(input.tenantId) : null;
  let saved;
  try {
    if (existing) {
      // The scope (every client or one) is part of what a macro is: changing it is a new macro.
      saved = await Macro.findOneAndUpdate(
        { _id: existing._id, tenantId: existing.tenantId },
        { $set: doc },
        { returnDocument: 'after' },
      ).lean();
      if (!saved) throw new AppError('not_found', 'macro not found');
    } else {
      saved = (await Macro.create({ ...doc, tenantId })).toObject();
    }
  } catch (err) {
    if ((err as { code?: number }).code === 11000)
      throw new AppError('duplicate', 'macro name taken', {
        fields: [{ path: 'name', key: 'macros.name_taken' }],
      });
    throw err;
  }
  await recordAudit(ctx, {
    action: 'macro.saved',
    tenantId: saved.tenantId ? String(saved.tenantId) : null,
    targetId: String(saved._id),
    targetLabel: saved.name,
    details: { created: !existing, type: saved.type ?? null },
  });
  return saved;
}
