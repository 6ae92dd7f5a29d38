import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';
import type { Ctx } from '../context.js';
import { chainHashOf, chainIdOf, genesisHash } from './audit-chain.js';

/** How a chain breaks: an entry gone, changed, pointing at another predecessor, or one not in its place. */
export type ChainBreakKind = 'missing' | 'edited' | 'relinked' | 'inserted';

export interface ChainBreak {
  seq: number;
  entryId: string | null;
  kind: ChainBreakKind;
}

export interface ChainVerdict {
  ok: boolean;
  /** Entries checked, from the position after the anchor (1 unless retention trimmed the start). */
  checked: number;
  from: number;
  /** The first break found, or null. */
  break: ChainBreak | null;
}

const batch = 500;

type ChainedRow = {
  _id: unknown;
  at: Date;
  action: string;
  tenantId: never;
  actorId: never;
  targetId: never;
  details: unknown;
  chain?: { seq?: number | null; prev?: string | null; hash?: string | null } | null;
};

/** What is wrong with the entry at `seq`, if anything, given the previous hash. */
function flaw(
  seq: number,
  prev: string,
  row: ChainedRow | undefined,
  head: number,
): ChainBreakKind | 'end' | null {
  if (!row) return seq <= head ? 'missing' : 'end';
  if (row.chain?.seq !== seq) return 'inserted';
  if (row.chain.prev !== prev) return 'relinked';
  return chainHashOf(seq, prev, row) === row.chain.hash ? null : 'edited';
}

/** Chained entries past the anchor that are not at their position's id: written around the chain. */
async function strayEntry(anchorSeq: number, checked: number): Promise<ChainBreak | null> {
  const total = await AuditEvent.countDocuments({ 'chain.seq': { $gt: anchorSeq } }).setOptions({
    allTenants: true,
  });
  if (total <= checked) return null;
  const rows = await AuditEvent.find({ 'chain.seq': { $gt: anchorSeq } }, { chain: 1 })
    .setOptions({ allTenants: true })
    .lean();
  const stray = rows.find((row) => String(row._id) !== String(chainIdOf(Number(row.chain?.seq))));
  const seq = Number(stray?.chain?.seq ?? anchorSeq + checked + 1);
  return { seq, entryId: stray ? String(stray._id) : null, kind: 'inserted' };
}

/**
 * Walks the audit hash chain in position order, a batch of positions at a time (each read by the
 * ids the positions derive), and reports the first break: an edited entry fails its own hash, a
 * deleted one leaves its position empty below the head, a forged one is not where its position says.
 */
export async function verifyAuditChain(_ctx: Ctx): Promise<ChainVerdict> {
  const [head, anchor] = await Promise.all([
    AuditChainMark.findById('head').lean(),
    AuditChainMark.findById('anchor').lean(),
  ]);
  const from = (anchor?.seq ?? 0) + 1;
  let prev = anchor?.hash ?? genesisHash;
  let seq = from;
  for (;;) {
    const ids = Array.from({ length: batch }, (_, i) => chainIdOf(seq + i));
    const rows = (await AuditEvent.find({ _id: { $in: ids } })
      .setOptions({ allTenants: true })
      .lean()) as unknown as ChainedRow[];
    const byId = new Map(rows.map((row) => [String(row._id), row]));
    for (let i = 0; i < batch; i += 1, seq += 1) {
      const row = byId.get(String(ids[i]));
      const found = flaw(seq, prev, row, head?.seq ?? 0);
      const checked = seq - from;
      if (found === 'end') {
        const stray = await strayEntry(from - 1, checked);
        return { ok: !stray, checked, from, break: stray };
      }
      if (found)
        return {
          ok: false,
          checked,
          from,
          break: { seq, entryId: row ? String(row._id) : null, kind: found },
        };
      prev = String(row?.chain?.hash);
    }
  }
}
