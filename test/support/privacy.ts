import { makeUser } from './factories.js';

/** A data subject: a client user of `tenantId` with the given address and name (the requests look them up by both). */
export const makeSubject = (tenantId: string, email: string, name: string) =>
  makeUser({ role: 'client_user', tenantId, email, name });
