/**
 * Admission control for the lab processes: at most `slots` requests work at once (one per database
 * connection); the rest wait in arrival order, and one that has waited longer than `maxWaitMs` is turned
 * away without touching the stores. Every strategy gets the same front door, and work a client has given
 * up on does not pile up behind the run and spill into the next one.
 */
export class Admission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  inFlight = 0;

  constructor(
    private readonly slots: number,
    private readonly maxWaitMs: number,
  ) {}

  /** Runs `work` in a slot, or returns `shed` when the wait for one exceeded maxWaitMs. */
  async run<T, S>(work: () => Promise<T>, shed: () => S): Promise<T | S> {
    const arrived = performance.now();
    this.inFlight++;
    try {
      if (this.active >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.active++;
      try {
        if (performance.now() - arrived > this.maxWaitMs) return shed();
        return await work();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.active--;
      }
    } finally {
      this.inFlight--;
    }
  }
}
