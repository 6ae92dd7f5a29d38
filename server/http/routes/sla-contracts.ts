import { Router, type Request } from 'express';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { calendarFormValues, policyFormValues } from '../../domain/sla/contract-form-values.js';
import { targetField } from '../../domain/sla/contract-input.js';
import { weekdays, type PolicyDoc } from '../../domain/sla/contract-store.js';
import { getContract } from '../../domain/sla/get-contract.js';
import { listContracts } from '../../domain/sla/list-contracts.js';
import { saveCalendar } from '../../domain/sla/save-calendar.js';
import { savePolicy } from '../../domain/sla/save-policy.js';
import { formatNumber } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { handleForm } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/**
 * SLA contracts of the clients in the caller's portfolio (account managers and admins):
 * business hours per client, and SLA targets saved as numbered versions.
 */

interface CalendarShape {
  timeZone: string;
  alwaysOpen?: boolean | null;
  weekly?: ReadonlyArray<{ day: number; from: string; to: string }> | null;
  holidays?: ReadonlyArray<unknown> | null;
  closures?: ReadonlyArray<unknown> | null;
}

/** 'Mon–Fri 09:00-18:00 · Europe/Rome · 22 holidays': consecutive days with equal hours grouped. */
export function calendarSummary(calendar: CalendarShape, locale: Locale): string {
  const parts: string[] = [];
  if (calendar.alwaysOpen) parts.push(t(locale, 'sla.always_open_short'));
  else {
    const byDay = weekdays.map((d) =>
      (calendar.weekly ?? [])
        .filter((w) => w.day === d)
        .sort((a, b) => a.from.localeCompare(b.from))
        .map((w) => `${w.from}-${w.to}`)
        .join(', '),
    );
    const groups: Array<{ first: number; last: number; hours: string }> = [];
    byDay.forEach((hours, i) => {
      const last = groups[groups.length - 1];
      if (last && last.hours === hours && last.last === i) last.last = i + 1;
      else groups.push({ first: i + 1, last: i + 1, hours });
    });
    const day = (d: number) => t(locale, `sla.weekdays_short.${d}`);
    parts.push(
      groups
        .filter((g) => g.hours)
        .map((g) => `${g.first === g.last ? day(g.first) : `${day(g.first)}–${day(g.last)}`} ${g.hours}`)
        .join('; ') || t(locale, 'sla.closed'),
    );
  }
  parts.push(calendar.timeZone);
  const holidays = calendar.holidays?.length ?? 0;
  if (holidays) parts.push(t(locale, 'sla.holidays_count', { n: holidays }));
  const closures = calendar.closures?.length ?? 0;
  if (closures) parts.push(t(locale, 'sla.closures_count', { n: closures }));
  return parts.join(' · ');
}

const hours = (minutes: number, locale: Locale): string =>
  formatNumber(Number((minutes / 60).toFixed(2)), locale);

/** The targets of a version, for reading: per type, 'first response / resolution' hours per priority. */
function targetRows(policy: PolicyDoc, locale: Locale) {
  return ticketTypes.map((type) => ({
    type,
    cells: priorities.map((priority) => {
      const target = policy.targets.find((x) => x.type === type && x.priority === priority);
      return {
        priority,
        text: target
          ? `${hours(target.firstResponseMinutes, locale)} / ${hours(target.resolutionMinutes, locale)}`
          : '–',
      };
    }),
  }));
}

const escalationText = (policy: PolicyDoc, locale: Locale): string =>
  [
    policy.escalation?.raisePriority ? t(locale, 'sla.raise_priority') : '',
    policy.escalation?.notifyClient ? t(locale, 'sla.notify_client') : '',
  ]
    .filter(Boolean)
    .join('; ') || t(locale, 'sla.none_short');

const tenantIdOf = (req: Request): string => String(req.params.tenantId);

// Long function: a route table: the contract pages.
export function slaContractRoutes(): Router {
  const router = Router();
  router.use(['/sla', '/sla/*rest'], routePermission('sla.manage'));

  router.get('/sla', async (req, res) => {
    const rows = (await listContracts(req.ctx)).map((row) => ({
      ...row,
      calendarSummary: row.calendar ? calendarSummary(row.calendar, req.locale) : null,
    }));
    res.render('sla/index', { title: t(req.locale, 'sla.title'), rows });
  });

  const calendarLocals = async (req: Request) => {
    const contract = await getContract(req.ctx, tenantIdOf(req));
    return {
      contract,
      tenant: contract.tenant,
      title: t(req.locale, 'sla.calendar_title', { client: contract.tenant.legalName }),
      timeZones: Intl.supportedValuesOf('timeZone'),
      days: weekdays.map((day) => ({
        day,
        name: `hours.${day}`,
        label: t(req.locale, `sla.weekdays.${day}`),
      })),
    };
  };

  router.get('/sla/:tenantId/calendar', async (req, res) => {
    const locals = await calendarLocals(req);
    res.render('sla/calendar', {
      ...locals,
      values: calendarFormValues(locals.contract.calendar, locals.tenant.timeZone),
    });
  });
  router.post('/sla/:tenantId/calendar', async (req, res) => {
    const locals = await calendarLocals(req);
    await handleForm(req, res, 'sla/calendar', locals, async () => {
      await saveCalendar(req.ctx, tenantIdOf(req), req.body);
      req.session.flash = { kind: 'ok', key: 'sla.calendar_saved' };
      res.redirect('/sla');
    });
  });

  const policyLocals = async (req: Request) => {
    const contract = await getContract(req.ctx, tenantIdOf(req));
    const current = contract.policy?.version ?? 0;
    return {
      tenant: contract.tenant,
      title: t(req.locale, 'sla.policy_title', { client: contract.tenant.legalName }),
      hasCalendar: contract.calendar !== null,
      calendarSummary: contract.calendar ? calendarSummary(contract.calendar, req.locale) : null,
      baseVersion: current,
      nextVersion: current + 1,
      priorities,
      grid: ticketTypes.map((type) => ({
        type,
        cells: priorities.map((priority) => ({
          priority,
          firstResponse: targetField(type, priority, 'firstResponse'),
          resolution: targetField(type, priority, 'resolution'),
        })),
      })),
      history: contract.versions.map((v, i) => ({
        version: v.version,
        createdAt: v.createdAt,
        createdBy: v.createdBy?.name ?? '',
        warnAt: (v.warnAt ?? []).map((p) => `${p}%`).join(', ') || t(req.locale, 'sla.none_short'),
        escalation: escalationText(v, req.locale),
        current: i === 0,
        rows: targetRows(v, req.locale),
      })),
      policy: contract.policy,
    };
  };

  router.get('/sla/:tenantId/policy', async (req, res) => {
    const locals = await policyLocals(req);
    res.render('sla/policy', { ...locals, values: policyFormValues(locals.policy) });
  });
  router.post('/sla/:tenantId/policy', async (req, res) => {
    const locals = await policyLocals(req);
    await handleForm(req, res, 'sla/policy', locals, async () => {
      const policy = await savePolicy(req.ctx, tenantIdOf(req), req.body);
      req.session.flash = {
        kind: 'ok',
        key: 'sla.policy_saved',
        params: { version: String(policy.version) },
      };
      res.redirect(`/sla/${tenantIdOf(req)}/policy`);
    });
  });
  return router;
}
