import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { Provider } from '../../models/provider.js';
import { Tenant } from '../../models/tenant.js';
import { User, type Role } from '../../models/user.js';
import { hashPassword } from '../../server/domain/auth/passwords.js';

export const PASSWORD = 'correct-horse-battery';
let passwordHash: Promise<string> | undefined;
const suffix = (): string => randomBytes(3).toString('hex');

export async function makeProvider(): Promise<void> {
  await Provider.updateOne(
    { key: 'provider' },
    { $setOnInsert: { name: 'Test BPO', timeZone: 'Europe/Rome', locale: 'en' } },
    { upsert: true },
  );
}

export async function makeTenant(
  overrides: Partial<{
    code: string;
    legalName: string;
    timeZone: string;
    locale: 'en' | 'it' | 'da';
    status: 'active' | 'suspended';
  }> = {},
) {
  const code = overrides.code ?? `t${suffix()}`;
  return Tenant.create({
    code,
    legalName: `${code} S.p.A.`,
    timeZone: 'Europe/Rome',
    locale: 'en',
    ...overrides,
  });
}

export interface UserSpec {
  role: Role;
  tenantId?: Types.ObjectId | string | null;
  tenantIds?: Array<Types.ObjectId | string>;
  email?: string;
  name?: string;
  status?: 'active' | 'invited' | 'disabled';
  locale?: 'en' | 'it' | 'da' | null;
}

export async function makeUser(spec: UserSpec) {
  passwordHash ??= hashPassword(PASSWORD);
  return User.create({
    email: spec.email ?? `${spec.role}-${suffix()}@example.test`,
    name: spec.name ?? `${spec.role} ${suffix()}`,
    role: spec.role,
    tenantId: spec.tenantId ? new Types.ObjectId(String(spec.tenantId)) : null,
    tenantIds: (spec.tenantIds ?? []).map((id) => new Types.ObjectId(String(id))),
    passwordHash: spec.status === 'invited' ? null : await passwordHash,
    status: spec.status ?? 'active',
    locale: spec.locale ?? null,
  });
}

/**
 * The cast the tenancy tests need: two client tenants, each with a client admin and a client
 * user, and staff serving one, both or all of them.
 */
export async function makeWorld() {
  await makeProvider();
  const acme = await makeTenant({ code: `acme${suffix()}`, locale: 'it' });
  const nord = await makeTenant({ code: `nord${suffix()}`, timeZone: 'Europe/Copenhagen', locale: 'da' });
  const users = {
    admin: await makeUser({ role: 'admin' }),
    teamLead: await makeUser({ role: 'team_lead', tenantIds: [acme.id, nord.id] }),
    operatorBoth: await makeUser({ role: 'operator', tenantIds: [acme.id, nord.id] }),
    operatorAcme: await makeUser({ role: 'operator', tenantIds: [acme.id] }),
    accountManager: await makeUser({ role: 'account_manager', tenantIds: [acme.id, nord.id] }),
    acmeAdmin: await makeUser({ role: 'client_admin', tenantId: acme.id }),
    acmeUser: await makeUser({ role: 'client_user', tenantId: acme.id }),
    nordAdmin: await makeUser({ role: 'client_admin', tenantId: nord.id }),
    nordUser: await makeUser({ role: 'client_user', tenantId: nord.id }),
  };
  return { acme, nord, users };
}
export type World = Awaited<ReturnType<typeof makeWorld>>;
