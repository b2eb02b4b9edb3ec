/**
 * Draw the 云法庭 app icon — a balance scale on the court's deep blue — and render it with headless
 * Chromium into the PNGs the web app manifest and iOS use. Run from tests/e2e: `node tools/render-icons.mjs`.
 * Writes web/icons/emblem.svg (the drawing) and web/icons/*.png; the PNGs are committed.
 */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../server.mjs';

const ICONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/icons');

const BLUE = '#1b3a6b';
const BLUE_DARK = '#10264a';
const GOLD = '#c8a24a';
const RED = '#b4282e';

/** The scale, drawn in a 512 × 512 box centred on (256, 256), within a radius of about 200. */
const EMBLEM = `
  <circle cx="256" cy="256" r="194" fill="none" stroke="${GOLD}" stroke-width="10"/>
  <circle cx="256" cy="256" r="176" fill="none" stroke="${GOLD}" stroke-opacity="0.45" stroke-width="3"/>
  <g stroke="#fff" stroke-linecap="round" stroke-linejoin="round" fill="none">
    <path d="M256 132V370" stroke-width="18"/>
    <path d="M138 174H374" stroke-width="14"/>
    <path d="M138 174L98 276M138 174L178 276M374 174L334 276M374 174L414 276" stroke-width="5"/>
  </g>
  <path d="M88 276H188A50 36 0 0 1 88 276Z" fill="${GOLD}" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>
  <path d="M324 276H424A50 36 0 0 1 324 276Z" fill="${GOLD}" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>
  <path d="M212 366H300L326 396H186Z" fill="#fff"/>
  <circle cx="256" cy="120" r="15" fill="${GOLD}" stroke="#fff" stroke-width="4"/>
  <circle cx="256" cy="174" r="13" fill="${RED}" stroke="#fff" stroke-width="4"/>`;

/**
 * @param {{rounded: boolean, scale: number}} options rounded corners (for "any") or full bleed (maskable, iOS)
 * @returns {string}
 */
function svg({ rounded, scale }) {
  const offset = 256 * (1 - scale);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" role="img" aria-label="云法庭">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${BLUE}"/>
      <stop offset="1" stop-color="${BLUE_DARK}"/>
    </linearGradient>
  </defs>
  <rect width="512" height="512" rx="${rounded ? 112 : 0}" fill="url(#bg)"/>
  <g transform="translate(${offset} ${offset}) scale(${scale})">${EMBLEM}
  </g>
</svg>
`;
}

/** name → size and drawing. Maskable icons keep the emblem inside the central 80 % circle. */
const OUTPUTS = [
  { file: 'icon-192.png', size: 192, art: svg({ rounded: true, scale: 0.96 }) },
  { file: 'icon-512.png', size: 512, art: svg({ rounded: true, scale: 0.96 }) },
  { file: 'icon-maskable-512.png', size: 512, art: svg({ rounded: false, scale: 0.78 }) },
  { file: 'apple-touch-icon.png', size: 180, art: svg({ rounded: false, scale: 0.88 }) },
];

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  await writeFile(path.join(ICONS, 'emblem.svg'), svg({ rounded: true, scale: 0.96 }));
  for (const { file, size, art } of OUTPUTS) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const sized = art.replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${sized}</body></html>`);
    await page.screenshot({ path: path.join(ICONS, file), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
    console.log(`web/icons/${file} ${size}×${size}`);
  }
} finally {
  await browser.close();
}
