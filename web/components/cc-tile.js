/**
 * <cc-tile>: one person of the hearing room — role and name (审判长 许1), connected or not, waiting to be admitted.
 * One's own tile shows the local camera (muted); the others show the member's live media from the SFU (video and
 * sound), or an avatar with the initial until it arrives (no remote video is faked). When the browser refuses to play
 * sound without a gesture, a 点击开启声音 button on the tile plays it on the next tap. A member the court muted carries
 * an 已静音 mark; on staff screens a participant's tile has a 静音 / 取消静音 button, which fires `cc-mute` (bubbling,
 * `{memberId, muted}`: the state asked for) — the mark follows the roster, not the click.
 */

import { h, replaceChildren } from '../lib/dom.js';
import { bindAttr, bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * @typedef {Object} TileView
 * @property {boolean} self this is the viewer's own tile
 * @property {MediaStream | null} [stream] the local camera (own tile) or the member's remote media
 * @property {boolean} [mirror] show the camera mirrored (front camera)
 * @property {boolean} [canMute] show the 静音 / 取消静音 button (staff viewing a participant)
 */

/**
 * What a tile's 静音 / 取消静音 button asks for.
 * @typedef {{memberId: string, muted: boolean}} MuteRequest
 */

export class CcTile extends HTMLElement {
  #video = h('video', { class: 'tile-video', attrs: { muted: true, playsinline: true, autoplay: true } });
  #avatar = h('span', { class: 'tile-avatar', attrs: { 'aria-hidden': 'true' } });
  #role = h('span', { class: 'tile-role' });
  #name = h('span', { class: 'tile-name' });
  #state = h('span', { class: 'tile-state' });
  #you = h('span', { class: 'tile-you', i18n: 'room.you' });
  #muted = h('span', { class: 'tile-muted', i18n: 'media.muted', attrs: { hidden: true, 'data-testid': 'tile-muted' } });
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
  #built = false;

  #build() {
    this.#built = true;
    this.#video.muted = true;
    replaceChildren(
      this,
      h(
        'figure',
        { class: 'tile-inner' },
        h('div', { class: 'tile-media' }, this.#avatar, this.#video),
        h('figcaption', { class: 'tile-caption' }, this.#role, ' ', this.#name),
        h('div', { class: 'tile-badges' }, this.#you, this.#muted, this.#state),
        this.#mute,
        this.#sound,
      ),
    );
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
    this.#video.muted = view.self;
    if (this.#video.srcObject !== stream) {
      this.#video.srcObject = stream;
      this.#sound.hidden = true;
      if (stream) this.#play();
    }
    const video = Boolean(stream?.getVideoTracks().some((t) => t.readyState === 'live'));
    this.toggleAttribute('data-remote-media', Boolean(stream) && !view.self);
    this.#video.hidden = !video;
    this.#avatar.hidden = video;
    this.#video.classList.toggle('mirror', Boolean(view.mirror));
  }

  /** 静音 / 取消静音 clicked: ask the room (which asks the server) for the other state. */
  #askMute() {
    const member = this.#member;
    if (!member) return;
    /** @type {MuteRequest} */
    const detail = { memberId: member.id, muted: !member.muted };
    this.dispatchEvent(new CustomEvent('cc-mute', { bubbles: true, detail }));
  }

  /** Play; a refusal (autoplay rules: sound needs a tap) shows the button that retries on a tap. */
  #play() {
    this.#video.play().then(
      () => {
        this.#sound.hidden = true;
      },
      (/** @type {unknown} */ error) => {
        const blocked = error instanceof DOMException && error.name === 'NotAllowedError';
        this.#sound.hidden = !blocked || this.#video.muted;
      },
    );
  }
}

customElements.define('cc-tile', CcTile);
