import { Types } from 'mongoose';
import { RecordLayoutModel } from '../../../models/quality.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { recordLayoutSchema, type RecordLayout } from './record-layout.js';

/**
 * Create or change a client's record layout (team leads and admins: `quality.layouts`). The
 * input is checked by record-layout.ts; a refusal names each wrong field by its path. A change
 * names the version it was made on and is refused as a conflict when someone saved in between
 * (one conditional update); two layouts of a client never share a name (unique index).
 */
export async function saveLayout(
  ctx: Ctx,
  tenantId: string,
  input: unknown,
  existing?: { id: string; version: number },
) {
  requirePermission(ctx, 'quality.layouts');
  if (!mayAccessTenant(ctx, tenantId) || !Types.ObjectId.isValid(tenantId)) throw notFound('tenant');
  const parsed = recordLayoutSchema.safeParse(input);
  if (!parsed.success) {
    throw validation(
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        key: issue.message.startsWith('quality.') ? issue.message : 'validation.invalid',
      })),
      'invalid record layout',
    );
  }
  const layout: RecordLayout = parsed.data;
  const who = ctx.actor.kind === 'user' ? { id: ctx.actor.userId, name: ctx.actor.name } : null;
  const body = {
    name: layout.name,
    fields: layout.fields,
    inspectionLevel: layout.inspectionLevel,
    aql: layout.aql,
    accuracyTarget: layout.accuracyTarget ?? null,
    doubleKeyCritical: layout.doubleKeyCritical,
    updatedAt: new Date(),
    updatedBy: who,
  };
  const tenant = new Types.ObjectId(tenantId);
  let saved;
  try {
    if (existing) {
      if (!Types.ObjectId.isValid(existing.id)) throw notFound('layout');
      saved = await RecordLayoutModel.findOneAndUpdate(
        { _id: new Types.ObjectId(existing.id), tenantId: tenant, version: existing.version },
        { $set: body, $inc: { version: 1 } },
        { returnDocument: 'after' },
      ).lean();
      if (!saved) {
        const found = await RecordLayoutModel.exists({
          _id: new Types.ObjectId(existing.id),
          tenantId: tenant,
        });
        if (!found) throw notFound('layout');
        throw new AppError('conflict', 'the layout was changed meanwhile', {
          messageKey: 'keying.errors.layout_changed',
        });
      }
    } else {
      saved = (await RecordLayoutModel.create({ tenantId: tenant, ...body })).toObject();
    }
  } catch (err) {
    if ((err as { code?: number }).code === 11000) {
      throw new AppError('duplicate', 'a layout of this client has this name', {
        fields: [{ path: 'name', key: 'keying.errors.layout_name_taken' }],
      });
    }
    throw err;
  }
  await recordAudit(ctx, {
    action: 'quality.layout_saved',
    tenantId,
    targetId: String(saved._id),
    targetLabel: saved.name,
    details: { version: saved.version, fields: layout.fields.map((f) => f.key) },
  });
  return saved;
}

/** A stored layout as the rules take it. */
export function layoutOf(doc: {
  name: string;
  fields: unknown[];
  inspectionLevel: string;
  aql: { critical?: number | null; major?: number | null; minor?: number | null };
  doubleKeyCritical?: boolean | null;
  accuracyTarget?: number | null;
}): RecordLayout {
  return recordLayoutSchema.parse({
    name: doc.name,
    fields: doc.fields,
    inspectionLevel: doc.inspectionLevel,
    aql: doc.aql,
    doubleKeyCritical: doc.doubleKeyCritical ?? false,
    ...(doc.accuracyTarget == null ? {} : { accuracyTarget: doc.accuracyTarget }),
  });
}
