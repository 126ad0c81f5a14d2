// ISO-8601 text of an epoch-ms time, exactly as Date#toISOString writes it, without building a Date:
// records carry both forms of each time and a store read rebuilds the text from the number, so this
// runs several times per state change.

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const two = (n: number) => (n < 10 ? `0${n}` : String(n));
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

// Times of one run mostly share a day: its `YYYY-MM-DDT` is kept.
let lastDay = -1;
let lastPrefix = '';

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` for 1970..9999; other times go through Date (same output). */
export function isoFromMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
  const millis = ms % 1000;
  const seconds = (ms - millis) / 1000;
  const ofDay = seconds % 86_400;
  const days = (seconds - ofDay) / 86_400;
  const hh = Math.floor(ofDay / 3600);
  const mm = Math.floor((ofDay % 3600) / 60);
  const clock = `${two(hh)}:${two(mm)}:${two(ofDay % 60)}.${three(millis)}Z`;
  if (days === lastDay) return lastPrefix + clock;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  lastDay = days;
  lastPrefix = `${pad(year, 4)}-${two(month)}-${two(day)}T`;
  return lastPrefix + clock;
}
