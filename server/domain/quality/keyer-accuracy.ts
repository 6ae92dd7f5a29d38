import { InspectionLot, RecordLayoutModel } from '../../../models/quality.js';
import { Tenant } from '../../../models/tenant.js';
import { requirePermission } from '../auth/policy.js';
import { deriveCtx, type Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { accuracyBy } from './accuracy-report.js';
import { figureOf, type AccuracyFigure } from './client-accuracy.js';
import type { FieldCheck } from './lot-field-checks.js';

/**
 * Field accuracy per keyer for team leads (`reports.operators`), across the clients the viewer
 * serves (admins: all) and never another's: one row per (keyer, client layout), because each
 * layout has its own target, with the 95 % Wilson interval, the fields checked behind it and the
 * verdict against that layout's target. Over the lots closed in [from, to).
 */

export interface KeyerAccuracyRow extends AccuracyFigure {
  keyer: { id: string | null; name: string };
  tenant: { id: string; code: string; legalName: string };
  layoutId: string;
  layoutName: string;
  target: number | null;
}

export async function keyerAccuracy(ctx: Ctx, from: Date, to: Date): Promise<KeyerAccuracyRow[]> {
  requirePermission(ctx, 'reports.operators');
  const scope = scopeFilter(deriveCtx(ctx, { tenantId: null }));
  const checks = new Map<string, Array<FieldCheck & { tenantId: string }>>();
  const cursor = InspectionLot.find({ ...scope, closedAt: { $gte: from, $lt: to } })
    .select({ _id: 0, tenantId: 1, layoutId: 1, fieldChecks: 1 })
    .lean()
    .cursor();
  for await (const lot of cursor) {
    const layoutId = String(lot.layoutId);
    const list = checks.get(layoutId) ?? [];
    checks.set(layoutId, list);
    for (const c of (lot.fieldChecks ?? []) as FieldCheck[])
      list.push({ ...c, tenantId: String(lot.tenantId) });
  }
  if (checks.size === 0) return [];
  const layouts = await RecordLayoutModel.find({ ...scope, _id: { $in: [...checks.keys()] } })
    .select({ tenantId: 1, name: 1, accuracyTarget: 1 })
    .lean();
  const tenants = new Map(
    (
      await Tenant.find({ _id: { $in: [...new Set(layouts.map((l) => l.tenantId))] } })
        .select({ code: 1, legalName: 1 })
        .lean()
    ).map((tn) => [String(tn._id), tn]),
  );
  const rows: KeyerAccuracyRow[] = [];
  for (const layout of layouts) {
    const tenant = tenants.get(String(layout.tenantId));
    if (!tenant) continue;
    const target = typeof layout.accuracyTarget === 'number' ? layout.accuracyTarget : null;
    const list = checks.get(String(layout._id)) ?? [];
    const names = new Map(list.map((c) => [c.keyerId ?? '', c.keyerName]));
    for (const r of accuracyBy(list, (c) => c.keyerId ?? '', target ?? 0)) {
      rows.push({
        keyer: { id: r.group || null, name: names.get(r.group) ?? '' },
        tenant: { id: String(tenant._id), code: tenant.code, legalName: tenant.legalName },
        layoutId: String(layout._id),
        layoutName: layout.name,
        target,
        ...figureOf(r, target),
      });
    }
  }
  return rows.sort(
    (a, b) =>
      a.keyer.name.localeCompare(b.keyer.name) ||
      a.tenant.code.localeCompare(b.tenant.code) ||
      a.layoutName.localeCompare(b.layoutName),
  );
}
