import { finding } from './findings.js';
import type { EInvoiceFormat, Finding, FindingSeverity, XmlSource } from './types.js';
import {
  ruleSetInstalled,
  runValidator,
  SchematronTimeout,
  schemaInstalled,
  ValidatorUnavailable,
  type ValidatorRecord,
} from './validate-schematron.js';
import { schemaProblem } from './xml-problems.js';

/**
 * Validates an e-invoice against the official files (installed by scripts/einvoice-rules.ts from
 * einvoice-rules/sources.json), as findings, in one request to the validator process
 * (validate-schematron.ts: a long-lived Java 17 process that keeps every schema and stylesheet
 * compiled):
 *
 * - XSD (the JDK's validator): FatturaPA 1.2.2 (which accepts every 1.2.x file) and UBL 2.1
 *   Invoice / CreditNote (also for OIOUBL, a UBL 2.0 profile the 2.1 schemas accept). Rule id
 *   `xsd.fatturapa` / `xsd.ubl`, the message the validator's read as a problem people get in
 *   their language (xml-problems.ts; its own text kept as `text`), the location its line;
 * - Schematron (Saxon-HE over the published XSLT): EN 16931 (CEN, UBL syntax) for Peppol BIS 3
 *   and other UBL, plus the Peppol BIS Billing 3 rules for Peppol, and OIOUBL 2.1's own rules for
 *   OIOUBL. The rule id is the rule file's (`BR-CO-15`, `PEPPOL-EN16931-R001`; OIOUBL names it in
 *   its text, `[F-INV001] …`), its flag the severity (fatal -> error; OIOUBL's asserts carry none:
 *   `W-…` warnings, the others errors), its text the message, its XPath the location.
 *
 * Never throws: what cannot be validated (rules not installed, too large, too slow, the validator
 * down or failing) is a finding that says so. Bounded: at most `validationLimits.maxBytes` of XML,
 * and the validator's time limit per file.
 */

export const validationLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxFindingsPerEngine: 200,
  /** What one upload (receive-einvoice.ts, a ZIP of many files) may spend on validation in all. */
  uploadBudgetMs: 60_000,
};

const unavailable = (engine: string): Finding =>
  finding('warning', `rules.unavailable`, 'einvoicerules.unavailable', { engine });

const failed = (engine: string, detail: string): Finding =>
  finding('warning', 'rules.failed', 'einvoicerules.failed', { engine, detail: detail.slice(0, 300) });

function notChecked(engine: string, err: unknown): Finding {
  if (err instanceof SchematronTimeout)
    return finding('warning', 'rules.timeout', 'einvoicerules.timeout', { engine });
  const detail = (err instanceof Error ? err.message : String(err)).slice(0, 300);
  if (err instanceof ValidatorUnavailable)
    return finding('warning', 'rules.validator_down', 'einvoicevalidator.down', { engine, detail });
  return failed(engine, detail);
}

/** Too many findings of one engine: the first ones and a count of the rest. */
function capped(findings: Finding[], engine: string): Finding[] {
  const max = validationLimits.maxFindingsPerEngine;
  if (findings.length <= max) return findings;
  return [
    ...findings.slice(0, max),
    finding('info', 'rules.more', 'einvoicerules.more', { engine, count: findings.length - max }),
  ];
}

const SEVERITY: Record<string, FindingSeverity> = {
  fatal: 'error',
  error: 'error',
  warning: 'warning',
  info: 'info',
  information: 'info',
};

export const RULE_SETS: Record<string, string> = {
  'en16931-ubl': 'EN 16931 (CEN 1.3.15)',
  'peppol-bis3': 'Peppol BIS Billing 3 (2026.5)',
  'oioubl-invoice': 'OIOUBL 2.1 (1.16.1)',
  'oioubl-creditnote': 'OIOUBL 2.1 (1.16.1)',
};

/** The Schematron rule sets a format is checked with (FatturaPA has none: no official one exists). */
export function ruleSetsFor(format: EInvoiceFormat, root = 'Invoice'): string[] {
  if (format === 'peppol-bis3') return ['en16931-ubl', 'peppol-bis3'];
  if (format === 'ubl') return ['en16931-ubl'];
  if (format === 'oioubl') return [root === 'CreditNote' ? 'oioubl-creditnote' : 'oioubl-invoice'];
  return [];
}

/**
 * `/*:Invoice[namespace-uri()='…'][1]/*:TaxTotal[…][1]` as `/Invoice[1]/TaxTotal[1]`, and OIOUBL's
 * `/*[local-name()='Invoice']/*[local-name()='Note']` as `/Invoice/Note`.
 */
export const readablePath = (location: string): string =>
  location
    .replace(/\*\[local-name\(\)='([^']*)'\]/g, '$1')
    .replace(/\[namespace-uri\(\)='[^']*'\]/g, '')
    .replace(/Q\{[^}]*\}/g, '')
    .replace(/\*:/g, '')
    .slice(0, 500);

function findingOfSvrl(item: Extract<ValidatorRecord, { type: 'svrl' }>): Finding {
  // OIOUBL's asserts have no id: their text starts with it (`[F-INV001] Root element must be …`).
  const prefix = /^\[([^\]]+)\]\s*-?\s*/.exec(item.text);
  const id = item.id || prefix?.[1] || 'schematron';
  const text = (
    prefix && (prefix[1] === id || /^\[[^\]]+\]\s*-/.test(item.text))
      ? item.text.slice(prefix[0].length)
      : item.text
  ).slice(0, 1000);
  // Without a flag an assert is an error, but OIOUBL marks its warnings by the id (`W-INV010`).
  const severity = item.flag
    ? (SEVERITY[item.flag.toLowerCase()] ?? 'error')
    : id.startsWith('W-')
      ? 'warning'
      : 'error';
  return finding(
    severity,
    id,
    'einvoicerules.schematron',
    { engine: RULE_SETS[item.set] ?? item.set, text },
    { path: readablePath(item.location) },
  );
}

/** The findings of the XSD and the Schematron rule sets of the file's format. */
export async function validateEInvoice(format: EInvoiceFormat, source: XmlSource): Promise<Finding[]> {
  if (source.bytes.byteLength > validationLimits.maxBytes)
    return [
      finding('warning', 'rules.too_large', 'einvoicerules.too_large', {
        size: source.bytes.byteLength,
        max: validationLimits.maxBytes,
      }),
    ];
  const kind = format === 'fatturapa' ? 'fatturapa' : source.root === 'CreditNote' ? 'CreditNote' : 'Invoice';
  const xsdEngine = format === 'fatturapa' ? 'XSD FatturaPA 1.2.2' : 'XSD UBL 2.1';
  const xsdRule = format === 'fatturapa' ? 'xsd.fatturapa' : 'xsd.ubl';
  const sets = ruleSetsFor(format, source.root);
  const setsEngine = sets.map((s) => RULE_SETS[s] ?? s).join(' + ');
  const before: Finding[] = [];
  const xsdOn = schemaInstalled(kind);
  if (!xsdOn) before.push(unavailable(xsdEngine));
  const setsOn = sets.length > 0 && sets.every(ruleSetInstalled);
  if (sets.length > 0 && !setsOn) before.push(unavailable(setsEngine));
  if (!xsdOn && !setsOn) return before;

  let records: ValidatorRecord[];
  try {
    records = await runValidator(xsdOn ? kind : null, setsOn ? sets : [], source.bytes);
  } catch (err) {
    const engine = [xsdOn ? xsdEngine : '', setsOn ? setsEngine : ''].filter(Boolean).join(' + ');
    return [...before, notChecked(engine, err)];
  }
  const xsd: Finding[] = [];
  const schematron: Finding[] = [];
  const broken = new Map<string, string>();
  for (const r of records) {
    if (r.type === 'xsd')
      xsd.push(
        finding(
          'error',
          xsdRule,
          'einvoicerules.xsd_problem',
          { engine: xsdEngine, ...schemaProblem(r.message), text: r.message.trim() },
          r.line > 0 ? { line: r.line } : undefined,
        ),
      );
    else if (r.type === 'svrl') schematron.push(findingOfSvrl(r));
    else if (!broken.has(r.engine)) broken.set(r.engine, r.message);
  }
  const xsdBroken = broken.get('xsd');
  const setsBroken = sets.map((s) => broken.get(s)).find((m) => m !== undefined);
  return [
    ...before,
    ...capped(xsd, xsdEngine),
    ...(xsdBroken === undefined ? [] : [failed(xsdEngine, xsdBroken)]),
    ...capped(schematron, setsEngine),
    ...(setsBroken === undefined ? [] : [failed(setsEngine, setsBroken)]),
  ];
}
