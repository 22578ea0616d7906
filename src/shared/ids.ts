import { createHash, randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pooled buffer: one syscall per 4 KiB instead of one per claim.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

/** UUIDv7 (RFC 9562): time-ordered, so claim ids land near each other in the Postgres index. */
export function uuidv7(now: number = Date.now()): string {
  const b = Buffer.from(randomBytes(16));
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A coupon code: 80 random bits as 16 Crockford base32 characters, grouped by four (XXXX-XXXX-XXXX-XXXX),
 * after the campaign's prefix group when given (PPPP-XXXX-XXXX-XXXX-XXXX). Unambiguous to read aloud; the
 * unique index in Postgres is the final guard.
 */
export function couponCode(prefix?: string): string {
  const bytes = randomBytes(10);
  let acc = 0;
  let bits = 0;
  let out = '';
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xfff; // at most 12 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      if (out.length === 4 || out.length === 9 || out.length === 14) out += '-';
      out += CROCKFORD[(acc >>> bits) & 31];
    }
  }
  return prefix ? `${prefix}-${out}` : out;
}

/** A short random id with a kind letter (`c-…`, `b-…`), for definitions created without an id. */
function shortId(kind: string): string {
  const bytes = randomBytes(8);
  let out = `${kind}-`;
  for (const byte of bytes) out += CROCKFORD[byte & 31]!.toLowerCase();
  return out;
}

/** A campaign id for a campaign created without one. */
export const campaignId = (): string => shortId('c');

/** A gift pack's id for a pack created without one. */
export const bundleId = (): string => shortId('b');

/** A UUID (version 8, RFC 9562) derived from text: the same text always gives the same id. */
export function uuidFromText(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
