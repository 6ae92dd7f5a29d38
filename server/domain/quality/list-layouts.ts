import { Types } from 'mongoose';
import { RecordLayoutModel } from '../../../models/quality.js';
import { notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { layoutOf } from './save-layout.js';

/** The record layouts of the clients the caller serves (`quality.layouts`), by client and name. */
export async function listLayouts(ctx: Ctx) {
  requirePermission(ctx, 'quality.layouts');
  return RecordLayoutModel.find(scopeFilter(ctx), { name: 1, tenantId: 1, version: 1, fields: 1 })
    .sort({ tenantId: 1, name: 1 })
    .lean();
}

/** One layout for the editor; another client's reads as not found. */
export async function getLayout(ctx: Ctx, id: string) {
  requirePermission(ctx, 'quality.layouts');
  if (!Types.ObjectId.isValid(id)) throw notFound('layout');
  const doc = await RecordLayoutModel.findOne({ ...scopeFilter(ctx), _id: new Types.ObjectId(id) }).lean();
  if (!doc) throw notFound('layout');
  return { doc, layout: layoutOf(doc) };
}
