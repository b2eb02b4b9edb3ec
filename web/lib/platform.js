/** Which device the page runs on, from the user agent: Android, iOS/iPadOS or a PC (Windows, macOS, Linux), and the browser. */

/** @typedef {'android' | 'ios' | 'pc'} Platform */
/** @typedef {'windows' | 'macos' | 'linux' | 'chromeos' | 'other'} DesktopOs */
/** @typedef {'chrome' | 'edge' | 'samsung' | 'firefox' | 'safari' | 'wechat' | 'qq' | 'other'} Browser */

/**
 * @typedef {Object} Device
 * @property {Platform} platform the guidance to show
 * @property {DesktopOs} os for a PC; `other` on phones
 * @property {Browser} browser
 * @property {boolean} inApp an app's built-in browser (WeChat, QQ), which cannot install web apps
 */

/** The platforms, in the order the page offers their guidance. */
export const PLATFORMS = /** @type {const} */ (['android', 'ios', 'pc']);

/**
 * Recognise the device.
 * @param {string} ua `navigator.userAgent`
 * @param {number} [maxTouchPoints] `navigator.maxTouchPoints`: iPadOS reports itself as a Mac, but one with touch
 * @returns {Device}
 */
export function detectDevice(ua, maxTouchPoints = 0) {
  /** @type {Platform} */
  let platform = 'pc';
  if (/Android|HarmonyOS|OpenHarmony/i.test(ua)) platform = 'android';
  else if (/iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && maxTouchPoints > 0)) platform = 'ios';

  /** @type {DesktopOs} */
  let os = 'other';
  if (platform === 'pc') {
    if (/Windows/.test(ua)) os = 'windows';
    else if (/CrOS/.test(ua)) os = 'chromeos';
    else if (/Macintosh|Mac OS X/.test(ua)) os = 'macos';
    else if (/Linux|X11|FreeBSD/.test(ua)) os = 'linux';
  }

  /** @type {Browser} */
  let browser = 'other';
  if (/MicroMessenger/i.test(ua)) browser = 'wechat';
  else if (/\bQQ\/|MQQBrowser/i.test(ua)) browser = 'qq';
  else if (/Edg(e|A|iOS)?\//.test(ua)) browser = 'edge';
  else if (/SamsungBrowser/.test(ua)) browser = 'samsung';
  else if (/Firefox|FxiOS/.test(ua)) browser = 'firefox';
  else if (/Chrome|CriOS|Chromium/.test(ua)) browser = 'chrome';
  else if (/Safari/.test(ua)) browser = 'safari';

  return { platform, os, browser, inApp: browser === 'wechat' || browser === 'qq' };
}

/** @returns {Device} this browser's device */
export function currentDevice() {
  return detectDevice(navigator.userAgent, navigator.maxTouchPoints || 0);
}
