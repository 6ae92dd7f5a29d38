import { Router, type Request } from 'express';
import { holdScopes } from '../../../models/legal-hold.js';
import { retentionKinds, retentionStarts } from '../../../models/retention-policy.js';
import {
  getRetentionPolicy,
  listRetentionClients,
  type EffectivePolicy,
} from '../../domain/retention/get-retention-policy.js';
import { listHolds } from '../../domain/retention/list-holds.js';
import { placeHold } from '../../domain/retention/place-hold.js';
import { releaseHold } from '../../domain/retention/release-hold.js';
import { previewPurge } from '../../domain/retention/purge-expired-data.js';
import { saveRetentionPolicy } from '../../domain/retention/save-retention-policy.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { handleForm } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

const tenantIdOf = (req: Request): string => String(req.params.tenantId);

/** A rule as the page reads it: "10 years from the invoice date". */
function ruleText(rule: { years: number; months: number; start: string }, locale: Locale): string {
  const parts = [
    rule.years ? t(locale, 'retention.policies.years', { count: rule.years }) : '',
    rule.months ? t(locale, 'retention.policies.months', { count: rule.months }) : '',
  ].filter(Boolean);
  return t(locale, 'retention.policies.rule', {
    period: parts.join(' '),
    start: t(locale, `retention.policies.starts.${rule.start}`),
  });
}

/** The form's values from the policy in force (each kind "own" or "default" with its numbers). */
function formValues(policy: EffectivePolicy): Record<string, string> {
  const values: Record<string, string> = {
    country: policy.countrySet ?? '',
    financialYearEnd: policy.financialYearEnd,
  };
  for (const rule of policy.rules) {
    values[`${rule.kind}_mode`] = rule.own ? 'own' : 'default';
    values[`${rule.kind}_years`] = String(rule.years);
    values[`${rule.kind}_months`] = String(rule.months);
    values[`${rule.kind}_start`] = rule.start;
  }
  return values;
}

/** Retention per client (issue #20): account managers and admins, for the clients they serve. */
// Long function: a route table: the retention, purge preview and legal hold pages.
export function retentionRoutes(): Router {
  const router = Router();
  router.use(['/retention', '/retention/*rest'], routePermission('retention.manage'));

  router.get('/retention', async (req, res) => {
    const rows = await listRetentionClients(req.ctx);
    res.render('retention/index', { title: t(req.locale, 'retention.policies.title'), rows });
  });

  // The dry run: what the next purge would delete, per client and kind (before `/:tenantId`).
  router.get('/retention/purge-preview', async (req, res) => {
    const plans = await previewPurge(req.ctx);
    res.render('retention/preview', {
      title: t(req.locale, 'retention.purge.title'),
      clients: plans.map((plan) => ({
        tenant: plan.tenant,
        rows: [
          {
            kind: 'tickets',
            count: plan.tickets.ids.length,
            bytes: plan.tickets.bytes,
            held: plan.tickets.held,
          },
          { kind: 'files', count: plan.files.rows.length, bytes: plan.files.bytes, held: plan.files.held },
          { kind: 'inbound_mail', count: plan.inboundMail.count, bytes: null, held: plan.inboundMail.held },
          { kind: 'audit', count: plan.audit.count, bytes: null, held: plan.audit.held },
        ],
      })),
    });
  });

  // Legal holds of one client: list, place, release (account managers and admins).
  const holdLocals = async (req: Request) => {
    const holds = await listHolds(req.ctx, tenantIdOf(req));
    return {
      title: t(req.locale, 'retention.holds.title', { client: holds.tenant.legalName }),
      ...holds,
      scopes: holdScopes,
    };
  };
  router.get('/retention/:tenantId/holds', async (req, res) => {
    res.render('retention/holds', { ...(await holdLocals(req)), values: { scope: 'ticket' } });
  });
  router.post('/retention/:tenantId/holds', async (req, res) => {
    await handleForm(
      req,
      res,
      'retention/holds',
      () => holdLocals(req),
      async () => {
        await placeHold(req.ctx, tenantIdOf(req), req.body);
        req.session.flash = { kind: 'ok', key: 'retention.holds.placed' };
        res.redirect(`/retention/${tenantIdOf(req)}/holds`);
      },
    );
  });
  router.post('/retention/:tenantId/holds/:holdId/release', async (req, res) => {
    await handleForm(
      req,
      res,
      'retention/holds',
      async () => ({ ...(await holdLocals(req)), releasing: String(req.params.holdId) }),
      async () => {
        await releaseHold(req.ctx, tenantIdOf(req), String(req.params.holdId), req.body);
        req.session.flash = { kind: 'ok', key: 'retention.holds.released' };
        res.redirect(`/retention/${tenantIdOf(req)}/holds`);
      },
    );
  });

  const pageLocals = async (req: Request) => {
    const policy = await getRetentionPolicy(req.ctx, tenantIdOf(req));
    return {
      title: t(req.locale, 'retention.policies.client_title', { client: policy.tenant.legalName }),
      policy,
      starts: retentionStarts,
      kinds: retentionKinds.map((kind) => {
        const rule = policy.rules.find((r) => r.kind === kind);
        return {
          kind,
          label: t(req.locale, `retention.policies.kinds.${kind}`),
          inForce: rule ? ruleText(rule, req.locale) : '',
          fallback: rule ? ruleText(rule.fallback, req.locale) : '',
          own: rule?.own ?? false,
        };
      }),
    };
  };

  router.get('/retention/:tenantId', async (req, res) => {
    const locals = await pageLocals(req);
    res.render('retention/policy', { ...locals, values: formValues(locals.policy) });
  });
  router.post('/retention/:tenantId', async (req, res) => {
    const locals = await pageLocals(req);
    await handleForm(req, res, 'retention/policy', locals, async () => {
      await saveRetentionPolicy(req.ctx, tenantIdOf(req), req.body);
      req.session.flash = { kind: 'ok', key: 'retention.policies.saved' };
      res.redirect(`/retention/${tenantIdOf(req)}`);
    });
  });
  return router;
}
