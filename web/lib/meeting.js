/** The meeting number (会议号) a device has seen: from the page's path, remembered for the installed app. */

/** Shared by the client page and the participant client, so either can pre-fill it. */
const MEETING_KEY = 'cloudcourt.meetingNumber';

/**
 * The meeting number in `{prefix}/{8 digits}`, e.g. `/d/91951413` or `/join/91951413`.
 * @param {string} prefix the page's folder, e.g. `/d`
 * @param {string} pathname
 * @returns {string} the number, or '' when the path has none
 */
export function meetingFromPath(prefix, pathname) {
  if (!pathname.startsWith(`${prefix}/`)) return '';
  const match = /^(\d{8})\/?$/.exec(pathname.slice(prefix.length + 1));
  return match?.[1] ?? '';
}

/** @returns {string} the last meeting number this device saw, or '' */
export function rememberedMeeting() {
  try {
    const value = localStorage.getItem(MEETING_KEY) ?? '';
    return /^\d{8}$/.test(value) ? value : '';
  } catch {
    return '';
  }
}

/** @param {string} number */
export function rememberMeeting(number) {
  try {
    localStorage.setItem(MEETING_KEY, number);
  } catch {
    // Storage refused (private mode): the number is typed in again next time.
  }
}
