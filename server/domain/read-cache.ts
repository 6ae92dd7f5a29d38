/**
 * A short, process-local cache of reads that every request repeats (a tenant's calendar, its
 * current SLA policy). What is kept is the read in flight, so concurrent misses cost one query;
 * "none" is kept too (most tenants' answers do not change between two tickets); a failed read is
 * not kept. The functions that change what was read forget it on their node at once; other nodes
 * see the change within `ttlMs`. Values are shared between callers: treat them as read-only.
 */
export class ReadCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 5_000,
  ) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = { at: Date.now(), value: read() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  forget(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}
