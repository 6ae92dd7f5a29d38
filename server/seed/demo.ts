import type { Types } from 'mongoose';
import { Provider } from '../../models/provider.js';
import { Tenant } from '../../models/tenant.js';
import { User } from '../../models/user.js';
import { deriveCtx, type Ctx } from '../domain/context.js';
import { hashPassword } from '../domain/auth/passwords.js';
import { DEMO_PASSWORD, demoProvider, demoTenants, demoUsers } from './demo-data.js';
import { demoTickets } from './demo-tickets.js';
import { seedContracts } from './demo-contracts.js';
import { backdateDemoClocks } from './demo-sla.js';
import { seedDemoHistory } from './demo-history.js';
import { seedDemoEInvoices } from './demo-einvoices.js';
import { seedDemoQuality } from './demo-quality.js';
import { Ticket } from '../../models/ticket.js';
import { Queue } from '../../models/queue.js';
import { toProfile } from '../domain/auth/profile.js';
import { createTicket } from '../domain/tickets/create.js';
import { ticketInputSchema } from '../domain/tickets/schemas.js';
import { addReply } from '../domain/tickets/replies.js';
import { changeStatus } from '../domain/tickets/lifecycle.js';

export async function isEmpty(): Promise<boolean> {
  const [providers, tenants] = await Promise.all([Provider.countDocuments({}), Tenant.countDocuments({})]);
  return providers === 0 && tenants === 0;
}

/**
 * Create the demo organisation. Idempotent: every row is an upsert on its unique key that only
 * sets fields on insert, so running it again changes nothing a user has edited since.
 */
export async function seedDemo(ctx: Ctx): Promise<{ tenants: number; users: number }> {
  await Provider.updateOne(
    { key: 'provider' },
    { $setOnInsert: { key: 'provider', ...demoProvider } },
    { upsert: true },
  );
  const tenantIds = new Map<string, Types.ObjectId>();
  for (const tenant of demoTenants) {
    const doc = await Tenant.findOneAndUpdate(
      { code: tenant.code },
      { $setOnInsert: { ...tenant, status: 'active' } },
      { upsert: true, returnDocument: 'after' },
    );
    tenantIds.set(tenant.code, doc._id);
    // A demo database seeded before clients had a VAT number gets one (never overwriting one set).
    await Tenant.updateOne({ code: tenant.code, vatNumber: null }, { $set: { vatNumber: tenant.vatNumber } });
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
  await seedQueues();
  await seedContracts();
  await seedTickets(ctx);
  await seedDemoEInvoices(ctx, (email) => actAs(ctx, email));
  await seedDemoQuality(ctx, (email) => actAs(ctx, email));
  ctx.log.info({ tenants: demoTenants.length, usersCreated: created }, 'demo data in place');
  return { tenants: demoTenants.length, users: created };
}

/** A user's context, as if they had signed in: the seed opens tickets through the domain. */
async function actAs(ctx: Ctx, email: string): Promise<Ctx> {
  const user = await User.findOne({ email }).setOptions({ allTenants: true });
  if (!user) throw new Error(`demo user ${email} missing`);
  const tenant = user.tenantId ? await Tenant.findById(user.tenantId) : null;
  const actor = toProfile(user, tenant, { locale: 'en', timeZone: demoProvider.timeZone });
  return deriveCtx(ctx, { actor, tenantId: actor.tenantId });
}

/** Demo tickets and their history, only for a demo tenant that has none yet (so a re-run adds nothing). */
async function seedTickets(ctx: Ctx): Promise<void> {
  const operator = await actAs(ctx, 'marco@desk.example');
  for (const [code, tickets] of Object.entries(demoTickets)) {
    const tenant = await Tenant.findOne({ code }).lean();
    if (!tenant || (await Ticket.countDocuments({ tenantId: tenant._id })) > 0) continue;
    for (const demo of tickets) {
      const ticket = await createTicket(
        await actAs(ctx, demo.by),
        ticketInputSchema.parse(demo.input),
        'portal',
      );
      if (demo.reply) await addReply(operator, ticket.number, { body: demo.reply, internal: false });
      if (demo.status) await changeStatus(operator, ticket.number, demo.status);
    }
    await backdateDemoClocks(tenant._id);
    await seedDemoHistory(ctx, tenant);
  }
}

/** Three demo queues, keyed so a re-run adds nothing. */
async function seedQueues(): Promise<void> {
  const acme = await Tenant.findOne({ code: 'acme' }).lean();
  const queues = [
    {
      key: 'all-work',
      name: 'All work',
      description: 'Everything unassigned, SLA due time first.',
      order: 'sla',
    },
    {
      key: 'invoices',
      name: 'Invoices',
      description: 'Supplier invoices of every client.',
      types: ['invoice'],
      order: 'sla',
    },
    {
      key: 'acme-complaints',
      name: 'Acme complaints',
      tenantIds: acme ? [acme._id] : [],
      types: ['complaint'],
      order: 'priority',
    },
  ];
  for (const q of queues) await Queue.updateOne({ key: q.key }, { $setOnInsert: q }, { upsert: true });
}
