import { expect } from 'chai';
import { GroupCommit } from '../../server/db/group-commit.js';

/** Group commit as a rule of batching, over a flush that answers after a tick of its own. */
describe('group commit', () => {
  const tick = () => new Promise<void>((r) => setImmediate(r));

  it('writes an idle target at once, and what arrives while it is busy together afterwards', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await tick();
      return items.map((i) => ({ ok: true as const, value: i * 10 }));
    });
    const first = group.submit(1);
    await Promise.resolve(); // the first batch leaves in the next microtask
    await Promise.resolve();
    const later = [2, 3, 4].map((i) => group.submit(i));
    expect(await Promise.all([first, ...later])).to.deep.equal([10, 20, 30, 40]);
    expect(batches).to.deep.equal([[1], [2, 3, 4]]);
  });

  it('gives every caller its own outcome, and fails only the batch whose write threw', async () => {
    let calls = 0;
    const group = new GroupCommit<string, string>(async (items) => {
      calls++;
      await tick();
      if (calls === 1) throw new Error('server gone');
      return items.map((s) =>
        s === 'dup'
          ? { ok: false as const, error: Object.assign(new Error('E11000'), { code: 11000 }) }
          : { ok: true as const, value: s.toUpperCase() },
      );
    });
    const lost = group.submit('a');
    await Promise.resolve();
    await Promise.resolve();
    const next = ['b', 'dup', 'c'].map((s) =>
      group.submit(s).then(
        (v) => v,
        (e: { code?: number; message: string }) => `error ${e.code ?? e.message}`,
      ),
    );
    expect(
      await lost.then(
        () => 'stored',
        (e: Error) => e.message,
      ),
    ).to.equal('server gone');
    expect(await Promise.all(next)).to.deep.equal(['B', 'error 11000', 'C']);
  });

  it('never puts more than maxBatch items in one write', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit<number, void>(async (items) => {
      sizes.push(items.length);
      await tick();
      return items.map(() => ({ ok: true as const, value: undefined }));
    }, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => group.submit(i)));
    expect(sizes).to.deep.equal([4, 4, 2]);
  });
});
