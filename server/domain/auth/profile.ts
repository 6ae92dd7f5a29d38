import type { TenantDoc } from '../../../models/tenant.js';
import type { UserDoc } from '../../../models/user.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import type { Actor } from '../context.js';

/** A signed-in person as every layer sees them: the actor plus the settings pages need. */
export type Profile = Extract<Actor, { kind: 'user' }> & {
  tenantCode: string | null;
  tenantName: string | null;
  timeZone: string;
};

export interface ProviderDefaults {
  locale: Locale;
  timeZone: string;
}

export function toProfile(user: UserDoc, tenant: TenantDoc | null, defaults: ProviderDefaults): Profile {
  const tenantLocale = tenant && isLocale(tenant.locale) ? tenant.locale : undefined;
  const locale: Locale = isLocale(user.locale) ? user.locale : (tenantLocale ?? defaults.locale);
  return {
    kind: 'user',
    userId: user.id as string,
    email: user.email,
    name: user.name,
    role: user.role,
    tenantId: user.tenantId ? String(user.tenantId) : null,
    tenantIds: user.tenantId ? [String(user.tenantId)] : user.tenantIds.map(String),
    locale,
    tenantCode: tenant?.code ?? null,
    tenantName: tenant?.legalName ?? null,
    timeZone: tenant?.timeZone ?? defaults.timeZone,
  };
}

/** The actor part of a profile: what domain functions see of a signed-in person. */
export function actorOf(profile: Profile): Extract<Actor, { kind: 'user' }> {
  return {
    kind: 'user',
    userId: profile.userId,
    email: profile.email,
    name: profile.name,
    role: profile.role,
    tenantId: profile.tenantId,
    tenantIds: profile.tenantIds,
    locale: profile.locale,
  };
}
