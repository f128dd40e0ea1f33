/**
 * The Retry-After header (RFC 9110 section 10.2.3): `delay-seconds` or an `HTTP-date` in any of the three forms a
 * recipient must accept (IMF-fixdate, obsolete RFC 850, ANSI C asctime), always GMT. A date is turned into a delay on
 * the injected clock; a date in the past is no wait. Anything else (a negative or fractional number, a date with a
 * zone other than GMT, an impossible day) is not a Retry-After at all: the caller then waits its own backoff.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);
/** Longer than any HTTP-date or sensible delay: not read further. */
const MAX_LENGTH = 40;

function utc(year: number, month: string, day: number, hh: number, mm: number, ss: number): number | undefined {
  const m = MONTHS.indexOf(month);
  if (hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, m, day, hh, mm, Math.min(ss, 59));
  // Date.UTC rolls over (31 Feb -> 3 Mar): an impossible day is refused, not moved
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/** The instant an HTTP-date names (ms since the epoch), or undefined when `text` is not one. */
export function parseHttpDate(text: string, now: Date): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2] as string, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850.exec(text);
  if (m) {
    // two-digit year: RFC 9110 reads one more than 50 years ahead of now as the past century
    const yy = Number(m[3]);
    let year = Math.floor(now.getUTCFullYear() / 100) * 100 + yy;
    if (year > now.getUTCFullYear() + 50) year -= 100;
    return utc(year, m[2] as string, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME.exec(text);
  if (m) return utc(Number(m[6]), m[1] as string, Number((m[2] as string).trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

/**
 * How long (ms) a Retry-After header asks the client to wait, measured on `clock`; undefined when the header is absent
 * or is neither delay-seconds nor an HTTP-date. Without a clock an HTTP-date cannot be placed and is undefined too.
 */
export function retryAfterMs(header: string | null | undefined, clock: (() => Date) | undefined): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text.length === 0 || text.length > MAX_LENGTH) return undefined;
  // delay-seconds is 1*DIGIT; more than 9 digits is over 30 years: read as "a very long time", never as a small number
  if (/^\d+$/.test(text)) return text.length > 9 ? Number.MAX_SAFE_INTEGER : Number(text) * 1000;
  if (clock === undefined) return undefined;
  const now = clock();
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now.getTime());
}
