import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';
import type { Ctx } from '../context.js';
import { chainIdOf } from './audit-chain.js';

/**
 * Removes the chain's entries written before `before` (their retention is over) and keeps the
 * last removed position's hash as the anchor verification starts from. The anchor moves first:
 * a crash before the delete leaves entries behind the anchor, which verification ignores and the
 * next trim removes; never a chain whose start cannot be checked.
 */
export async function trimAuditChain(_ctx: Ctx, before: Date): Promise<{ removed: number }> {
  const anchor = await AuditChainMark.findById('anchor').lean();
  let last: { seq: number; hash: string } | null = null;
  for (let seq = (anchor?.seq ?? 0) + 1; ; seq += 1) {
    const row = await AuditEvent.findOne({ _id: chainIdOf(seq) }, { at: 1, chain: 1 })
      .setOptions({ allTenants: true })
      .lean();
    if (!row || row.at >= before || !row.chain?.hash) break;
    last = { seq, hash: row.chain.hash };
  }
  if (last) {
    await AuditChainMark.updateOne(
      { _id: 'anchor', seq: { $lt: last.seq } },
      { $set: { seq: last.seq, hash: last.hash } },
      { upsert: true },
    ).catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code !== 11000) throw err;
    });
  }
  const upTo = Math.max(last?.seq ?? 0, anchor?.seq ?? 0);
  if (upTo === 0) return { removed: 0 };
  const { deletedCount } = await AuditEvent.deleteMany({ 'chain.seq': { $lte: upTo } }).setOptions({
    allTenants: true,
  });
  return { removed: deletedCount };
}
