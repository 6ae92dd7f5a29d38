/**
 * What a closed lot adds to field accuracy: for each field of the layout and each keyer, the
 * fields of the sampled records a checker verified (every field of every sampled record is
 * checked against the source) and how many were found keyed wrong. Written on the lot with its
 * verdict (close-lot.ts), so the reports never re-read records, and the keyer stays the one who
 * keyed the record inspected even after a rework re-keys it.
 */

export interface FieldCheck {
  field: string;
  /** The keyer's user id (null: keyed by the system, e.g. an import without a person). */
  keyerId: string | null;
  keyerName: string;
  inspected: number;
  wrong: number;
}

export interface SampledRecord {
  keyer: { id?: unknown; name?: string | null };
  /** The keys of the fields found keyed wrong. */
  wrong: readonly string[];
}

export function fieldChecksOf(fields: readonly string[], sampled: readonly SampledRecord[]): FieldCheck[] {
  const rows = new Map<string, FieldCheck>();
  for (const record of sampled) {
    const keyerId = record.keyer.id ? String(record.keyer.id) : null;
    const wrong = new Set(record.wrong);
    for (const field of fields) {
      const key = `${field}\u0000${keyerId ?? ''}`;
      let row = rows.get(key);
      if (!row) {
        row = { field, keyerId, keyerName: record.keyer.name ?? '', inspected: 0, wrong: 0 };
        rows.set(key, row);
      }
      row.inspected++;
      if (wrong.has(field)) row.wrong++;
    }
  }
  return [...rows.values()];
}
