/**
 * The domain context, and the one place it is built.
 *
 * Conventions every adapter (pages, API, sockets, jobs, inbound mail, CLI, seed, tests) follows:
 * - Every context comes from `makeCtx` (or a helper here built on it: `systemCtx`, `deriveCtx`).
 *   No other file writes a `Ctx` object literal; test/domain/make-ctx.test.ts refuses one.
 * - Every domain operation an adapter calls takes `ctx` first, then its input (make-ctx.test.ts
 *   checks the adapters' calls; its short list of exceptions says why each is one).
 * - Input is validated once, by its zod schema exported next to the operation: an adapter parses
 *   what it received with that schema (`parseInput` for forms, the socket registry's `schema`,
 *   the API's body parser) and hands the parsed value on; an operation whose input has no
 *   schema of its own (ids, numbers from the route) checks it at its start. Nothing is
 *   validated twice and nothing reaches the database unparsed.
 */
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

/** What `makeCtx` needs; each adapter fills in what it knows. */
export interface CtxInit {
  actor: Actor;
  /** The tenant the operation is about, when there is exactly one (see Ctx). */
  tenantId: string | null;
  requestId: string;
  /** The parent logger: the context logs through `log.child(logFields)`, or `log` itself without fields. */
  log: Logger;
  logFields?: Record<string, unknown>;
  /** The caller's address (HTTP, socket, SMTP); absent for the system's own work. */
  ip?: string | null;
}

/** Build a domain context: the one constructor every adapter calls. */
export function makeCtx(init: CtxInit): Ctx {
  const ctx: Ctx = {
    tenantId: init.tenantId,
    actor: init.actor,
    requestId: init.requestId,
    log: init.logFields ? init.log.child(init.logFields) : init.log,
  };
  if (init.ip !== undefined) ctx.ip = init.ip;
  return ctx;
}

/** The context of the system's own work (jobs, seed, command line). */
export function systemCtx(log: Logger, name = 'system', requestId = `sys-${Date.now().toString(36)}`): Ctx {
  return makeCtx({
    tenantId: null,
    actor: { kind: 'system', name },
    requestId,
    log,
    logFields: { requestId, actor: name },
  });
}

/**
 * The same request with something changed: acting as someone else (a command-line task acting for
 * a tenant's admin, a mail sender, the system writing during intake), narrowed to one tenant, or
 * logging with more fields. What is not changed (request id, address, actor, tenant, logger) is kept.
 */
export function deriveCtx(
  base: Ctx,
  change: { actor?: Actor; tenantId?: string | null; log?: Logger; logFields?: Record<string, unknown> },
): Ctx {
  const init: CtxInit = {
    actor: change.actor ?? base.actor,
    tenantId: change.tenantId === undefined ? base.tenantId : change.tenantId,
    requestId: base.requestId,
    log: change.log ?? base.log,
  };
  if (change.logFields) init.logFields = change.logFields;
  if (base.ip !== undefined) init.ip = base.ip;
  return makeCtx(init);
}

export type PersonActor = Extract<Actor, { kind: 'user' }>;

export const isStaff = (actor: Actor): actor is PersonActor =>
  actor.kind === 'user' && actor.tenantId === null;
export const isClient = (actor: Actor): boolean =>
  (actor.kind === 'user' && actor.tenantId !== null) || actor.kind === 'api';
