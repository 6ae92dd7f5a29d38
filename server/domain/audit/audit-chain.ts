import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';

/**
 * The tamper-evident trail (issue #20): entries of these areas are chained by hash. One chain for
 * the whole portal rather than one per client: a single sequence is what an auditor verifies in
 * one pass, and a deleted client cannot take its chain (and the evidence of what was done to it)
 * along with it.
 */
export const chainedAreas: readonly string[] = ['retention', 'privacy'];

/** The hash before the first entry. */
export const genesisHash = '0'.repeat(64);

/** What of an entry the hash covers. Not the e-mail, label, ip or request id: an erasure may pseudonymise them. */
export interface ChainedFields {
  at: Date;
  action: string;
  tenantId: Types.ObjectId | null;
  actorId: Types.ObjectId | null;
  targetId: Types.ObjectId | null;
  details: unknown;
}

/** The entry at a position has an id derived from it, so two writers can never both take one position. */
export const chainIdOf = (seq: number): Types.ObjectId =>
  new Types.ObjectId(createHash('sha256').update(`audit-chain:${seq}`).digest().subarray(0, 12));

/** JSON with object keys sorted at every level: the same entry always encodes the same way. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const idText = (id: Types.ObjectId | null | undefined): string | null => (id ? String(id) : null);

/** An entry's hash: SHA-256 over its position, the previous hash and the fields the chain covers. */
export function chainHashOf(seq: number, prev: string, entry: ChainedFields): string {
  // Details go through JSON first so what was written and what is read back (dates, ids) encode alike.
  const details = JSON.parse(JSON.stringify(entry.details ?? {})) as unknown;
  const covered = {
    seq,
    prev,
    at: new Date(entry.at).toISOString(),
    action: entry.action,
    tenantId: idText(entry.tenantId),
    actorId: idText(entry.actorId),
    targetId: idText(entry.targetId),
    details,
  };
  return createHash('sha256').update(canonical(covered)).digest('hex');
}

const isDuplicate = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** The hash of the entry at `seq`, or null when there is none (never written, or removed). */
async function hashAt(seq: number): Promise<string | null> {
  if (seq === 0) return genesisHash;
  const anchor = await AuditChainMark.findById('anchor').lean();
  if (anchor && anchor.seq === seq) return anchor.hash;
  const entry = await AuditEvent.findOne({ _id: chainIdOf(seq) }, { chain: 1 })
    .setOptions({ allTenants: true })
    .lean();
  return entry?.chain?.hash ?? null;
}

/** Moves a mark forward (never back); a mark already further on is left as it is. */
async function advanceMark(id: 'head' | 'anchor', seq: number, hash: string): Promise<void> {
  await AuditChainMark.updateOne(
    { _id: id, seq: { $lt: seq } },
    { $set: { seq, hash } },
    { upsert: true },
  ).catch((err: unknown) => {
    if (!isDuplicate(err)) throw err;
  });
}

/**
 * Appends an entry at the next free position, in ONE insert (entry and chain fields together, so a
 * crash leaves either the whole entry or nothing). Concurrent writers race for a position through
 * its derived id; the loser moves on to the next one. The head mark is only a hint: a crash that
 * left it behind costs the next append a few failed inserts, never a gap.
 */
export async function appendChained(
  entry: ChainedFields & Record<string, unknown>,
  key?: string,
): Promise<void> {
  if (key) {
    // Written once per key: the operations that key an entry run it again only to complete
    // themselves after a crash, never concurrently with themselves.
    const done = await AuditEvent.exists({ 'chain.key': key }).setOptions({ allTenants: true });
    if (done) return;
  }
  const [head, anchor] = await Promise.all([
    AuditChainMark.findById('head').lean(),
    AuditChainMark.findById('anchor').lean(),
  ]);
  let seq = Math.max(head?.seq ?? 0, anchor?.seq ?? 0) + 1;
  let prev = (head && head.seq === seq - 1 ? head.hash : await hashAt(seq - 1)) ?? genesisHash;
  for (;;) {
    const hash = chainHashOf(seq, prev, entry);
    try {
      await AuditEvent.create({
        ...entry,
        _id: chainIdOf(seq),
        chain: { seq, prev, hash, ...(key ? { key } : {}) },
      });
      await advanceMark('head', seq, hash);
      return;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      // Someone else took this position: chain on after their entry.
      prev = (await hashAt(seq)) ?? genesisHash;
      seq += 1;
    }
  }
}
