/** Installing the web app: the browser's install prompt (`beforeinstallprompt`), `appinstalled`, and whether we already run installed. */

/**
 * Chromium's install prompt event (not in the DOM typings).
 * @typedef {Event & {prompt: () => Promise<unknown>, userChoice: Promise<{outcome: 'accepted' | 'dismissed', platform?: string}>}} BeforeInstallPromptEvent
 */

/** Fired on `window` when the install prompt became available or went away, or the app was installed. */
export const INSTALL_EVENT = 'cc-install-change';

/** @type {BeforeInstallPromptEvent | null} */
let deferred = null;
let installed = false;

const changed = () => window.dispatchEvent(new CustomEvent(INSTALL_EVENT));

window.addEventListener('beforeinstallprompt', (event) => {
  // Keep the prompt for our own 安装客户端 button instead of the browser's mini banner.
  event.preventDefault();
  deferred = /** @type {BeforeInstallPromptEvent} */ (event);
  changed();
});

window.addEventListener('appinstalled', () => {
  deferred = null;
  installed = true;
  changed();
});

/** @returns {boolean} the browser offered to install the app and we may show the prompt */
export function canPrompt() {
  return deferred !== null;
}

/** @returns {boolean} the app was installed from this page just now */
export function justInstalled() {
  return installed;
}

/**
 * Show the browser's install prompt (once: a prompt cannot be reused).
 * @returns {Promise<'accepted' | 'dismissed' | 'unavailable'>}
 */
export async function promptInstall() {
  const event = deferred;
  if (!event) return 'unavailable';
  deferred = null;
  try {
    await event.prompt();
    const choice = await event.userChoice;
    if (choice.outcome === 'accepted') installed = true;
    return choice.outcome;
  } catch {
    return 'unavailable';
  } finally {
    changed();
  }
}

/** @returns {boolean} the page runs as the installed app (its own window, no browser bars) */
export function isStandalone() {
  const modes = ['standalone', 'fullscreen', 'minimal-ui', 'window-controls-overlay'];
  if (modes.some((mode) => window.matchMedia(`(display-mode: ${mode})`).matches)) return true;
  // iOS Safari's home-screen apps.
  return /** @type {{standalone?: boolean}} */ (navigator).standalone === true;
}
