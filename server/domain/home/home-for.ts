import { can } from '../auth/policy.js';
import { isClient, type Ctx } from '../context.js';
import { accountManagerHome } from './account-manager-home.js';
import { adminHome } from './admin-home.js';
import { clientHome } from './client-home.js';
import { operatorHome } from './operator-home.js';

/**
 * Which home page a person gets: clients their tickets, operators and team leads their work,
 * account managers their portfolio, admins the health of the portal's machinery.
 */
export async function homeFor(ctx: Ctx, now = new Date()) {
  const actor = ctx.actor;
  if (isClient(actor)) return { kind: 'client' as const, client: await clientHome(ctx) };
  if (actor.kind !== 'user') return { kind: 'none' as const };
  if (actor.role === 'admin') return { kind: 'admin' as const, admin: await adminHome(ctx, now) };
  if (actor.role === 'account_manager' && can(actor, 'reports.read'))
    return { kind: 'account_manager' as const, accountManager: await accountManagerHome(ctx, now) };
  if (can(actor, 'queues.work')) return { kind: 'operator' as const, operator: await operatorHome(ctx, now) };
  return { kind: 'none' as const };
}
