import { createHash } from 'node:crypto';

/**
 * Where each finding of an e-invoice stands for the approval (issue #17 item 5): an error blocks
 * the approval until it is overridden (einvoices/override-finding.ts); a warning never blocks, but the
 * approver accepts the warnings explicitly with the approval (approval-gate.ts); an info finding
 * is only shown.
 *
 * The findings are those the e-invoice intake stored on the file's row (einvoices/types.ts
 * `Finding`; the shape is repeated here as `Finding` because tickets stand below e-invoices).
 *
 * A finding is named by its id: a hash of what it says (rule, message, parameters, location),
 * not of its position in the list. An override is kept under that id, so it follows the finding
 * itself: were the file checked again, an override whose finding is still found applies again,
 * and one whose finding is gone no longer applies (`findingStates` shows only the findings of
 * the file). Keyed fields are not the file: editing them changes no finding, so it keeps every
 * override (it takes back an approval, and with it the warnings' acceptance: update.ts).
 */
export interface Finding {
  severity: 'error' | 'warning' | 'info';
  rule: string;
  messageKey: string;
  params: Record<string, string | number>;
  location?: { line?: number; column?: number; path?: string };
}

export interface FindingOverride {
  by: { id: string | null; name: string };
  at: Date;
  reason: string;
  rule: string;
}

export interface FindingState extends Finding {
  id: string;
  override: FindingOverride | null;
  /** An error not overridden: the approval is refused while any is left. */
  blocking: boolean;
}

/** A finding's id: 16 hex digits of the sha256 of what it says and where (safe as a field name). */
export function findingId(f: Finding): string {
  const params = Object.keys(f.params ?? {})
    .sort()
    .map((k) => [k, String(f.params[k])]);
  const where = f.location
    ? [f.location.line ?? null, f.location.column ?? null, f.location.path ?? null]
    : null;
  return createHash('sha256')
    .update(JSON.stringify([f.severity, f.rule, f.messageKey, params, where]))
    .digest('hex')
    .slice(0, 16);
}

export const isFindingId = (v: string): boolean => /^[0-9a-f]{16}$/.test(v);

/** The findings with their ids and overrides (an override of a finding no longer found is left out). */
export function findingStates(
  findings: readonly Finding[],
  overrides: Record<string, unknown> | null | undefined,
): FindingState[] {
  return findings.map((f) => {
    const id = findingId(f);
    const raw = overrides?.[id] as FindingOverride | undefined;
    const override = f.severity === 'error' && raw ? raw : null;
    return { ...f, id, override, blocking: f.severity === 'error' && !override };
  });
}

/** The state of the gate: errors still blocking, and the warnings an approver accepts. */
export function gateOf(states: readonly FindingState[]) {
  const blocking = states.filter((s) => s.blocking);
  const warnings = states.filter((s) => s.severity === 'warning');
  return { blocking, warnings, blocked: blocking.length > 0 };
}
