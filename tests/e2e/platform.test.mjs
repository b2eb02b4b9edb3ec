/** The client page tells devices apart by their user agent: Android, iOS (iPadOS too, which says it is a Mac) and PCs. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectDevice } from '../../web/lib/platform.js';

/** [user agent, maxTouchPoints, expected] */
const CASES = /** @type {const} */ ([
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    5,
    { platform: 'android', os: 'other', browser: 'chrome', inApp: false },
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; SM-S9180) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
    5,
    { platform: 'android', os: 'other', browser: 'samsung', inApp: false },
  ],
  [
    'Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0 Mobile Safari/537.36',
    5,
    { platform: 'android', os: 'other', browser: 'chrome', inApp: false },
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; V2218A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN',
    5,
    { platform: 'android', os: 'other', browser: 'wechat', inApp: true },
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    5,
    { platform: 'ios', os: 'other', browser: 'safari', inApp: false },
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
    5,
    { platform: 'ios', os: 'other', browser: 'chrome', inApp: false },
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    5,
    { platform: 'ios', os: 'other', browser: 'safari', inApp: false },
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    0,
    { platform: 'pc', os: 'macos', browser: 'safari', inApp: false },
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    0,
    { platform: 'pc', os: 'windows', browser: 'chrome', inApp: false },
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56',
    0,
    { platform: 'pc', os: 'windows', browser: 'edge', inApp: false },
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 0, { platform: 'pc', os: 'linux', browser: 'firefox', inApp: false }],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    10,
    { platform: 'pc', os: 'chromeos', browser: 'chrome', inApp: false },
  ],
]);

test('each user agent is recognised as its platform, system and browser', () => {
  for (const [ua, touch, expected] of CASES) {
    assert.deepEqual(detectDevice(ua, touch), expected, ua);
  }
});
