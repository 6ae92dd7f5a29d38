import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { recordAudit } from '../audit/audit.js';

/**
 * Sign out: the sign-out is audited (as sign-in is), the adapter ends its session, and only then
 * the person's open sockets are told to go (the real-time layer listens), so a live page that
 * reconnects finds the session gone; another valid session of theirs keeps it connected. Signing
 * out without being signed in only ends the session.
 */
export async function signOut(ctx: Ctx, endSession: () => Promise<void>): Promise<void> {
  const person = ctx.actor.kind === 'user' ? ctx.actor : null;
  if (person)
    await recordAudit(ctx, { action: 'auth.sign_out', tenantId: person.tenantId, targetId: person.userId });
  await endSession();
  if (person) domainEvents.emit('user.sessions_revoked', { userId: person.userId });
}
