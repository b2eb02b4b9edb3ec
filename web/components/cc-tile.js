/**
 * <cc-tile>: one person of the hearing room — role and name (审判长 许1), connected or not, waiting to be admitted.
 * One's own tile shows the local camera; the others show an avatar with the initial until live media arrives
 * (no remote video is faked).
 */

import { h, replaceChildren } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * @typedef {Object} TileView
 * @property {boolean} self this is the viewer's own tile
 * @property {MediaStream | null} [stream] the local camera (own tile only)
 * @property {boolean} [mirror] show the camera mirrored (front camera)
 */

export class CcTile extends HTMLElement {
  #video = h('video', { class: 'tile-video', attrs: { muted: true, playsinline: true, autoplay: true } });
  #avatar = h('span', { class: 'tile-avatar', attrs: { 'aria-hidden': 'true' } });
  #role = h('span', { class: 'tile-role' });
  #name = h('span', { class: 'tile-name' });
  #state = h('span', { class: 'tile-state' });
  #you = h('span', { class: 'tile-you', i18n: 'room.you' });
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
        h('div', { class: 'tile-badges' }, this.#you, this.#state),
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

    /** @type {MessageKey | null} */
    let state = null;
    if (!member.connected && !view.self) state = 'room.offline';
    else if (member.kind === 'participant' && !member.checked_in) state = 'room.waiting';
    if (state) bindText(this.#state, state);
    this.#state.hidden = !state;

    const stream = view.self ? (view.stream ?? null) : null;
    if (this.#video.srcObject !== stream) {
      this.#video.srcObject = stream;
      if (stream) void this.#video.play().catch(() => {});
    }
    this.#video.hidden = !stream;
    this.#avatar.hidden = Boolean(stream);
    this.#video.classList.toggle('mirror', Boolean(view.mirror));
  }
}

customElements.define('cc-tile', CcTile);
