import type { PrivacyRequestKind, PrivacyRequestStatus } from '../../../models/privacy-request.js';
import type { Ctx } from '../context.js';
import { runsPrivacyRequests } from './privacy-tenant.js';

/** What the caller may do with a request now: the page offers exactly these (the operations check again). */
export function privacyRequestActions(
  ctx: Ctx,
  request: { kind: PrivacyRequestKind; status: PrivacyRequestStatus },
): { decide: boolean; run: boolean; download: boolean; waiting: boolean } {
  const admin = runsPrivacyRequests(ctx);
  const { kind, status } = request;
  return {
    decide: admin && status === 'requested',
    run: admin && kind === 'erasure' && status === 'approved',
    download: kind === 'export' && (status === 'approved' || status === 'done'),
    waiting: !admin && (status === 'requested' || (kind === 'erasure' && status === 'approved')),
  };
}
