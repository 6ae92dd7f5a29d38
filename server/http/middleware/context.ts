import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config/config.js';
import { makeCtx, type Actor, type Ctx } from '../../domain/context.js';
import { permissionsOf, type Permission } from '../../domain/auth/policy.js';
import { actorOf } from '../../domain/auth/profile.js';
import { localeFromAcceptLanguage, type Locale } from '../../i18n/i18n.js';

/** Build the domain context for a request: the one place HTTP turns into (tenant, actor, request). */
export function requestCtx(req: Request): Ctx {
  const user = req.user;
  const actor: Actor = user ? actorOf(user) : { kind: 'anonymous' };
  const tenantId = user?.tenantId ?? null;
  return makeCtx({
    tenantId,
    actor,
    requestId: String(req.id),
    log: req.log,
    logFields: { tenantId, userId: user?.userId ?? null },
    ip: req.ip ?? null,
  });
}

interface NavItem {
  href: string;
  key: string;
  permission?: Permission;
  /** Where a client user goes instead (their own company's page, not a list of one). */
  clientHref?: (tenantId: string) => string;
}

/** Navigation shows only what the role may use: each entry is tied to a permission. */
const navigation: NavItem[] = [
  { href: '/', key: 'nav.home' },
  { href: '/queues', key: 'nav.queues', permission: 'queues.work' },
  { href: '/macros', key: 'macros.nav', permission: 'macros.manage' },
  { href: '/tickets', key: 'nav.tickets' },
  { href: '/team', key: 'nav.team', permission: 'team.manage' },
  { href: '/api-tokens', key: 'api_tokens.nav', permission: 'tokens.manage' },
  { href: '/webhooks', key: 'webhook_pages.nav', permission: 'webhooks.manage' },
  { href: '/sla', key: 'sla.nav', permission: 'sla.manage' },
  { href: '/retention', key: 'retention.policies.nav', permission: 'retention.manage' },
  { href: '/privacy', key: 'privacy.nav', permission: 'privacy.request' },
  { href: '/layouts', key: 'keying.nav', permission: 'quality.layouts' },
  { href: '/reports', key: 'reports.nav', permission: 'reports.read' },
  { href: '/reports/operators', key: 'operators.nav', permission: 'reports.operators' },
  { href: '/reports/csat', key: 'csat.report.nav', permission: 'reports.operators' },
  {
    href: '/reports/statements',
    key: 'statement.nav',
    permission: 'reports.statement',
    clientHref: (id) => `/reports/${id}/statement`,
  },
  { href: '/admin/tenants', key: 'nav.tenants', permission: 'tenants.manage' },
  { href: '/admin/staff', key: 'nav.staff', permission: 'staff.manage' },
  { href: '/admin/audit', key: 'nav.audit', permission: 'audit.read' },
  { href: '/admin/jobs', key: 'nav.jobs', permission: 'jobs.read' },
];

export function contextMiddleware(config: Config): RequestHandler {
  return (req, res, next) => {
    const locale: Locale =
      req.user?.locale ?? localeFromAcceptLanguage(req.get('accept-language')) ?? config.defaultLocale;
    req.locale = locale;
    req.ctx = requestCtx(req);
    res.locals.locale = locale;
    res.locals.timeZone = req.user?.timeZone ?? config.defaultTimeZone;
    res.locals.user = req.user ?? null;
    if (req.user) {
      const granted = new Set(permissionsOf(req.ctx.actor));
      const clientTenant = req.user.tenantId;
      const items = navigation
        .filter((item) => !item.permission || granted.has(item.permission))
        .map(({ key, href, clientHref }) => ({
          key,
          href: clientTenant && clientHref ? clientHref(clientTenant) : href,
        }));
      // The most specific entry is the active one (/reports/operators, not also /reports).
      const active = items
        .filter((item) =>
          item.href === '/'
            ? req.path === '/'
            : req.path === item.href || req.path.startsWith(`${item.href}/`),
        )
        .sort((a, b) => b.href.length - a.href.length)[0];
      res.locals.nav = items.map((item) => ({ ...item, active: item === active }));
      res.locals.permissions = Object.fromEntries([...granted].map((p) => [p, true]));
    }
    if (req.session?.flash) {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    next();
  };
}
