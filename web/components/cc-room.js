/**
 * <cc-room>: the hearing room — a tile per person of the roster (审判长 许1, 书记员 梁1, 原告 贾1 …; one's own tile with
 * the local camera), the case and state at the top with the connection indicator, and the floating function buttons:
 * a touch on the screen shows two buttons on the right (设备, and below it the function menu), which hide again after
 * about 4 s without a touch. The menu (上传证据, 查看笔录, 确认笔录, 设备, 功能介绍, 离开) fires `cc-room-action` with
 * `{action}`; 返回 closes it. The grid adapts to the screen (portrait and landscape). `startMedia(live)` connects to the
 * SFU over the live channel: the local camera and microphone go out, and each member's video and sound come into
 * their tile. When the court mutes this participant, a notice says so (您已被审判人员静音) until it is lifted.
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';
import { sortMembers } from '../lib/live.js';
import { localMedia } from '../lib/media.js';
import { MediaSession } from '../lib/rtc.js';
import { CcConnectionStatus } from './cc-connection-status.js';
import { openPanel } from './cc-room-panel.js';
import { CcTile } from './cc-tile.js';

/** @typedef {import('../lib/types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/live.js').LiveStore} LiveStore */
/** @typedef {import('../lib/live.js').LiveClient} LiveClient */
/** @typedef {import('../lib/live.js').LiveStatus} LiveStatus */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {'upload' | 'transcript' | 'confirm' | 'devices' | 'tour' | 'leave'} RoomAction */

/** The function menu, in the seed's order. */
export const MENU = /** @type {const} */ (['upload', 'transcript', 'confirm', 'devices', 'tour', 'leave']);

/** How long the floating buttons stay after the last touch. */
const CONTROLS_MS = 4000;
/** Tiles are laid out for this picture shape (width / height): landscape on a wide stage, portrait on a tall one. */
const WIDE_TILE = 4 / 3;
const TALL_TILE = 3 / 4;

/**
 * The number of columns that gives `count` tiles of shape `aspect` the largest size in a `width` × `height` area.
 * @param {number} count
 * @param {number} width
 * @param {number} height
 * @param {number} [aspect] width / height of a tile (by default, the stage's own orientation)
 * @returns {number}
 */
export function bestColumns(count, width, height, aspect = width >= height ? WIDE_TILE : TALL_TILE) {
  let best = 1;
  let bestArea = -1;
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min(width / cols, (height / rows) * aspect);
    const area = w * (w / aspect);
    if (area > bestArea + 0.5) {
      bestArea = area;
      best = cols;
    }
  }
  return best;
}

export class CcRoom extends HTMLElement {
  /** @type {ParticipantMe | null} */
  #me = null;
  /** @type {LiveStore | null} */
  #store = null;
  /** @type {Map<string, CcTile>} */
  #tiles = new Map();
  /** @type {MediaSession | null} */
  #media = null;
  /** Remote media by member id. @type {Map<string, MediaStream>} */
  #remote = new Map();
  #connection = /** @type {CcConnectionStatus} */ (document.createElement('cc-connection-status'));
  #stateBadge = h('span', { class: 'badge', attrs: { 'data-testid': 'room-state' } });
  #banner = h('p', { class: 'room-banner', attrs: { role: 'status', hidden: true } });
  #mutedNotice = h('p', {
    class: 'room-banner room-muted',
    i18n: 'media.mutedByCourt',
    attrs: { role: 'status', hidden: true, 'data-testid': 'muted-notice' },
  });
  #grid = h('div', { class: 'room-tiles', attrs: { role: 'list', 'data-testid': 'tiles' } });
  #stage = h('div', { class: 'room-stage' });
  #fabs = h('div', { class: 'room-fabs controls-hidden', attrs: { 'data-testid': 'fabs' } });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #hideTimer;
  /** @type {ResizeObserver | null} */
  #resize = null;
  /** @type {() => void} */
  #unsubscribe = () => {};
  #lastMove = 0;

  /** @param {ParticipantMe} me */
  setup(me) {
    this.#me = me;
    const devices = h(
      'button',
      {
        class: 'fab fab-devices',
        i18nAttrs: { 'aria-label': 'room.fab.devices', title: 'room.fab.devices' },
        attrs: { type: 'button', 'data-testid': 'fab-devices' },
        on: { click: () => this.#act('devices') },
      },
      h('span', { class: 'fab-icon icon-camera', attrs: { 'aria-hidden': 'true' } }),
    );
    const menu = h(
      'button',
      {
        class: 'fab fab-menu',
        i18nAttrs: { 'aria-label': 'room.fab.menu', title: 'room.fab.menu' },
        attrs: { type: 'button', 'aria-haspopup': 'dialog', 'data-testid': 'fab-menu' },
        on: { click: () => this.openMenu() },
      },
      h('span', { class: 'fab-icon icon-menu', attrs: { 'aria-hidden': 'true' } }),
    );
    replaceChildren(this.#fabs, devices, menu);
    replaceChildren(this.#stage, this.#grid);
    const titleId = uid('room-title');
    replaceChildren(
      this,
      h(
        'div',
        { class: 'room', attrs: { 'data-testid': 'room' } },
        h(
          'header',
          { class: 'room-bar' },
          h(
            'div',
            { class: 'room-case' },
            h('h1', { class: 'room-title', attrs: { id: titleId } }, h('span', { class: 'visually-hidden', i18n: 'room.title' }), h('span', { text: me.case_number })),
            h('p', { class: 'room-cause', text: me.cause }),
          ),
          this.#stateBadge,
          this.#connection,
        ),
        this.#banner,
        this.#mutedNotice,
        this.#stage,
        h('p', { class: 'room-tip visually-hidden', i18n: 'room.tip' }),
        this.#fabs,
      ),
    );
    this.#stage.addEventListener('pointerdown', () => this.showControls());
    this.#stage.addEventListener('click', () => this.showControls());
    this.#stage.addEventListener('pointermove', (event) => {
      if (event.pointerType !== 'mouse' || Date.now() - this.#lastMove < 300) return;
      this.#lastMove = Date.now();
      this.showControls();
    });
    // Keyboard users keep the buttons while one has the focus.
    this.#fabs.addEventListener('focusin', () => {
      if (this.#fabs.querySelector(':focus-visible')) this.showControls(true);
    });
    this.#fabs.addEventListener('focusout', () => {
      if (!this.#fabs.classList.contains('controls-hidden')) this.showControls();
    });
    this.#resize = new ResizeObserver(() => this.#layout());
    this.#resize.observe(this.#stage);
    this.#unsubscribe = localMedia.subscribe(() => this.#renderTiles());
    // Show the buttons at first, so the user sees where they are.
    this.showControls();
  }

  /**
   * Connect the hearing's audio and video through the SFU on `live` (the local media is open since the device check).
   * @param {LiveClient} live
   */
  startMedia(live) {
    if (this.#media) return;
    this.#media = new MediaSession(live, {
      onRemote: (memberId, stream) => {
        if (stream) this.#remote.set(memberId, stream);
        else this.#remote.delete(memberId);
        this.#renderTiles();
      },
    });
    // Test hook: the page's media session, for getStats() in the browser tests.
    /** @type {{__ccMedia?: MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia = this.#media;
    this.#media.start(localMedia.stream);
  }

  disconnectedCallback() {
    this.#media?.close();
    this.#media = null;
    clearTimeout(this.#hideTimer);
    this.#resize?.disconnect();
    this.#unsubscribe();
  }

  /** @param {LiveStatus} status */
  connection(status) {
    this.#connection.show(status);
  }

  /**
   * Show the floating buttons, and hide them again after a while without a touch.
   * @param {boolean} [stay] keep them (a button has the keyboard focus)
   */
  showControls(stay = false) {
    this.#fabs.classList.remove('controls-hidden');
    clearTimeout(this.#hideTimer);
    if (stay) return;
    this.#hideTimer = setTimeout(() => {
      if (this.#fabs.querySelector(':focus-visible')) return;
      this.#fabs.classList.add('controls-hidden');
    }, CONTROLS_MS);
  }

  /** Open the function menu (功能菜单). */
  openMenu() {
    clearTimeout(this.#hideTimer);
    this.#fabs.classList.add('controls-hidden');
    const list = h(
      'ul',
      { class: 'menu-list', attrs: { 'data-testid': 'menu' } },
      MENU.map((action) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: `menu-item menu-${action}`,
              attrs: { type: 'button', 'data-action': action },
              on: {
                click: () => {
                  panel.close();
                  this.#act(action);
                },
              },
            },
            h('span', { class: `menu-icon icon-${action}`, attrs: { 'aria-hidden': 'true' } }),
            h('span', { class: 'menu-label', i18n: /** @type {MessageKey} */ (`room.menu.${action}`) }),
          ),
        ),
      ),
    );
    const panel = openPanel(this, 'room.menu.title', list, 'menu');
    panel.addEventListener('cc-panel-closed', () => this.showControls());
  }

  /** @param {RoomAction} action */
  #act(action) {
    this.dispatchEvent(new CustomEvent('cc-room-action', { bubbles: true, detail: { action } }));
  }

  /**
   * Show the hearing and roster as they are now.
   * @param {LiveStore} store
   */
  update(store) {
    this.#store = store;
    const me = /** @type {ParticipantMe} */ (this.#me);
    const state = store.hearing?.state ?? me.state;
    this.#stateBadge.className = `badge state-${state}`;
    bindText(this.#stateBadge, /** @type {MessageKey} */ (`state.${state}`));
    /** @type {MessageKey | null} */
    const banner = state === 'recess' ? 'room.recess' : state === 'open' ? 'room.notStarted' : null;
    if (banner) bindText(this.#banner, banner);
    this.#banner.hidden = !banner;
    this.#mutedNotice.hidden = !store.members.some((m) => m.id === me.participant_id && m.muted);
    this.#renderTiles();
  }

  #renderTiles() {
    const me = this.#me;
    const store = this.#store;
    if (!me) return;
    /** @type {LiveMember} */
    const selfFallback = {
      kind: 'participant',
      id: me.participant_id,
      name: me.name,
      role: me.role,
      connected: true,
      rules_confirmed: true,
      checked_in: true,
    };
    const members = store?.members.length ? [...store.members] : [];
    if (!members.some((m) => m.id === me.participant_id)) members.push(selfFallback);
    const sorted = sortMembers(members);
    const seen = new Set();
    sorted.forEach((member, index) => {
      seen.add(member.id);
      let tile = this.#tiles.get(member.id);
      if (!tile) {
        tile = /** @type {CcTile} */ (document.createElement('cc-tile'));
        tile.setAttribute('role', 'listitem');
        this.#tiles.set(member.id, tile);
      }
      if (this.#grid.children[index] !== tile) this.#grid.insertBefore(tile, this.#grid.children[index] ?? null);
      const self = member.id === me.participant_id;
      const stream = self ? localMedia.stream : (this.#remote.get(member.id) ?? null);
      tile.show(member, { self, stream, mirror: self && localMedia.facingMode === 'user' });
    });
    for (const [id, tile] of this.#tiles) {
      if (!seen.has(id)) {
        tile.remove();
        this.#tiles.delete(id);
      }
    }
    this.#layout();
  }

  /** Columns for the current size and number of tiles. */
  #layout() {
    const count = this.#tiles.size || 1;
    const width = this.#stage.clientWidth;
    const height = this.#stage.clientHeight;
    if (!width || !height) return;
    const cols = bestColumns(count, width, height);
    const rows = Math.ceil(count / cols);
    this.#grid.style.setProperty('--cols', String(cols));
    this.#grid.style.setProperty('--rows', String(rows));
  }
}

customElements.define('cc-room', CcRoom);
