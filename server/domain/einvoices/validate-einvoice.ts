import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { fromRoot } from '../../paths.js';
import { finding } from './findings.js';
import type { SvrlItem } from './schematron-worker.js';
import type { EInvoiceFormat, Finding, FindingSeverity, XmlSource } from './types.js';
import { ruleSetInstalled, runSchematron, SchematronTimeout } from './validate-schematron.js';

/**
 * Validates an e-invoice against the official files (installed by scripts/einvoice-rules.ts from
 * einvoice-rules/sources.json), as findings:
 *
 * - XSD (libxml2 through xmllint-wasm): FatturaPA 1.2.2 (which accepts every 1.2.x file) and UBL
 *   2.1 Invoice / CreditNote (also for OIOUBL, a UBL 2.0 profile the 2.1 schemas accept). Rule
 *   id `xsd.fatturapa` / `xsd.ubl`, the message libxml2's own, the location its line;
 * - Schematron (SaxonJS over the published XSLT, validate-schematron.ts): EN 16931 (CEN, UBL
 *   syntax) for Peppol BIS 3 and other UBL, plus the Peppol BIS Billing 3 rules for Peppol. The
 *   rule id is the rule file's (`BR-CO-15`, `PEPPOL-EN16931-R001`), its flag the severity (fatal
 *   -> error), its text the message, its XPath the location.
 *
 * Never throws: what cannot be validated (rules not installed, too large, too slow, the engine
 * failing) is a finding that says so. Bounded: at most `validationLimits.maxBytes` of XML, and
 * each engine stops after its time limit.
 */

export const validationLimits = {
  maxBytes: 10 * 1024 * 1024,
  xsdTimeoutMs: 15_000,
  maxFindingsPerEngine: 200,
  /** What one upload (receive-einvoice.ts, a ZIP of many files) may spend on validation in all. */
  uploadBudgetMs: 60_000,
};

const xsdDir = () => fromRoot('einvoice-rules/build/xsd');

interface SchemaSet {
  main: XMLFileInfo;
  preload: XMLFileInfo[];
}
const schemaSets = new Map<string, SchemaSet>();

/** The schema and the files it imports, read once: UBL's main schemas import `../common/*`. */
function schemaSet(kind: 'fatturapa' | 'Invoice' | 'CreditNote'): SchemaSet | null {
  const cached = schemaSets.get(kind);
  if (cached) return cached;
  const dir = xsdDir();
  const mainPath =
    kind === 'fatturapa'
      ? join(dir, 'fatturapa', 'Schema_del_file_xml_FatturaPA_v1.2.2.xsd')
      : join(dir, 'ubl21', 'maindoc', `UBL-${kind}-2.1.xsd`);
  if (!existsSync(mainPath)) return null;
  const others = kind === 'fatturapa' ? join(dir, 'fatturapa') : join(dir, 'ubl21', 'common');
  const prefix = kind === 'fatturapa' ? '' : '../common/';
  const set: SchemaSet = {
    main: { fileName: 'main.xsd', contents: readFileSync(mainPath, 'utf8') },
    preload: readdirSync(others)
      .filter((name) => name.endsWith('.xsd') && join(others, name) !== mainPath)
      .map((name) => ({ fileName: prefix + name, contents: readFileSync(join(others, name), 'utf8') })),
  };
  schemaSets.set(kind, set);
  return set;
}

const unavailable = (engine: string): Finding =>
  finding('warning', `rules.unavailable`, 'einvoicerules.unavailable', { engine });

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SchematronTimeout(`over ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const failed = (engine: string, err: unknown): Finding =>
  err instanceof SchematronTimeout
    ? finding('warning', 'rules.timeout', 'einvoicerules.timeout', { engine })
    : finding('warning', 'rules.failed', 'einvoicerules.failed', {
        engine,
        detail: (err instanceof Error ? err.message : String(err)).slice(0, 300),
      });

/** Too many findings of one engine: the first ones and a count of the rest. */
function capped(findings: Finding[], engine: string): Finding[] {
  const max = validationLimits.maxFindingsPerEngine;
  if (findings.length <= max) return findings;
  return [
    ...findings.slice(0, max),
    finding('info', 'rules.more', 'einvoicerules.more', { engine, count: findings.length - max }),
  ];
}

async function validateXsd(format: EInvoiceFormat, source: XmlSource): Promise<Finding[]> {
  const kind = format === 'fatturapa' ? 'fatturapa' : source.root === 'CreditNote' ? 'CreditNote' : 'Invoice';
  const engine = format === 'fatturapa' ? 'XSD FatturaPA 1.2.2' : 'XSD UBL 2.1';
  const rule = format === 'fatturapa' ? 'xsd.fatturapa' : 'xsd.ubl';
  const set = schemaSet(kind);
  if (!set) return [unavailable(engine)];
  try {
    const result = await withTimeout(
      validateXML({
        xml: [{ fileName: 'invoice.xml', contents: source.bytes }],
        schema: [set.main],
        preload: set.preload,
        // 1 GiB of wasm memory at most (64 KiB pages).
        maxMemoryPages: 16_384,
      }),
      validationLimits.xsdTimeoutMs,
    );
    const findings = result.errors.map((e) =>
      finding(
        'error',
        rule,
        'einvoicerules.xsd',
        { engine, text: e.message.replace(/^invoice\.xml:\d+:\s*/, '').trim() },
        e.loc?.lineNumber ? { line: e.loc.lineNumber } : undefined,
      ),
    );
    return capped(findings, engine);
  } catch (err) {
    return [failed(engine, err)];
  }
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
};

/** The Schematron rule sets a format is checked with (FatturaPA and OIOUBL have none here). */
export function ruleSetsFor(format: EInvoiceFormat): string[] {
  if (format === 'peppol-bis3') return ['en16931-ubl', 'peppol-bis3'];
  if (format === 'ubl') return ['en16931-ubl'];
  return [];
}

/** `/*:Invoice[namespace-uri()='…'][1]/*:TaxTotal[…][1]` as `/Invoice[1]/TaxTotal[1]`. */
export const readablePath = (location: string): string =>
  location
    .replace(/\[namespace-uri\(\)='[^']*'\]/g, '')
    .replace(/Q\{[^}]*\}/g, '')
    .replace(/\*:/g, '')
    .slice(0, 500);

function findingOfSvrl(item: SvrlItem): Finding {
  const text = item.text.replace(/^\[[^\]]+\]\s*-\s*/, '').slice(0, 1000);
  return finding(
    SEVERITY[item.flag.toLowerCase()] ?? 'error',
    item.id || 'schematron',
    'einvoicerules.schematron',
    { engine: RULE_SETS[item.set] ?? item.set, text },
    { path: readablePath(item.location) },
  );
}

async function validateSchematron(format: EInvoiceFormat, source: XmlSource): Promise<Finding[]> {
  const sets = ruleSetsFor(format);
  if (sets.length === 0) return [];
  const engine = sets.map((s) => RULE_SETS[s] ?? s).join(' + ');
  if (!sets.every(ruleSetInstalled)) return [unavailable(engine)];
  try {
    return capped((await runSchematron(source.text, sets)).map(findingOfSvrl), engine);
  } catch (err) {
    return [failed(engine, err)];
  }
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
  const [xsd, schematron] = await Promise.all([
    validateXsd(format, source),
    validateSchematron(format, source),
  ]);
  return [...xsd, ...schematron];
}
