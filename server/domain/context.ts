import type { Logger } from 'pino';
import type { Role } from '../../models/user.js';
import type { Locale } from '../i18n/i18n.js';

/** Who is acting: a signed-in person, an API token of a client system, or the system itself. */
export type Actor =
  | {
      kind: 'user';
      userId: string;
      email: string;
      name: string;
      role: Role;
      /** Client users: their tenant. Staff: null. */
      tenantId: string | null;
      /** Staff: the tenants they serve. Client users: their own tenant. */
      tenantIds: string[];
      locale: Locale;
    }
  | {
      /** A client system calling the API with a tenant's token; acts for the token's creator. */
      kind: 'api';
      tokenId: string;
      tenantId: string;
      name: string;
      userId: string;
      email: string;
      locale: Locale;
    }
  | { kind: 'system'; name: string }
  | { kind: 'anonymous' };

/**
 * What every domain function receives first. `tenantId` is the tenant the operation is
 * about when there is exactly one (a client's own tenant, or the tenant a staff member chose).
 */
export interface Ctx {
  tenantId: string | null;
  actor: Actor;
  requestId: string;
  log: Logger;
  ip?: string | null;
}

export function systemCtx(log: Logger, name = 'system', requestId = `sys-${Date.now().toString(36)}`): Ctx {
  return { tenantId: null, actor: { kind: 'system', name }, requestId, log: log.child({ requestId, actor: name }) };
}

export type PersonActor = Extract<Actor, { kind: 'user' }>;

export const isStaff = (actor: Actor): actor is PersonActor => actor.kind === 'user' && actor.tenantId === null;
export const isClient = (actor: Actor): boolean => (actor.kind === 'user' && actor.tenantId !== null) || actor.kind === 'api';
