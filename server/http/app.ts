import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type MongoStore from 'connect-mongo';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ProviderDefaults } from '../domain/auth/profile.js';
import { configurePassport, sessionMiddleware } from './auth/sessions.js';
import { contextMiddleware } from './middleware/context.js';
import { csrfProtection } from './middleware/csrf.js';
import { boundedBodies } from './middleware/bodies.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { apiRoutes } from './api/router.js';
import { adminAuditRoutes } from './routes/admin-audit.js';
import { adminJobRoutes } from './routes/admin-jobs.js';
import { adminStaffRoutes } from './routes/admin-staff.js';
import { adminTenantRoutes } from './routes/admin-tenants.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { webhookPageRoutes } from './routes/webhooks.js';
import { authRoutes } from './routes/auth.js';
import { csatRoutes } from './routes/csat.js';
import { reportCsatRoutes } from './routes/report-csat.js';
import { healthRoutes } from './routes/health.js';
import { homeRoutes } from './routes/home.js';
import { teamRoutes } from './routes/team.js';
import { ticketImportRoutes } from './routes/ticket-import.js';
import { ticketRoutes } from './routes/tickets.js';
import { macroRoutes } from './routes/macros.js';
import { doubleKeyingRoutes } from './routes/double-keying.js';
import { inspectionSwitchingRoutes } from './routes/inspection-switching.js';
import { keyingRoutes } from './routes/keying.js';
import { layoutRoutes } from './routes/layouts.js';
import { ticketDuplicateRoutes } from './routes/ticket-duplicates.js';
import { einvoiceFindingRoutes } from './routes/einvoice-findings.js';
import { queueRoutes } from './routes/queues.js';
import { reportOperatorRoutes } from './routes/report-operators.js';
import { reportStatementRoutes } from './routes/report-statement.js';
import { reportRoutes } from './routes/reports.js';
import { slaContractRoutes } from './routes/sla-contracts.js';
import { privacyRoutes } from './routes/privacy.js';
import { retentionRoutes } from './routes/retention.js';
import { staticRoots } from './static-roots.js';
import type { PdfRenderer } from '../pdf/renderer.js';
import { multipartForms } from './uploads.js';
import { configureViews } from './views.js';
import './request-types.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  sessionStore: MongoStore;
  defaults: ProviderDefaults;
  /** The session middleware instance, when the caller shares it (boot gives socket.io the same one). */
  sessions?: RequestHandler;
  /** Renders the PDF exports; its owner (boot) closes it. */
  pdf: PdfRenderer;
}

// Long function: the middleware and routers in mount order (the order matters), read top to bottom.
export function createApp({ config, log, sessionStore, defaults, sessions, pdf }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined)
    app.set('trust proxy', /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);
  configureViews(app);

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: {
        ignore: (req) =>
          req.url === '/healthz' || req.url === '/readyz' || (req.url ?? '').startsWith('/static/'),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      // Credentials never reach the log: API bearer tokens and session cookies.
      serializers: {
        req: (req: { headers?: Record<string, unknown> }) =>
          req.headers?.authorization || req.headers?.cookie
            ? {
                ...req,
                headers: {
                  ...req.headers,
                  ...(req.headers.authorization ? { authorization: '[redacted]' } : {}),
                  ...(req.headers.cookie ? { cookie: '[redacted]' } : {}),
                },
              }
            : req,
      },
    }),
  );
  app.use(helmet({ contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } }));
  for (const root of staticRoots)
    app.use(root.prefix, express.static(root.dir, { maxAge: config.env === 'production' ? '1d' : 0 }));
  app.use(healthRoutes());

  // The REST API: bearer tokens only, so it sits before sessions, passport and CSRF. It reads its
  // bodies itself, after the token: a refused body is told in the caller's language.
  app.use('/api/v1', apiRoutes(config));
  app.use(sessions ?? sessionMiddleware(config, sessionStore));
  configurePassport(app, defaults);
  app.use(contextMiddleware(config));
  // Bounded before anything walks them (size, JSON depth): refusals are 4xx, never 5xx. Read once
  // the reader is known (nothing before reads a body), so a refusal is in their language.
  app.use(boundedBodies);
  app.use(multipartForms);
  app.use(csrfProtection);

  app.use(authRoutes(config));
  app.use(csatRoutes());
  app.use(homeRoutes(config.embeddedCapacityTickets));
  app.use(teamRoutes());
  app.use(apiTokenRoutes());
  app.use(webhookPageRoutes());
  app.use(ticketImportRoutes());
  app.use(adminTenantRoutes());
  app.use(adminStaffRoutes());
  app.use(adminAuditRoutes());
  app.use(adminJobRoutes());
  app.use(queueRoutes());
  app.use(macroRoutes());
  app.use(slaContractRoutes());
  app.use(retentionRoutes());
  app.use(privacyRoutes());
  // Before the SLA reports: their `/reports/:tenantId` would take these paths' names for a client id.
  app.use(reportOperatorRoutes());
  app.use(reportCsatRoutes());
  app.use(reportStatementRoutes());
  app.use(reportRoutes(pdf));
  app.use(layoutRoutes());
  app.use(keyingRoutes());
  app.use(inspectionSwitchingRoutes());
  app.use(doubleKeyingRoutes());
  // Before the tickets: `/tickets/:ref` would take the duplicate check's path for a ticket.
  app.use(ticketDuplicateRoutes());
  app.use(einvoiceFindingRoutes());
  app.use(ticketRoutes());

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
