/**
 * <cc-tile>: one person of the hearing room — role and name (审判长 许1), connected or not, waiting to be admitted.
 * One's own tile shows the local camera (muted; mirrored for a front camera); the others show the member's live media
 * from the SFU (video and sound), or an avatar with the initial until it arrives, while their camera is off or their
 * video stalled (no remote video is faked; the sound goes on). When the browser refuses to play sound without a
 * gesture, the picture plays silently and a 点击开启声音 button on the tile — or the next touch anywhere on the page —
 * turns the sound on. A member the court muted carries an 已静音 mark; one's own microphone turned off carries
 * 麦克风已关闭. `setQuality` shows the link's quality as three bars (网络良好 / 网络一般 / 网络较差 / 连接中断 for screen
 * readers), `setSpeaking` highlights the active speaker's border (正在发言). On staff screens a participant's tile has
 * a 静音 / 取消静音 button, which fires `cc-mute` (bubbling, `{memberId, muted}`: the state asked for) — the mark
 * follows the roster, not the click.
 */

import { h, replaceChildren } from '../lib/dom.js';
import { bindAttr, bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {import('../lib/rtc.js').Quality} Quality */

/**
 * @typedef {Object} TileView
 * @property {boolean} self this is the viewer's own tile
 * @property {MediaStream | null} [stream] the local camera (own tile) or the member's remote media
 * @property {boolean} [mirror] show the camera mirrored (front camera)
 * @property {boolean} [canMute] show the 静音 / 取消静音 button (staff viewing a participant)
 * @property {boolean} [selfMuted] one's own microphone is turned off (own tile: 麦克风已关闭)
 * @property {boolean} [videoOff] the member's video delivers no frames (camera off, or stalled): show the avatar
 */

/**
 * What a tile's 静音 / 取消静音 button asks for.
 * @typedef {{memberId: string, muted: boolean}} MuteRequest
 */

/** @type {Record<Quality, MessageKey>} */
const QUALITY_TEXT = {
  good: 'media.quality.good',
  fair: 'media.quality.fair',
  poor: 'media.quality.poor',
  lost: 'media.quality.lost',
};

/** Tiles whose sound waits for a gesture (their retry): the next touch or key anywhere turns them all on. */
/** @type {Set<() => void>} */
const waitingForGesture = new Set();
let gestureListening = false;
/** Touches and keys seen (a refusal that crossed a touch is retried at once). */
let gestures = 0;

function listenForGesture() {
  if (gestureListening) return;
  gestureListening = true;
  const onGesture = () => {
    gestures += 1;
    for (const play of [...waitingForGesture]) play();
  };
  // Capture: a tap on any control counts, and the play() runs inside the gesture.
  document.addEventListener('pointerdown', onGesture, true);
  document.addEventListener('keydown', onGesture, true);
}

/**
 * @param {MediaProvider | null} stream
 * @returns {boolean} a stream with a track still live (an element playing it will not end at once)
 */
function hasLive(stream) {
  return stream instanceof MediaStream && stream.getTracks().some((t) => t.readyState === 'live');
}

export class CcTile extends HTMLElement {
  #video = h('video', { class: 'tile-video', attrs: { muted: true, playsinline: true, autoplay: true } });
  #avatar = h('span', { class: 'tile-avatar', attrs: { 'aria-hidden': 'true' } });
  #qualityText = h('span', { class: 'visually-hidden q-text' });
  #quality = h(
    'span',
    { class: 'tile-quality', attrs: { hidden: true, 'data-testid': 'tile-quality' } },
    h('span', { class: 'q-bars', attrs: { 'aria-hidden': 'true' } }, h('span', { class: 'q-bar' }), h('span', { class: 'q-bar' }), h('span', { class: 'q-bar' })),
    this.#qualityText,
  );
  #speaking = h('span', { class: 'visually-hidden tile-speaking', i18n: 'media.speaking', attrs: { hidden: true } });
  #role = h('span', { class: 'tile-role' });
  #name = h('span', { class: 'tile-name' });
  #state = h('span', { class: 'tile-state' });
  #you = h('span', { class: 'tile-you', i18n: 'room.you' });
  #muted = h('span', { class: 'tile-muted', i18n: 'media.muted', attrs: { hidden: true, 'data-testid': 'tile-muted' } });
  #micOff = h('span', { class: 'tile-muted tile-mic-off', i18n: 'media.micIsOff', attrs: { hidden: true, 'data-testid': 'tile-mic-off' } });
  #mute = h('button', {
    class: 'button small tile-mute',
    attrs: { type: 'button', hidden: true, 'data-testid': 'mute-toggle' },
    on: { click: () => this.#askMute() },
  });
  /** @type {LiveMember | null} */
  #member = null;
  #sound = h('button', {
    class: 'button tile-sound',
    i18n: 'media.enableSound',
    attrs: { type: 'button', hidden: true, 'data-testid': 'enable-sound' },
    on: { click: () => this.#play() },
  });
  /** The element plays the member's sound (a remote tile). */
  #wantSound = false;
  /** The latest play attempt. */
  #attempt = 0;
  #built = false;
  #retry = () => this.#play();

  #build() {
    this.#built = true;
    this.#video.muted = true;
    replaceChildren(
      this,
      h(
        'figure',
        { class: 'tile-inner' },
        h('div', { class: 'tile-media' }, this.#avatar, this.#video),
        h('figcaption', { class: 'tile-caption' }, this.#quality, this.#role, ' ', this.#name, this.#speaking),
        h('div', { class: 'tile-badges' }, this.#you, this.#muted, this.#micOff, this.#state),
        this.#mute,
        this.#sound,
      ),
    );
    // A stream whose tracks were swapped (a reconnection) may have stopped or ended the element: start it again.
    const restart = () => {
      if (hasLive(this.#video.srcObject) && this.isConnected && !document.hidden && !waitingForGesture.has(this.#retry)) this.#play();
    };
    this.#video.addEventListener('pause', restart);
    this.#video.addEventListener('ended', restart);
  }

  disconnectedCallback() {
    waitingForGesture.delete(this.#retry);
  }

  /**
   * @param {LiveMember} member
   * @param {TileView} view
   */
  show(member, view) {
    if (!this.#built) this.#build();
    this.dataset.memberId = member.id;
    this.dataset.role = member.role;
    this.dataset.kind = member.kind;
    this.toggleAttribute('data-connected', member.connected || view.self);
    this.toggleAttribute('data-self', view.self);
    bindText(this.#role, /** @type {MessageKey} */ (`role.${member.role}`));
    this.#name.textContent = member.name;
    this.#avatar.textContent = Array.from(member.name.trim())[0] ?? '?';
    this.#you.hidden = !view.self;
    this.#member = member;
    const muted = Boolean(member.muted);
    this.toggleAttribute('data-muted', muted);
    this.#muted.hidden = !muted;
    const micOff = Boolean(view.self && view.selfMuted);
    this.toggleAttribute('data-mic-off', micOff);
    this.#micOff.hidden = !micOff;
    this.#mute.hidden = !view.canMute;
    if (view.canMute) {
      bindText(this.#mute, muted ? 'media.unmute' : 'media.mute');
      bindAttr(this.#mute, 'aria-label', muted ? 'media.unmuteLabel' : 'media.muteLabel', { name: member.name });
      this.#mute.setAttribute('aria-pressed', String(muted));
    }

    /** @type {MessageKey | null} */
    let state = null;
    if (!member.connected && !view.self) state = 'room.offline';
    else if (member.kind === 'participant' && !member.checked_in) state = 'room.waiting';
    if (state) bindText(this.#state, state);
    this.#state.hidden = !state;

    const stream = view.stream ?? null;
    // One's own sound is never played back (echo); the others' is.
    this.#wantSound = !view.self;
    if (this.#video.srcObject !== stream) {
      this.#video.srcObject = stream;
      this.#sound.hidden = true;
      waitingForGesture.delete(this.#retry);
      if (stream) this.#play();
    } else if (!waitingForGesture.has(this.#retry)) {
      this.#video.muted = !this.#wantSound;
      // New tracks in the same stream (the member, or we, reconnected) after the element ended.
      if (hasLive(stream) && (this.#video.paused || this.#video.ended)) this.#play();
    }
    const video = Boolean(stream?.getVideoTracks().some((t) => t.readyState === 'live')) && !view.videoOff;
    this.toggleAttribute('data-remote-media', Boolean(stream) && !view.self);
    this.toggleAttribute('data-video-off', Boolean(stream) && !video);
    // Hidden, the element still plays the member's sound.
    this.#video.hidden = !video;
    this.#avatar.hidden = video;
    this.#video.classList.toggle('mirror', Boolean(view.mirror));
  }

  /**
   * Show the quality of this member's link (null: unknown, nothing shown).
   * @param {Quality | null} quality
   */
  setQuality(quality) {
    if (!this.#built) this.#build();
    if (quality === null) {
      delete this.dataset.quality;
      this.#quality.hidden = true;
      return;
    }
    if (this.dataset.quality === quality) return;
    this.dataset.quality = quality;
    this.#quality.hidden = false;
    bindText(this.#qualityText, QUALITY_TEXT[quality]);
  }

  /**
   * Highlight this member as the one speaking now (正在发言).
   * @param {boolean} speaking
   */
  setSpeaking(speaking) {
    if (!this.#built) this.#build();
    this.toggleAttribute('data-speaking', speaking);
    this.#speaking.hidden = !speaking;
  }

  /** 静音 / 取消静音 clicked: ask the room (which asks the server) for the other state. */
  #askMute() {
    const member = this.#member;
    if (!member) return;
    /** @type {MuteRequest} */
    const detail = { memberId: member.id, muted: !member.muted };
    this.dispatchEvent(new CustomEvent('cc-mute', { bubbles: true, detail }));
  }

  /**
   * Play, with sound for a remote tile. A refusal (autoplay rules: sound needs a touch) plays the picture silently and
   * shows 点击开启声音; the button, or the next touch anywhere, plays the sound.
   */
  #play() {
    const video = this.#video;
    if (!video.srcObject) return;
    listenForGesture();
    waitingForGesture.delete(this.#retry);
    video.muted = !this.#wantSound;
    // A refusal comes at once, whereas playing waits for the first picture: the button goes until refused again.
    this.#sound.hidden = true;
    const seen = gestures;
    // Only the latest attempt's outcome counts (a reconnection may start another before this one settles).
    const attempt = ++this.#attempt;
    video.play().then(
      () => {
        if (attempt !== this.#attempt) return;
        // Playing silently for want of a touch: the next one turns the sound on.
        const silent = video.muted && this.#wantSound;
        this.#sound.hidden = !silent;
        if (silent) waitingForGesture.add(this.#retry);
      },
      (/** @type {unknown} */ error) => {
        if (attempt !== this.#attempt) return;
        const blocked = error instanceof DOMException && error.name === 'NotAllowedError';
        if (!blocked || video.muted) return;
        // A touch came while the refusal was on its way: it allows sound now.
        if (gestures !== seen) {
          this.#play();
          return;
        }
        this.#sound.hidden = false;
        waitingForGesture.add(this.#retry);
        video.muted = true;
        video.play().catch(() => {});
      },
    );
  }
}

customElements.define('cc-tile', CcTile);
