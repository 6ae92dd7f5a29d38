import type { UserDoc } from '../../models/user.js';
import { startBatch } from '../../server/domain/quality/batch.js';
import { saveLayout } from '../../server/domain/quality/save-layout.js';
import { createTicket } from '../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../server/domain/tickets/schemas.js';
import { AppError } from '../../server/errors/app-error.js';
import { bodies } from './api.js';
import type { World } from './factories.js';
import { ctxOf } from './tickets.js';

/**
 * The keying tests' fixtures (issue #18), built in one place: the record layout they key on
 * (delivery notes: a supplier VAT, an amount and a note), a data-entry ticket of Acme with its
 * batch started on a layout, and a refusal read as `code:key` (or `code:path=key,...`).
 */

export const testAql = { critical: 0.65, major: 1.0, minor: 2.5 };

/** The fields of the delivery-notes layout; `amount` is critical when the layout is double keyed. */
export function deliveryNoteFields(opts: { amountClass?: 'critical' | 'major' } = {}) {
  return [
    { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
    {
      key: 'amount',
      label: 'Amount',
      type: 'number',
      decimals: 2,
      min: 0,
      required: true,
      ...(opts.amountClass ? { class: opts.amountClass } : {}),
    },
    { key: 'note', label: 'Note', type: 'text', maxLength: 20, class: 'minor' },
  ];
}

/** The delivery-notes layout as saveLayout takes it, with what a test changes. */
export const deliveryNotesLayout = (over: Record<string, unknown> = {}) => ({
  name: 'Delivery notes',
  aql: testAql,
  fields: deliveryNoteFields(),
  ...over,
});

/** A record of the delivery-notes layout, numbered. */
export const deliveryNote = (i: number) => ({
  supplier_vat: 'IT01234567897',
  amount: `${i}.50`,
  note: `row ${i}`,
});

/** A layout of Acme's saved by the world's team lead (the delivery notes, with what a test changes). */
export const saveTestLayout = (world: World, over: Record<string, unknown> = {}) =>
  saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, deliveryNotesLayout(over));

/** A data-entry ticket of Acme's, its batch started on the layout by `keyer` (Acme's operator). */
export async function dataEntryBatch(
  world: World,
  layoutId: unknown,
  keyer: UserDoc = world.users.operatorAcme,
) {
  const ticket = await createTicket(
    ctxOf(world.users.acmeUser, world.acme),
    ticketInputSchema.parse(bodies.dataEntry()),
    'portal',
  );
  await startBatch(ctxOf(keyer, null), ticket.number, String(layoutId));
  return ticket;
}

/** What an operation answered: `accepted`, or its refusal as `code:messageKey` or `code:path=key,...`. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) {
      const fields = err.fields.map((f) => `${f.path}=${f.key}`).join(',');
      return fields ? `${err.code}:${fields}` : `${err.code}:${err.messageKey}`;
    }
    throw err;
  }
  return 'accepted';
}
