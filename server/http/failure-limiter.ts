/**
 * Counts failures per key (a network address) in a fixed window, in this process: only what
 * failed is counted, so any number of people behind one address sign in while their attempts
 * succeed. Once `limit` failures are counted the key is refused until its window ends.
 */
export interface FailureLimiter {
  /** Seconds until the key may try again, or null when it may try now. */
  retryAfterSeconds(key: string, now?: number): number | null;
  recordFailure(key: string, now?: number): void;
}

export function failureLimiter({ windowMs, limit }: { windowMs: number; limit: number }): FailureLimiter {
  const windows = new Map<string, { failures: number; endsAt: number }>();
  const forgetEnded = (now: number) => {
    for (const [key, w] of windows) if (w.endsAt <= now) windows.delete(key);
  };
  return {
    retryAfterSeconds(key, now = Date.now()) {
      const w = windows.get(key);
      if (!w || w.endsAt <= now || w.failures < limit) return null;
      return Math.max(1, Math.ceil((w.endsAt - now) / 1000));
    },
    recordFailure(key, now = Date.now()) {
      if (windows.size > 10_000) forgetEnded(now);
      const w = windows.get(key);
      if (w && w.endsAt > now) w.failures++;
      else windows.set(key, { failures: 1, endsAt: now + windowMs });
    },
  };
}
