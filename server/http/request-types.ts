import type { Ctx } from '../domain/context.js';
import type { SessionUser } from './auth/session-user.js';
import type { Locale } from '../i18n/i18n.js';
import type { BulkResult } from '../domain/queues/bulk-update.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends SessionUser {}
    interface Request {
      /** The domain context of this request (see middleware/context.ts). */
      ctx: Ctx;
      locale: Locale;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    flash?: { kind: 'ok' | 'error'; key: string; params?: Record<string, string | number> };
    /** What a queue page's bulk action did, shown once on the queue page it returns to. */
    queueBulk?: BulkResult;
  }
}

export {};
