/**
 * <cc-room>: the hearing room — a tile per person of the roster (审判长 许1, 书记员 梁1, 原告 贾1 …; one's own tile with
 * the local camera), the case and state at the top with the connection indicator, and the floating function buttons:
 * a touch on the screen shows two buttons on the right (设备, and below it the function menu), which hide again after
 * about 4 s without a touch. 设备 shows one's own device controls beside them: 关闭麦克风 / 打开麦克风, 关闭摄像头 /
 * 打开摄像头, 切换摄像头 (front ↔ back on a phone, the next camera on a PC; shown with two cameras or more) and 设备检测
 * (the self-test, as the menu's 设备). The menu (上传证据, 查看笔录, 确认笔录, 设备, 功能介绍, 离开) fires
 * `cc-room-action` with `{action}`; 返回 closes it. The grid adapts to the screen (portrait and landscape).
 * `startMedia(live)` connects to the SFU over the live channel (web/lib/rtc.js): the local camera and microphone go
 * out, and each member's video and sound come into their tile; each tile shows its link's quality (three bars) and
 * the one speaking now is highlighted (正在发言); while the media reconnects the indicator says 正在重新连接… and the
 * tiles keep their last picture. The camera the room publishes is `localMedia`'s (a switch, off and on, or a new one
 * from the self-test all go through it). When the court mutes this participant, a notice says so (您已被审判人员静音)
 * until it is lifted.
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';
import { sortMembers } from '../lib/live.js';
import { cameraFacing, listDevices, localMedia, openCamera, openNextCamera } from '../lib/media.js';
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
/** @typedef {import('../lib/rtc.js').Quality} Quality */
/** @typedef {'upload' | 'transcript' | 'confirm' | 'devices' | 'tour' | 'leave'} RoomAction */

/** The function menu, in the seed's order. */
export const MENU = /** @type {const} */ (['upload', 'transcript', 'confirm', 'devices', 'tour', 'leave']);

/** How long the floating buttons stay after the last touch. */
const CONTROLS_MS = 4000;
/** How long a device problem (无法打开摄像头) stays on the screen. */
const NOTICE_MS = 5000;
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

/**
 * @param {MediaStream | null | undefined} stream
 * @returns {MediaStreamTrack | null} its live camera track
 */
function cameraOf(stream) {
  return stream?.getVideoTracks().find((t) => t.readyState === 'live') ?? null;
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
  /** Link quality by member id, from the media session. @type {Map<string, Quality>} */
  #quality = new Map();
  /** Members whose video delivers no frames (camera off, stalled). @type {Set<string>} */
  #stalled = new Set();
  /** @type {string | null} */
  #speaker = null;
  /** Cameras on this device (切换摄像头 needs two). */
  #cameraCount = 0;
  #cameraBusy = false;
  #onDeviceChange = () => void this.#countCameras();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #noticeTimer;
  #notice = h('p', { class: 'room-banner room-device-notice', attrs: { role: 'status', hidden: true, 'data-testid': 'device-notice' } });
  #micButton = h('button', {
    class: 'device-button',
    attrs: { type: 'button', 'data-testid': 'mic-toggle', 'aria-pressed': 'false' },
    on: { click: () => this.#toggleMic() },
  });
  #cameraButton = h('button', {
    class: 'device-button',
    attrs: { type: 'button', 'data-testid': 'camera-toggle', 'aria-pressed': 'false' },
    on: { click: () => void this.#toggleCamera() },
  });
  #switchButton = h('button', {
    class: 'device-button',
    attrs: { type: 'button', 'data-testid': 'camera-switch', hidden: true },
    on: { click: () => void this.#switchCamera() },
  });
  #deviceBar = h('div', {
    class: 'room-device-bar',
    attrs: { role: 'group', hidden: true, id: uid('device-bar'), 'data-testid': 'device-controls' },
    i18nAttrs: { 'aria-label': 'room.fab.devices' },
  });
  /** @type {HTMLButtonElement | null} */
  #devicesFab = null;
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
        attrs: { type: 'button', 'data-testid': 'fab-devices', 'aria-expanded': 'false', 'aria-controls': this.#deviceBar.id },
        // From the keyboard (no pointer position), the focus goes into the controls.
        on: { click: (event) => this.toggleDeviceControls(/** @type {MouseEvent} */ (event).detail === 0) },
      },
      h('span', { class: 'fab-icon icon-camera', attrs: { 'aria-hidden': 'true' } }),
    );
    this.#devicesFab = devices;
    replaceChildren(
      this.#deviceBar,
      this.#micButton,
      this.#cameraButton,
      this.#switchButton,
      h(
        'button',
        {
          class: 'device-button',
          attrs: { type: 'button', 'data-testid': 'device-check' },
          on: {
            click: () => {
              this.#closeDeviceControls();
              this.#act('devices');
            },
          },
        },
        h('span', { class: 'device-icon icon-check-devices', attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'device-label', i18n: 'media.deviceCheck' }),
      ),
    );
    this.#renderDeviceControls();
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
        this.#notice,
        this.#stage,
        h('p', { class: 'room-tip visually-hidden', i18n: 'room.tip' }),
        this.#fabs,
        this.#deviceBar,
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
    for (const box of [this.#fabs, this.#deviceBar]) {
      box.addEventListener('focusin', () => {
        if (box.querySelector(':focus-visible')) this.showControls(true);
      });
      box.addEventListener('focusout', () => {
        if (!this.#fabs.classList.contains('controls-hidden')) this.showControls();
      });
    }
    this.#deviceBar.addEventListener('pointerdown', () => this.showControls());
    this.#deviceBar.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      this.#closeDeviceControls();
      this.#devicesFab?.focus();
    });
    this.#resize = new ResizeObserver(() => this.#layout());
    this.#resize.observe(this.#stage);
    this.#unsubscribe = localMedia.subscribe(() => this.#localChanged());
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
    void this.#countCameras();
    // Show the buttons at first, so the user sees where they are.
    this.showControls();
  }

  /**
   * Connect the hearing's audio and video through the SFU on `live` (the local media is open since the device check).
   * @param {LiveClient} live
   */
  startMedia(live) {
    if (this.#media) return;
    const selfId = this.#me?.participant_id;
    this.#media = new MediaSession(live, {
      ...(selfId ? { selfId } : {}),
      audioDeviceId: localMedia.audioDeviceId,
      onRemote: (memberId, stream) => {
        if (stream) this.#remote.set(memberId, stream);
        else this.#remote.delete(memberId);
        this.#renderTiles();
      },
      onState: (state) => {
        this.#connection.media(state);
        this.#renderDeviceControls();
      },
      onStats: ({ quality, stalled }) => {
        this.#quality = quality;
        const changed = stalled.size !== this.#stalled.size || [...stalled].some((id) => !this.#stalled.has(id));
        this.#stalled = stalled;
        if (changed) this.#renderTiles();
        else this.#showLinks();
      },
      onSpeaker: (memberId) => {
        this.#speaker = memberId;
        this.#showLinks();
      },
    });
    // Test hook: the page's media session, for getStats() in the browser tests.
    /** @type {{__ccMedia?: MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia = this.#media;
    this.#media.start(localMedia.stream);
    this.#renderDeviceControls();
  }

  disconnectedCallback() {
    this.#media?.close();
    this.#media = null;
    clearTimeout(this.#hideTimer);
    clearTimeout(this.#noticeTimer);
    this.#resize?.disconnect();
    this.#unsubscribe();
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
  }

  /** @param {LiveStatus} status */
  connection(status) {
    this.#connection.show(status);
  }

  /**
   * 设备: show (or hide) one's own device controls beside the floating buttons.
   * @param {boolean} [focus] move the focus to the first control
   */
  toggleDeviceControls(focus = false) {
    const open = this.#deviceBar.hidden;
    this.#deviceBar.hidden = !open;
    this.#devicesFab?.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#renderDeviceControls();
      void this.#countCameras();
      if (focus) /** @type {HTMLButtonElement | null} */ (this.#deviceBar.querySelector('button:not([hidden]):not(:disabled)'))?.focus();
    }
    this.showControls();
  }

  #closeDeviceControls() {
    this.#deviceBar.hidden = true;
    this.#devicesFab?.setAttribute('aria-expanded', 'false');
  }

  /** The local camera changed (switched, turned off or on, chosen in the self-test): publish it, redraw. */
  #localChanged() {
    void this.#media?.setCamera(cameraOf(localMedia.stream));
    if (localMedia.audioDeviceId) void this.#media?.setMicrophone(localMedia.audioDeviceId);
    this.#renderTiles();
    this.#renderDeviceControls();
  }

  async #countCameras() {
    try {
      this.#cameraCount = (await listDevices()).cameras.length;
    } catch {
      this.#cameraCount = 0;
    }
    this.#renderDeviceControls();
  }

  /** The device buttons as things are: words and pressed state follow the microphone and the camera. */
  #renderDeviceControls() {
    const media = this.#media;
    const micOff = Boolean(media?.micMuted);
    setDeviceButton(this.#micButton, micOff ? 'media.micOn' : 'media.micOff', micOff ? 'icon-mic-off' : 'icon-mic');
    this.#micButton.setAttribute('aria-pressed', String(micOff));
    // Before the session opened it, or refused: nothing to turn off.
    this.#micButton.disabled = !media || (!media.hasMicrophone && !micOff);
    const cameraOn = cameraOf(localMedia.stream) !== null;
    setDeviceButton(this.#cameraButton, cameraOn ? 'media.cameraOff' : 'media.cameraOn', cameraOn ? 'icon-camera' : 'icon-camera-off');
    this.#cameraButton.setAttribute('aria-pressed', String(!cameraOn));
    this.#cameraButton.hidden = localMedia.audioOnly;
    this.#cameraButton.disabled = this.#cameraBusy;
    setDeviceButton(this.#switchButton, 'media.switchCamera', 'icon-switch-camera');
    this.#switchButton.hidden = !cameraOn || this.#cameraCount < 2;
    this.#switchButton.disabled = this.#cameraBusy;
  }

  /** 关闭麦克风 / 打开麦克风: one's own microphone sends silence (or sound again), at once. */
  #toggleMic() {
    const media = this.#media;
    if (!media) return;
    media.setMicMuted(!media.micMuted);
    this.#renderDeviceControls();
    this.#renderTiles();
  }

  /** 关闭摄像头 / 打开摄像头: off releases the camera (its light goes out, nothing is sent); on opens it again. */
  async #toggleCamera() {
    if (this.#cameraBusy) return;
    this.#cameraBusy = true;
    this.#renderDeviceControls();
    try {
      if (cameraOf(localMedia.stream)) {
        localMedia.release();
      } else {
        const stream = await openCamera({ videoDeviceId: localMedia.videoDeviceId || undefined, facingMode: localMedia.facingMode });
        if (!this.isConnected) {
          for (const track of stream.getTracks()) track.stop();
          return;
        }
        localMedia.keep(stream, false, cameraFacing(stream.getVideoTracks()[0]));
      }
    } catch (error) {
      console.warn('room: camera', error);
      this.#say('media.cameraFailed');
    } finally {
      this.#cameraBusy = false;
      this.#renderDeviceControls();
    }
  }

  /** 切换摄像头: the other camera, published by `replaceTrack` (the others keep seeing us). */
  async #switchCamera() {
    const current = cameraOf(localMedia.stream);
    if (!current || this.#cameraBusy) return;
    this.#cameraBusy = true;
    this.#renderDeviceControls();
    try {
      const next = await openNextCamera(current, localMedia.facingMode);
      if (!next) {
        this.#cameraCount = 1;
        return;
      }
      if (!this.isConnected) {
        for (const track of next.stream.getTracks()) track.stop();
        return;
      }
      localMedia.keep(next.stream, false, next.facingMode);
      if (!next.switched) this.#say('media.cameraFailed');
    } catch (error) {
      console.warn('room: camera switch', error);
      this.#say('media.cameraFailed');
    } finally {
      this.#cameraBusy = false;
      this.#renderDeviceControls();
    }
  }

  /**
   * A short notice over the room (a camera that would not open).
   * @param {MessageKey} key
   */
  #say(key) {
    bindText(this.#notice, key);
    this.#notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.#notice.hidden = true;
    }, NOTICE_MS);
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
      if (this.#fabs.querySelector(':focus-visible') || this.#deviceBar.querySelector(':focus-visible')) return;
      this.#fabs.classList.add('controls-hidden');
      this.#closeDeviceControls();
    }, CONTROLS_MS);
  }

  /** Open the function menu (功能菜单). */
  openMenu() {
    clearTimeout(this.#hideTimer);
    this.#fabs.classList.add('controls-hidden');
    this.#closeDeviceControls();
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
      tile.show(member, {
        self,
        stream,
        mirror: self && localMedia.facingMode === 'user',
        selfMuted: self && Boolean(this.#media?.micMuted),
        videoOff: !self && this.#stalled.has(member.id),
      });
    });
    for (const [id, tile] of this.#tiles) {
      if (!seen.has(id)) {
        tile.remove();
        this.#tiles.delete(id);
      }
    }
    this.#showLinks();
    this.#layout();
  }

  /** Each tile's link quality and the speaker's highlight. */
  #showLinks() {
    const me = this.#me;
    const store = this.#store;
    for (const [id, tile] of this.#tiles) {
      const self = id === me?.participant_id;
      // Remote members show what the session measured; one's own tile the uplink (nothing before the session).
      tile.setQuality(this.#media ? (this.#quality.get(id) ?? null) : null);
      // Nobody hears a member the court muted: no highlight for them (one's own level is measured before the SFU).
      const mutedByCourt = Boolean(store?.member(id)?.muted);
      tile.setSpeaking(id === this.#speaker && !(self && (mutedByCourt || this.#media?.micMuted)));
    }
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

/**
 * A device button's icon and words.
 * @param {HTMLButtonElement} button
 * @param {MessageKey} label
 * @param {string} icon
 */
function setDeviceButton(button, label, icon) {
  if (button.dataset.label === label) return;
  button.dataset.label = label;
  replaceChildren(button, h('span', { class: `device-icon ${icon}`, attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'device-label', i18n: label }));
}

customElements.define('cc-room', CcRoom);
