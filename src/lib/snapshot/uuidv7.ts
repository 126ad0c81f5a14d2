// UUIDv7 timestamps (RFC 9562 §5.7), the form Harn writes for created_at, started_at, finished_at
// and suspension.suspended_at. Pure: decoding reads the 48-bit Unix-ms prefix; encoding takes its
// random bytes from the caller, so nothing here reads a clock or a random source.

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Largest timestamp a UUIDv7 can hold (2^48 - 1 ms, in the year 10889). */
export const UUIDV7_MAX_MS = 2 ** 48 - 1;

/** Random bytes an encoded UUIDv7 needs: 12 bits of rand_a and 62 bits of rand_b, rounded up. */
export const UUIDV7_RANDOM_BYTES = 10;

export function isUuidV7(text: string): boolean {
  return UUID_V7.test(text);
}

/** Epoch milliseconds of a UUIDv7 string (version 7, RFC variant), or null when it is not one. */
export function decodeUuidV7Ms(text: string): number | null {
  if (!UUID_V7.test(text)) return null;
  // The first 48 bits: 8 hex digits, then the 4 of the second group.
  return Number.parseInt(`${text.slice(0, 8)}${text.slice(9, 13)}`, 16);
}

/**
 * A UUIDv7 string for `ms` (lower-case, hyphenated). `random` supplies the 74 random bits: bytes
 * 0-1 give rand_a (their low 12 bits), bytes 2-9 give rand_b (their low 62 bits).
 */
export function encodeUuidV7(ms: number, random: Uint8Array): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > UUIDV7_MAX_MS) {
    throw new RangeError(`UUIDv7 timestamp must be an integer in [0, ${UUIDV7_MAX_MS}] ms, got ${ms}`);
  }
  if (random.length < UUIDV7_RANDOM_BYTES) {
    throw new RangeError(`UUIDv7 needs ${UUIDV7_RANDOM_BYTES} random bytes, got ${random.length}`);
  }
  const bytes = new Uint8Array(16);
  let rest = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  bytes[6] = 0x70 | ((random[0] ?? 0) & 0x0f);
  bytes[7] = random[1] ?? 0;
  bytes[8] = 0x80 | ((random[2] ?? 0) & 0x3f);
  for (let i = 9; i < 16; i++) bytes[i] = random[i - 6] ?? 0;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
