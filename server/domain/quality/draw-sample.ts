import { createHmac, randomBytes } from 'node:crypto';

/**
 * The seeded random draw of a sample: n distinct item indices out of 0 ... N-1, uniform over all
 * subsets of size n, reproducible by anyone who has the seed. No hand-written generator: the
 * random stream is HMAC-SHA256 in counter mode, keyed by the seed (NIST SP 800-108 style).
 *
 *   block(c)  = HMAC-SHA256(key = UTF-8 bytes of the seed, message = "iso2859-draw/v1:" + c)
 *               for c = 0, 1, 2, ... in decimal; each 32-byte block gives eight unsigned 32-bit
 *               big-endian words, used in order.
 *   below(m)  = a uniform integer in [0, m): take the next word w, reject it while
 *               w >= 2^32 - (2^32 mod m), then return w mod m (no modulo bias).
 *   the draw  = R. W. Floyd's algorithm (J. Bentley, "Programming Pearls: A sample of
 *               brilliance", CACM 30(9), 1987): S = {}; for j = N-n ... N-1: t = below(j + 1);
 *               add t to S if it is not there, else add j. Every n-subset is equally likely.
 *
 * The indices are returned in ascending order, with the seed and the algorithm's name, so the
 * record of a draw is enough to repeat it (a few lines of Python's hmac module reproduce it).
 */

export const drawAlgorithm = 'floyd/hmac-sha256-ctr/v1';

export interface DrawnSample {
  seed: string;
  algorithm: typeof drawAlgorithm;
  lotSize: number;
  sampleSize: number;
  /** Zero-based item indices, ascending. */
  indices: number[];
}

/** A new random seed: 128 bits from the operating system, as 32 hex digits. */
export function newSeed(): string {
  return randomBytes(16).toString('hex');
}

/** A reader of uniform integers from the seeded HMAC-SHA256 counter stream. */
export function seededStream(seed: string): { below(m: number): number } {
  let counter = 0;
  let block: Buffer = Buffer.alloc(0);
  let offset = 0;
  const nextWord = (): number => {
    if (offset >= block.length) {
      block = createHmac('sha256', Buffer.from(seed, 'utf8')).update(`iso2859-draw/v1:${counter}`).digest();
      counter += 1;
      offset = 0;
    }
    const word = block.readUInt32BE(offset);
    offset += 4;
    return word;
  };
  return {
    below(m: number): number {
      if (!Number.isSafeInteger(m) || m < 1 || m > 2 ** 32)
        throw new RangeError(`range must be 1 ... 2^32: ${m}`);
      const limit = 2 ** 32 - (2 ** 32 % m);
      for (;;) {
        const w = nextWord();
        if (w < limit) return w % m;
      }
    },
  };
}

export function drawSample(input: { lotSize: number; sampleSize: number; seed?: string }): DrawnSample {
  const { lotSize, sampleSize } = input;
  if (!Number.isSafeInteger(lotSize) || lotSize < 0)
    throw new RangeError(`lot size must be a whole number >= 0: ${lotSize}`);
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 0 || sampleSize > lotSize) {
    throw new RangeError(`sample size must be a whole number from 0 to the lot size: ${sampleSize}`);
  }
  const seed = input.seed ?? newSeed();
  if (seed.length === 0) throw new RangeError('the seed must not be empty');
  const stream = seededStream(seed);
  const chosen = new Set<number>();
  for (let j = lotSize - sampleSize; j < lotSize; j++) {
    const t = stream.below(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const indices = [...chosen].sort((a, b) => a - b);
  return { seed, algorithm: drawAlgorithm, lotSize, sampleSize, indices };
}
