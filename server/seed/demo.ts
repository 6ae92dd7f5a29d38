import type { Types } from 'mongoose';
import { Provider } from '../../models/provider.js';
import { Tenant } from '../../models/tenant.js';
import { User } from '../../models/user.js';
import type { Ctx } from '../domain/context.js';
import { hashPassword } from '../domain/auth/passwords.js';
import { DEMO_PASSWORD, demoProvider, demoTenants, demoUsers } from './demo-data.js';

export async function isEmpty(): Promise<boolean> {
  const [providers, tenants] = await Promise.all([Provider.countDocuments({}), Tenant.countDocuments({})]);
  return providers === 0 && tenants === 0;
}

/**
 * Create the demo organisation. Idempotent: every row is an upsert on its unique key that only
 * sets fields on insert, so running it again changes nothing a user has edited since.
 */
export async function seedDemo(ctx: Ctx): Promise<{ tenants: number; users: number }> {
  await Provider.updateOne({ key: 'provider' }, { $setOnInsert: { key: 'provider', ...demoProvider } }, { upsert: true });
  const tenantIds = new Map<string, Types.ObjectId>();
  for (const tenant of demoTenants) {
    const doc = await Tenant.findOneAndUpdate(
      { code: tenant.code },
      { $setOnInsert: { ...tenant, status: 'active' } },
      { upsert: true, returnDocument: 'after' },
    );
    tenantIds.set(tenant.code, doc._id);
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  let created = 0;
  for (const user of demoUsers) {
    const tenantId = user.tenant ? (tenantIds.get(user.tenant) ?? null) : null;
    const result = await User.updateOne(
      { email: user.email, tenantId },
      {
        $setOnInsert: {
          email: user.email,
          name: user.name,
          role: user.role,
          tenantId,
          tenantIds: (user.serves ?? []).map((code) => tenantIds.get(code)),
          passwordHash,
          status: 'active',
        },
      },
      { upsert: true },
    );
    created += result.upsertedCount;
  }
  ctx.log.info({ tenants: demoTenants.length, usersCreated: created }, 'demo data in place');
  return { tenants: demoTenants.length, users: created };
}
