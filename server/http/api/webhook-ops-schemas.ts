import { z } from 'zod';

/** The API's schemas of the operable part of webhooks: test events, attempt history, replay. */

export const testEventJson = z.object({
  eventId: z.string(),
  msgId: z.string().regex(/^msg_/),
  status: z.literal('pending'),
});
