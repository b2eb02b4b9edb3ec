/** Court-local time helpers: today's date in the court's zone, RFC 3339 shown as court-local, local strings split for inputs. */

/**
 * The zone times are shown in while the court's own is not known: the staff's session (`Court.time_zone`) and the
 * participant's `me` (`ParticipantMe.time_zone`) name it; this is only for a component not set up yet, or a server
 * too old to say it. The one place the default court's zone is written.
 */
export const FALLBACK_TIME_ZONE = 'Asia/Shanghai';

/**
 * Parts of `date` as seen in time zone `tz`.
 * @param {Date} date
 * @param {string} tz IANA zone, e.g. Asia/Shanghai
 * @returns {{year: string, month: string, day: string, hour: string, minute: string}}
 */
function partsIn(date, tz) {
  /** @type {Intl.DateTimeFormatOptions} */
  const options = {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  };
  let format;
  try {
    format = new Intl.DateTimeFormat('en-GB', options);
  } catch {
    format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: undefined });
  }
  /** @type {Record<string, string>} */
  const parts = {};
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return {
    year: parts.year ?? '',
    month: parts.month ?? '',
    day: parts.day ?? '',
    hour: parts.hour === '24' ? '00' : (parts.hour ?? ''),
    minute: parts.minute ?? '',
  };
}

/**
 * A sensible default slot for a new hearing: the next whole hour that is at least a little ahead, court-local.
 * @param {string} tz
 * @param {Date} [now]
 * @returns {{date: string, time: string}}
 */
export function courtNextHour(tz, now = new Date()) {
  const p = partsIn(new Date(now.getTime() + 60 * 60 * 1000), tz);
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:00` };
}

/**
 * An RFC 3339 instant shown in the court's time zone.
 * @param {string} iso
 * @param {string} tz
 * @returns {string} `YYYY-MM-DD HH:MM`, or the input when it cannot be parsed
 */
export function formatInZone(iso, tz) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const p = partsIn(date, tz);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/**
 * Split a court-local `YYYY-MM-DD HH:MM` (or `…THH:MM`) into input values.
 * @param {string} local
 * @returns {{date: string, time: string}}
 */
export function splitLocal(local) {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})/.exec(local);
  return match ? { date: match[1] ?? '', time: match[2] ?? '' } : { date: '', time: '' };
}

/**
 * The court-local string the API takes for `scheduled_at`.
 * @param {string} date `YYYY-MM-DD`
 * @param {string} time `HH:MM` (seconds, if the browser adds them, are dropped)
 * @returns {string} `YYYY-MM-DDTHH:MM`
 */
export function joinLocal(date, time) {
  return `${date}T${time.slice(0, 5)}`;
}
