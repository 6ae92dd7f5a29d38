import { forgetPortfolioHomes } from './home/account-manager-home.js';
import { forgetMailHealth } from './home/admin-home.js';
import { forgetContract } from './sla/contract-store.js';
import { forgetApiTokens } from './tenants/api-tokens.js';
import { forgetProvider } from './provider.js';
import { forgetTenant } from './tenants/cache.js';
import { forgetWebhookEndpoints } from './webhooks/record-events.js';

/**
 * Forget everything this process keeps of what it read from the database, at once: tenants and
 * the provider (provider.ts), the owners of accepted API tokens (tenants/api-tokens.ts), SLA
 * calendars and current policies (sla/contract-store.ts), tenants' active webhook endpoints
 * (webhooks/record-events.ts), the home pages' mail figures and portfolios (home/). Tests call it after writing behind the
 * domain's back, instead of each remembering which cache to forget; the domain itself forgets
 * precisely what it changes. A new module-level cache of database reads adds its forget here.
 *
 * Not here, on purpose: what cannot go stale. Policy versions (never change once written, keyed by
 * tenant id), tenant codes for queue rows (never change once given; an unknown tenant re-reads),
 * ticket number counters (a write path, not a read cache), business-time bounds (pure
 * arithmetic), and strings and documents built from the catalogues.
 */
export function resetCaches(): void {
  forgetTenant(null);
  forgetProvider();
  forgetApiTokens();
  forgetContract();
  forgetWebhookEndpoints();
  forgetMailHealth();
  forgetPortfolioHomes();
}
