import type { Role } from '../../../models/user.js';
import { AppError } from '../../errors/app-error.js';
import type { Actor, Ctx } from '../context.js';

/** What each role may do. Navigation, routes and domain checks all read this one table. */
export const permissions = {
  'tenants.manage': ['admin'],
  'staff.manage': ['admin'],
  'audit.read': ['admin'],
  'jobs.read': ['admin'],
  'capacity.read': ['admin'],
  'team.manage': ['client_admin'],
  'tokens.manage': ['client_admin'],
  'tickets.open': ['client_user', 'client_admin'],
  /** Mark a ticket solved or closed before staff do: a client admin any of the company's, a user their own. */
  'tickets.settle': ['client_user', 'client_admin'],
  'queues.work': ['operator', 'team_lead', 'admin'],
  'queues.manage': ['team_lead', 'admin'],
  /** Macros (domain/macros/): kept by team leads and admins, for every client or one client. */
  'macros.manage': ['team_lead', 'admin'],
  /** Apply a macro to a ticket of a client one serves: the people who work the queues. */
  'macros.apply': ['operator', 'team_lead', 'admin'],
  /** Close a ticket as a duplicate of another of the same client, or merge two (tickets/merge-tickets.ts). */
  'tickets.dedupe': ['operator', 'team_lead', 'admin'],
  /**
   * Four eyes on invoices (tickets/four-eyes.ts): decide (approve or reject) an invoice above its
   * client's threshold keyed by someone else. Team leads and admins: the BPO's controls, not the
   * client's (client admins follow their invoices, they do not sign them off in our desk).
   */
  'invoices.approve': ['team_lead', 'admin'],
  /**
   * Override an error finding of an e-invoice's file with a reason, so the invoice may be approved
   * (einvoices/override-finding.ts). Judging that a file's error does not stand in the way is the
   * approvers' control, so the same roles as `invoices.approve`. Four eyes itself has no override:
   * the maker of an invoice never approves it (tickets/four-eyes.ts).
   */
  'invoices.override_findings': ['team_lead', 'admin'],
  'reports.read': ['account_manager', 'team_lead', 'admin', 'client_admin'],
  'reports.operators': ['team_lead', 'admin'],
  'reports.statement': ['account_manager', 'admin', 'client_admin'],
  'sla.manage': ['account_manager', 'admin'],
  /** Quality of keyed data (issue #18): define a client's record layouts. */
  'quality.layouts': ['team_lead', 'admin'],
  /** Key, import, export and finish the records of a data-entry ticket. */
  'quality.key': ['operator', 'team_lead', 'admin'],
  /** Check sampled records against the source and close the lot (never one's own records). */
  'quality.inspect': ['operator', 'team_lead', 'admin'],
  /**
   * Steer a client layout's inspection between lots (ISO 2859-1 clause 9): resume it after it was
   * stopped on tightened inspection, once the supplier acted, and allow or withdraw reduced inspection.
   */
  'quality.switching': ['team_lead', 'admin'],
  /** Settle the differences between the two keyings of a double-keyed record (never one's own keying). */
  'records.settle': ['team_lead', 'admin'],
  /**
   * Send a data-entry ticket's records in as a CSV/XLSX file and take them out again: the people
   * who key, and a client's API token for its own tickets (out only once the lot is accepted).
   */
  'quality.exchange': ['operator', 'team_lead', 'admin'],
  /** Webhook endpoints: a client admin their company's, a provider admin any client's. */
  'webhooks.manage': ['client_admin', 'admin'],
  /** Retention policies per client and document kind (issue #20): read the dry run, edit the rules. */
  'retention.manage': ['account_manager', 'admin'],
  /** Place and release legal holds on a client, a ticket or a document. */
  'retention.hold': ['account_manager', 'admin'],
  /** Ask for a data subject's export or erasure: a client admin for the company's own people, an admin for anyone. */
  'privacy.request': ['client_admin', 'admin'],
  /** Approve, reject and run data subjects' requests. */
  'privacy.run': ['admin'],
  /** See what an erasure restricted (documents kept under a legal obligation): admins only. */
  'privacy.restricted': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

/**
 * What a tenant's API token may do: open and follow that tenant's tickets, settle them (a reply
 * "and resolve"), manage its webhook endpoints (tokens are made by client admins, who may), and
 * send and fetch the records of its data-entry tickets as files, nothing else.
 */
const apiPermissions = new Set<Permission>([
  'tickets.open',
  'tickets.settle',
  'webhooks.manage',
  'quality.exchange',
]);

export function can(actor: Actor, permission: Permission): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind === 'anonymous') return false;
  if (actor.kind === 'api') return apiPermissions.has(permission);
  return (permissions[permission] as readonly Role[]).includes(actor.role);
}

/** Throws `forbidden` unless the context's actor holds the permission. */
export function requirePermission(ctx: Ctx, permission: Permission): void {
  if (ctx.actor.kind === 'anonymous') throw new AppError('unauthenticated', 'sign in first');
  if (!can(ctx.actor, permission)) throw new AppError('forbidden', `missing permission ${permission}`);
}

/**
 * Whether a client may settle (mark solved or close) this ticket: the permission, and the ticket
 * is theirs (they asked for it) unless they administer the company's account.
 */
export function canSettleTicket(
  actor: Actor,
  ticket: { tenantId: unknown; requester?: { id?: unknown } | null },
): boolean {
  // A token settles as the client admin who made it: any ticket of its company.
  if (actor.kind === 'api') return String(actor.tenantId) === String(ticket.tenantId);
  if (actor.kind !== 'user' || actor.tenantId === null || !can(actor, 'tickets.settle')) return false;
  if (String(actor.tenantId) !== String(ticket.tenantId)) return false;
  return actor.role === 'client_admin' || String(ticket.requester?.id ?? '') === actor.userId;
}

/**
 * Staff of these roles serve every tenant, whatever tenant list their profile holds: the tenant
 * scope (tenants/scope.ts) and the staff page ("all tenants") both read this.
 */
const allTenantRoles: readonly Role[] = ['admin'];

export function servesAllTenants(role: Role): boolean {
  return allTenantRoles.includes(role);
}

export function permissionsOf(actor: Actor): Permission[] {
  return (Object.keys(permissions) as Permission[]).filter((p) => can(actor, p));
}
