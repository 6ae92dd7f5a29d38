import { Types } from 'mongoose';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';

export interface Author {
  id: Types.ObjectId | null;
  name: string;
  kind: 'client' | 'staff' | 'system';
  email?: string;
}

/** The person (or system) a timeline entry or a ticket is attributed to. */
export function authorOf(ctx: Ctx): Author {
  const a = ctx.actor;
  switch (a.kind) {
    case 'user':
      return {
        id: new Types.ObjectId(a.userId),
        name: a.name,
        kind: a.tenantId ? 'client' : 'staff',
        email: a.email,
      };
    case 'api':
      return { id: new Types.ObjectId(a.userId), name: a.name, kind: 'client', email: a.email };
    case 'system':
      return { id: null, name: a.name, kind: 'system' };
    default:
      throw new AppError('unauthenticated', 'sign in first');
  }
}
