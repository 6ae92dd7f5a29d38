import { z } from 'zod';
import { releaseTicket, takeNext, takeTicket } from '../../domain/queues/claims.js';
import { toSummaries } from '../../domain/queues/views.js';
import { objectId, ref, type HandlerKit } from './handle.js';

const schemas = {
  take: z.object({ ref }),
  next: z.object({ queueId: objectId.optional() }).default({}),
};

/** Taking work: a ticket, the next one of a queue, and giving one back. */
export function registerClaimHandlers({ handle }: HandlerKit): void {
  handle('ticket:take', schemas.take, async (ctx, input) => {
    const [ticket] = await toSummaries([await takeTicket(ctx, input.ref)]);
    return { ticket };
  });

  handle('ticket:next', schemas.next, async (ctx, input) => {
    const taken = await takeNext(ctx, input.queueId);
    if (!taken) return null;
    const [ticket] = await toSummaries([taken]);
    return { ticket };
  });

  handle('ticket:release', schemas.take, async (ctx, input) => {
    const [ticket] = await toSummaries([await releaseTicket(ctx, input.ref)]);
    return { ticket };
  });
}
