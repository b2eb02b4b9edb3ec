/**
 * Browser test of the litigants' client page (the link in the invitation SMS, /d/{会议号}): each device gets its own
 * install guidance and the meeting number, the manifest and its icons are valid, the service worker takes over
 * and keeps the page working offline, and the installed app asks for the meeting number.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, collectProblems, demoMeetingNumber, eventually, pngSize } from './helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const UA = {
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  // iPadOS asks for desktop sites and calls itself a Mac; only its touch screen gives it away.
  ipad: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
};

const PHONE = { width: 390, height: 844 };
const PC = { width: 1280, height: 800 };

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** The demo hearing's meeting number. */
let meeting = '';

/**
 * A fresh browser context for one device.
 * @param {{userAgent: string, viewport: {width: number, height: number}, mobile: boolean}} device
 */
async function open(device) {
  const context = await browser.newContext({
    userAgent: device.userAgent,
    viewport: device.viewport,
    isMobile: device.mobile,
    hasTouch: device.mobile,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = collectProblems(page);
  return { context, page, problems };
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `client-${name}.png`), fullPage: true });

/**
 * Fail when the page scrolls sideways.
 * @param {import('playwright-core').Page} page
 */
async function assertNoOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
}

/**
 * The guidance card of one platform.
 * @param {import('playwright-core').Page} page
 * @param {'android' | 'ios' | 'pc'} platform
 */
const guide = (page, platform) => page.getByTestId(`guide-${platform}`);

describe('client download page', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    await mkdir(RESULTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an Android phone (390×844) gets 安卓手机端 guidance and the meeting number', async () => {
    const { context, page, problems } = await open({ userAgent: UA.android, viewport: PHONE, mobile: true });
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      const response = await page.goto(`${server.url}/d/${meeting}`);
      assert.equal(response?.status(), 200);
      assert.equal(await page.title(), '云法庭 · 客户端下载');

      // the meeting number, prominent, copyable, and 进入庭审 to the join page
      assert.equal((await page.getByTestId('meeting-number').textContent())?.trim(), meeting);
      await page.getByRole('heading', { name: '会议号', exact: true }).waitFor();
      const enter = page.getByRole('link', { name: '进入庭审', exact: true });
      assert.equal(await enter.getAttribute('href'), `/join/${meeting}`);
      await page.getByText('也可以不安装客户端，直接在浏览器中点击“进入庭审”参加庭审。').waitFor();
      await page.getByRole('button', { name: `复制会议号 ${meeting}` }).click();
      await page.getByText('会议号已复制').waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), meeting);

      // this device's guidance, in the seed's words; the others stay folded away
      await page.getByRole('heading', { name: '客户端下载' }).waitFor();
      await page.getByText('根据您的设备选择下载安卓端或者是电脑端').waitFor();
      assert.equal((await page.getByTestId('detected').textContent())?.trim(), '已识别您的设备：安卓手机');
      const android = guide(page, 'android');
      await android.getByRole('heading', { name: '安卓手机端' }).waitFor();
      await android.getByText('您的设备', { exact: true }).waitFor();
      await android.getByText('点击浏览器右上角的菜单按钮“⋮”。').waitFor();
      await android.getByText('选择“安装应用”或“添加到主屏幕”。').waitFor();
      await android.getByText('下载完成后根据提示进行安装').waitFor();
      await android.getByText('安装完成后输入短信中的“会议号”，点击“进入庭审”').waitFor();
      assert.equal(await guide(page, 'pc').isVisible(), false, 'no PC guidance on a phone');
      assert.equal(await guide(page, 'ios').isVisible(), false, 'no iOS guidance on Android');
      await page.getByText('进入庭审过程中遇到以上问题，请一定选择“始终允许”。').waitFor();
      await assertNoOverflow(page);
      await shot(page, 'android');
      // the smallest phone, and a phone turned sideways
      for (const size of [{ width: 360, height: 740 }, { width: 844, height: 390 }]) {
        await page.setViewportSize(size);
        await assertNoOverflow(page);
      }
      await shot(page, 'android-landscape');
      await page.setViewportSize(PHONE);

      // the browser offers installation: our 安装客户端 button shows its prompt
      assert.equal(await page.getByRole('button', { name: '安装客户端' }).count(), 0, 'no install button without a prompt');
      await page.evaluate(() => {
        const event = new Event('beforeinstallprompt', { cancelable: true });
        const w = /** @type {any} */ (window);
        w.prompted = 0;
        Object.assign(event, {
          prompt: async () => {
            w.prompted += 1;
          },
          userChoice: Promise.resolve({ outcome: 'accepted', platform: 'web' }),
        });
        window.dispatchEvent(event);
      });
      await android.getByRole('button', { name: '安装客户端' }).click();
      await android.getByText('云法庭客户端已安装，可以从主屏幕或桌面打开“云法庭”。').waitFor();
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).prompted), 1, 'the browser prompt was shown');

      // 其他设备 shows the other platforms too
      const others = page.getByRole('button', { name: '其他设备' });
      assert.equal(await others.getAttribute('aria-expanded'), 'false');
      await others.click();
      await guide(page, 'pc').getByRole('heading', { name: '电脑端' }).waitFor();
      await guide(page, 'ios').getByRole('heading', { name: '苹果手机端（iPhone / iPad）' }).waitFor();
      await assertNoOverflow(page);

      // English
      await page.getByRole('button', { name: 'English' }).click();
      await android.getByRole('heading', { name: 'Android phone' }).waitFor();
      await page.getByRole('link', { name: 'Join the hearing' }).waitFor();
      assert.equal(await page.title(), 'Cloud Court · Get the client');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await assertNoOverflow(page);
      await shot(page, 'android-en');
      await page.getByRole('button', { name: '中文' }).click();

      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot(page, 'android-failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  test('a Windows PC (1280×800) gets 电脑端 guidance and the meeting number', async () => {
    const { context, page, problems } = await open({ userAgent: UA.windows, viewport: PC, mobile: false });
    try {
      await page.goto(`${server.url}/d/${meeting}`);
      assert.equal((await page.getByTestId('meeting-number').textContent())?.trim(), meeting);
      assert.equal((await page.getByTestId('detected').textContent())?.trim(), '已识别您的设备：电脑');
      const pc = guide(page, 'pc');
      await pc.getByRole('heading', { name: '电脑端' }).waitFor();
      await pc.getByText('您的设备', { exact: true }).waitFor();
      await pc.getByText('使用 Chrome 或 Edge 浏览器打开本页面。').waitFor();
      await pc.getByText(/点击地址栏右侧的“安装”图标/).waitFor();
      await pc.getByText('电脑上也可以不安装，直接在浏览器中使用。').waitFor();
      await pc.getByText('下载完成后根据提示进行安装').waitFor();
      assert.equal(await guide(page, 'android').isVisible(), false, 'no Android guidance on a PC');
      assert.equal(await page.getByText('点击浏览器右上角的菜单按钮“⋮”。').isVisible(), false);
      assert.equal(await page.getByRole('link', { name: '进入庭审', exact: true }).getAttribute('href'), `/join/${meeting}`);
      await page.getByText('如果之前选择了“阻止”', { exact: false }).waitFor();
      await shot(page, 'windows');
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot(page, 'windows-failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  test('an iPhone and an iPad (which says it is a Mac) get Safari → 分享 → 添加到主屏幕', async () => {
    for (const [name, userAgent, viewport] of /** @type {const} */ ([
      ['iphone', UA.iphone, PHONE],
      ['ipad', UA.ipad, { width: 820, height: 1180 }],
    ])) {
      const { context, page, problems } = await open({ userAgent, viewport, mobile: true });
      try {
        await page.goto(`${server.url}/d/${meeting}`);
        assert.equal((await page.getByTestId('meeting-number').textContent())?.trim(), meeting);
        const ios = guide(page, 'ios');
        await ios.getByRole('heading', { name: '苹果手机端（iPhone / iPad）' }).waitFor();
        await ios.getByText('使用 Safari 浏览器打开本页面。').waitFor();
        await ios.getByText(/点击屏幕下方的“分享”按钮/).waitFor();
        await ios.getByText('在菜单中向下滑动，选择“添加到主屏幕”。').waitFor();
        assert.equal(await guide(page, 'android').isVisible(), false, `${name}: no Android guidance`);
        assert.equal(await guide(page, 'pc').isVisible(), false, `${name}: no PC guidance`);
        await page.getByText('如果之前选择了“不允许”', { exact: false }).waitFor();
        await assertNoOverflow(page);
        await shot(page, name);
        assert.deepEqual(problems, [], 'no script errors or CSP violations');
      } catch (error) {
        await shot(page, `${name}-failure`).catch(() => {});
        throw error;
      } finally {
        await context.close();
      }
    }
  });

  test('the manifest names the app, starts at /d standalone, and its icons are PNGs of their size', async () => {
    const { context, page } = await open({ userAgent: UA.android, viewport: PHONE, mobile: true });
    try {
      await page.goto(`${server.url}/d/${meeting}`);
      const manifestHref = await page.locator('link[rel=manifest]').getAttribute('href');
      assert.ok(manifestHref, 'the page links a manifest');
      const manifestUrl = new URL(manifestHref, page.url());
      const response = await fetch(manifestUrl);
      assert.equal(response.status, 200);
      const manifest = await response.json();
      assert.equal(manifest.name, '云法庭');
      assert.equal(manifest.short_name, '云法庭');
      assert.ok(manifest.description, 'a description');
      assert.equal(manifest.start_url, '/d');
      assert.equal(manifest.scope, '/');
      assert.equal(manifest.display, 'standalone');
      assert.equal(manifest.lang, 'zh-CN');
      assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
      assert.match(manifest.background_color, /^#[0-9a-f]{6}$/i);

      /**
       * Load an icon and check it is a PNG of `size`.
       * @param {string} src
       * @param {number} size
       */
      const checkPng = async (src, size) => {
        const icon = await fetch(new URL(src, manifestUrl));
        assert.equal(icon.status, 200, `${src} loads`);
        assert.match(icon.headers.get('content-type') ?? '', /^image\/png/, `${src} is served as PNG`);
        assert.deepEqual(pngSize(new Uint8Array(await icon.arrayBuffer())), { width: size, height: size }, `${src} is ${size}×${size}`);
      };
      /** @type {{src: string, sizes: string, type: string, purpose?: string}[]} */
      const icons = manifest.icons;
      for (const size of [192, 512]) {
        const icon = icons.find((i) => i.sizes === `${size}x${size}` && (i.purpose ?? 'any').split(' ').includes('any'));
        assert.ok(icon, `an icon of ${size}×${size}`);
        assert.equal(icon.type, 'image/png');
        await checkPng(icon.src, size);
      }
      const maskable = icons.find((i) => (i.purpose ?? '').split(' ').includes('maskable'));
      assert.ok(maskable, 'a maskable icon');
      await checkPng(maskable.src, 512);

      const touchIcon = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
      assert.ok(touchIcon, 'an apple-touch-icon for iOS');
      await checkPng(new URL(touchIcon, page.url()).href, 180);
    } finally {
      await context.close();
    }
  });

  test('the service worker becomes active, caches the page shell, and the page opens offline', async () => {
    const { context, page, problems } = await open({ userAgent: UA.android, viewport: PHONE, mobile: true });
    try {
      await page.goto(`${server.url}/d/${meeting}`);
      const registration = await page.evaluate(async () => {
        const ready = await navigator.serviceWorker.ready;
        return { scope: ready.scope, state: ready.active?.state, script: ready.active?.scriptURL };
      });
      assert.equal(registration.scope, `${server.url}/`);
      assert.equal(registration.script, `${server.url}/sw.js`);
      await eventually(async () => {
        const state = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state);
        assert.equal(state, 'activated');
      });

      // every file the page loaded is in the cache (so the SHELL list in sw.js keeps up with the page)
      const { loaded, cached } = await page.evaluate(async () => {
        const loaded = performance
          .getEntriesByType('resource')
          .map((e) => new URL(e.name))
          .filter((u) => u.origin === location.origin && !u.pathname.startsWith('/api/') && u.pathname !== '/sw.js')
          .map((u) => u.pathname);
        const names = (await caches.keys()).filter((n) => n.startsWith('cloudcourt-client-'));
        const cached = [];
        for (const name of names) {
          for (const request of await (await caches.open(name)).keys()) cached.push(new URL(request.url).pathname);
        }
        return { loaded, cached };
      });
      assert.ok(cached.includes('/client/index.html'), `the page itself is cached: ${cached.join(', ')}`);
      for (const file of ['/client/app.js', '/styles/court.css', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png']) {
        assert.ok(cached.includes(file), `${file} is precached`);
      }
      const missing = loaded.filter((p) => !cached.includes(p));
      assert.deepEqual(missing, [], 'every file the page loads is precached');
      assert.ok(!cached.some((p) => p.startsWith('/api/')), 'nothing from /api/ is cached');

      // the page is controlled now and opens without a network
      await page.reload();
      assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'the service worker controls the page');
      await context.setOffline(true);
      await page.reload();
      assert.equal((await page.getByTestId('meeting-number').textContent())?.trim(), meeting);
      await guide(page, 'android').getByRole('heading', { name: '安卓手机端' }).waitFor();
      await context.setOffline(false);

      // the API is never answered from the cache
      const apiStatus = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
      assert.equal(apiStatus, 401, 'the API answers itself');
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('installed (standalone) it says so and asks for the meeting number it remembered', async () => {
    const { context, page, problems } = await open({ userAgent: UA.android, viewport: PHONE, mobile: true });
    try {
      await context.addInitScript(() => {
        const original = window.matchMedia.bind(window);
        window.matchMedia = (query) =>
          /display-mode:\s*standalone/.test(query)
            ? /** @type {MediaQueryList} */ (/** @type {unknown} */ ({
                matches: true,
                media: query,
                onchange: null,
                addListener() {},
                removeListener() {},
                addEventListener() {},
                removeEventListener() {},
                dispatchEvent: () => false,
              }))
            : original(query);
      });
      // The SMS link was opened once in this browser, so the number is remembered…
      await page.goto(`${server.url}/d/${meeting}`);
      await page.getByTestId('standalone').getByText('您正在使用已安装的云法庭客户端。').waitFor();
      assert.equal(await page.getByRole('heading', { name: '客户端下载' }).count(), 0, 'no install guidance when installed');
      assert.equal(await page.getByText('也可以不安装客户端', { exact: false }).count(), 0);

      // …and the app, which starts at /d, offers it.
      await page.goto(`${server.url}/d`);
      const input = page.getByLabel('请输入短信中的“会议号”');
      assert.equal(await input.inputValue(), meeting);
      await input.fill('1234');
      await page.getByRole('button', { name: '进入庭审', exact: true }).click();
      await page.getByText('会议号为8位数字，请核对短信中的会议号。').waitFor();
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      await input.fill(meeting);
      await shot(page, 'standalone');
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
      // 进入庭审 leads to the join page (whose own checks live in join.test.mjs).
      await page.getByRole('button', { name: '进入庭审', exact: true }).click();
      await page.waitForURL(`${server.url}/join/${meeting}`);
    } finally {
      await context.close();
    }
  });
});
