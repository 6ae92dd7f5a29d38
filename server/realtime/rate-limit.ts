/** A token bucket per socket: `burst` events at once, refilled at `perSecond`. In memory, per node. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

export const defaultRateLimit: RateLimit = { burst: 30, perSecond: 10 };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  take(): boolean {
    const at = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((at - this.last) / 1000) * this.limit.perSecond);
    this.last = at;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
