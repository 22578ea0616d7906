import { signJwt } from '../../src/auth/jwt.ts';

/** Distinct users' tokens without a fixed budget: see tokenSupply. */
export interface TokenSupply {
  /** The next unused token (user `<prefix>-<n>`, n = 0, 1, 2, ...). */
  next(): string;
  /** Signs now, until at least `count` unused tokens are ready. */
  reserve(count: number): void;
  /** Tokens handed out by next() so far. */
  readonly used: number;
  /** Tokens signed so far. */
  readonly minted: number;
}

/**
 * User tokens (valid for a day) for a load generator that cannot know how many requests it will send.
 * Signing per request would charge the rounds that carry tokens for the generator's own CPU, so tokens
 * are signed ahead of use: `reserve()` before a run what it is expected to take; whenever fewer than
 * `chunk` remain, the next chunk is signed on the event loop between requests (setImmediate), never
 * inside one. Only an empty supply signs inside next(), a chunk at once. It never runs out.
 */
export function tokenSupply(secret: string, prefix: string, chunk = 2_000): TokenSupply {
  let ready: string[] = [];
  let head = 0;
  let minted = 0;
  let used = 0;
  let refillQueued = false;
  const left = () => ready.length - head;
  const mint = (count: number) => {
    const exp = Math.floor(Date.now() / 1000) + 86_400;
    const fresh = Array.from({ length: count }, (_, i) =>
      signJwt({ sub: `${prefix}-${minted + i}`, exp }, secret),
    );
    minted += count;
    // Drop what was handed out, so a long run does not keep every token it ever used.
    ready = ready.slice(head).concat(fresh);
    head = 0;
  };
  const refillSoon = () => {
    if (refillQueued) return;
    refillQueued = true;
    setImmediate(() => {
      refillQueued = false;
      if (left() < chunk) mint(chunk);
    });
  };
  return {
    next() {
      if (left() === 0) mint(chunk);
      if (left() <= chunk) refillSoon();
      used++;
      return ready[head++]!;
    },
    reserve(count) {
      if (left() < count) mint(count - left());
    },
    get used() {
      return used;
    },
    get minted() {
      return minted;
    },
  };
}
