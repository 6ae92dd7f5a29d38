/**
 * Group commit: writes to one target that arrive while an earlier write to it is in flight wait
 * for it and then go together, as one command. An idle target writes at once (no timer, no added
 * latency); a busy one sends one command per round trip instead of one per caller, which is what
 * bounds intake under load (measured in bench/intake: each command costs the portal and the
 * engine far more CPU than each document in it).
 *
 * Every caller still gets its own outcome: its result, or its own error (a duplicate key of its
 * document), and nothing is acknowledged before the command that carries it is.
 */
export type BatchOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private busy = false;

  /**
   * @param flush writes the items as one command and answers one outcome per item, in order; a
   *   throw fails every item of that batch.
   * @param maxBatch most items in one command.
   */
  constructor(
    private readonly flush: (items: I[]) => Promise<Array<BatchOutcome<O>>>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        // Callers resumed by the same reply submit in the same turn: let them join the first batch.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        let outcomes: Array<BatchOutcome<O>>;
        try {
          outcomes = await this.flush(batch.map((w) => w.item));
        } catch (error) {
          for (const w of batch) w.reject(error);
          continue;
        }
        batch.forEach((w, i) => {
          const outcome = outcomes[i];
          if (!outcome) w.reject(new Error('group commit: no outcome for an item'));
          else if (outcome.ok) w.resolve(outcome.value);
          else w.reject(outcome.error);
        });
      }
    } finally {
      this.busy = false;
    }
  }
}
