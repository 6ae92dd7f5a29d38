/**
 * At most `size` holders at once; the others wait in arrival order. A waiter that is still
 * waiting at its deadline gives up (false), so a burst of exports cannot pile up behind a slow
 * browser for longer than a request may take.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  /** Wait for a slot until `deadline` (epoch ms): true with the slot held, false when out of time. */
  acquire(deadline: number): Promise<boolean> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.active++;
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiting.push(wake);
    });
  }

  release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  get pending(): number {
    return this.waiting.length;
  }
}
