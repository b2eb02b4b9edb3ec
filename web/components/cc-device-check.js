/**
 * <cc-device-check>: asks for the camera and microphone, then the self-test — camera preview, microphone level
 * meter, a choice of camera and microphone (on phones a 前置/后置 switch), and 继续. Refused or blocked access shows
 * <cc-permission-guide> (始终允许, 重试), and access granted later (in the browser's settings) recovers by itself.
 * Without a camera it goes on with the microphone alone and says so.
 * Fires `cc-device-done` once the user continues; the camera is handed to `localMedia` for the room's self preview and
 * the microphone is released. Leaving otherwise stops what was opened (in the room, the new camera is kept).
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';
import { LevelMeter, classifyMediaError, listDevices, localMedia, openLocalMedia, stopStream, trackDeviceId } from '../lib/media.js';
import { currentDevice } from '../lib/platform.js';
import { CcPermissionGuide } from './cc-permission-guide.js';

/** @typedef {import('../lib/media.js').FacingMode} FacingMode */
/** @typedef {import('../lib/media.js').MediaChoice} MediaChoice */
/** @typedef {import('../lib/media.js').MediaProblem} MediaProblem */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcDeviceCheck extends HTMLElement {
  /** @type {'entry' | 'room'} */
  #mode = 'entry';
  /** @type {MediaStream | null} */
  #stream = null;
  #audioOnly = false;
  /** @type {FacingMode} */
  #facing = 'user';
  /** @type {LevelMeter | null} */
  #meter = null;
  #handedOver = false;
  /** Each request gets a number; answers to older ones are dropped. */
  #request = 0;
  /** @type {PermissionStatus[]} */
  #watched = [];
  #guide = /** @type {CcPermissionGuide} */ (document.createElement('cc-permission-guide'));

  #video = h('video', { class: 'preview-video', attrs: { muted: true, playsinline: true, autoplay: true, 'data-testid': 'preview' } });
  #noCamera = h('p', { class: 'preview-none', i18n: 'device.noCamera', attrs: { hidden: true } });
  #meterFill = h('span', { class: 'meter-fill' });
  #meterBar = h(
    'span',
    {
      class: 'meter-track',
      attrs: { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'data-testid': 'mic-meter' },
      i18nAttrs: { 'aria-label': 'device.micLevel' },
    },
    this.#meterFill,
  );
  #meterHint = h('p', { class: 'hint', i18n: 'device.tapForMeter', attrs: { hidden: true } });
  #camera = h('select', { attrs: { name: 'camera' } });
  #mic = h('select', { attrs: { name: 'microphone' } });
  #cameraField = h('div', { class: 'field' });
  #facingBox = h('div', { class: 'facing', attrs: { role: 'group' }, i18nAttrs: { 'aria-label': 'device.facing' } });
  #audioOnlyNote = h('p', { class: 'notice', i18n: 'device.audioOnly', attrs: { hidden: true, role: 'status', 'data-testid': 'audio-only' } });
  #done = h('button', { class: 'button primary block big', attrs: { type: 'button', 'data-testid': 'device-done' } });
  #body = h('div', { class: 'device-body' });

  /**
   * @param {{mode: 'entry' | 'room'}} options `entry`: before entering (继续); `room`: from the room's menu (完成)
   */
  setup({ mode }) {
    this.#mode = mode;
    this.#facing = localMedia.facingMode;
    // The property, not just the attribute: the preview must never play the microphone back (echo).
    this.#video.muted = true;
    bindText(this.#done, mode === 'entry' ? 'device.continue' : 'device.finish');
    this.#done.addEventListener('click', () => this.#finish());
    this.#camera.addEventListener('change', () => void this.#open({ videoDeviceId: this.#camera.value, audioDeviceId: this.#mic.value }));
    this.#mic.addEventListener('change', () => void this.#open({ videoDeviceId: this.#camera.value, audioDeviceId: this.#mic.value }));
    this.#guide.addEventListener('cc-retry', () => void this.#open(this.#choice()));
    replaceChildren(this, this.#body);
    if (mode === 'room') localMedia.release();
    void this.#open({ facingMode: this.#facing });
  }

  disconnectedCallback() {
    this.#request += 1;
    this.#unwatch();
    this.#meter?.stop();
    this.#meter = null;
    this.#video.srcObject = null;
    if (!this.#handedOver && this.#stream) {
      // From the room, the camera just chosen stays the self preview; before entering, nothing is kept.
      if (this.#mode === 'room') localMedia.keep(this.#stream, this.#audioOnly, this.#facing);
      else stopStream(this.#stream);
    }
    this.#stream = null;
  }

  /** @returns {MediaChoice} */
  #choice() {
    return { facingMode: this.#facing };
  }

  /**
   * Ask for the devices (again) and show the self-test, or the guidance when refused.
   * @param {MediaChoice} choice
   */
  async #open(choice) {
    const request = ++this.#request;
    this.#guide.busy = true;
    if (!this.#stream && !this.#guide.isConnected) this.#showAsking();
    // Release the previous devices first: many phones cannot open two cameras at once.
    this.#meter?.stop();
    this.#meter = null;
    stopStream(this.#stream);
    this.#stream = null;
    try {
      const media = await openLocalMedia(choice);
      if (request !== this.#request || !this.isConnected) {
        stopStream(media.stream);
        return;
      }
      this.#unwatch();
      this.#stream = media.stream;
      this.#audioOnly = media.audioOnly;
      await this.#showReady();
    } catch (error) {
      if (request !== this.#request || !this.isConnected) return;
      const problem = classifyMediaError(error);
      if (problem === 'other') console.warn(error);
      this.#showRefused(problem);
    } finally {
      if (request === this.#request) this.#guide.busy = false;
    }
  }

  #showAsking() {
    const titleId = uid('asking-title');
    replaceChildren(
      this.#body,
      h(
        'section',
        { class: 'panel device-asking', attrs: { 'aria-labelledby': titleId, 'aria-busy': 'true' } },
        h('h2', { i18n: 'device.asking', attrs: { id: titleId } }),
        h('p', { i18n: 'device.askingHint' }),
        h('p', { class: 'always', i18n: 'perm.always' }),
      ),
    );
  }

  /** @param {MediaProblem} problem */
  #showRefused(problem) {
    this.#guide.show(problem);
    replaceChildren(this.#body, this.#guide);
    this.#watch();
  }

  /** When the user allows access in the browser's settings meanwhile, try again by itself. */
  #watch() {
    if (this.#watched.length || !navigator.permissions?.query) return;
    for (const name of ['camera', 'microphone']) {
      navigator.permissions
        .query({ name: /** @type {PermissionName} */ (name) })
        .then((status) => {
          if (!this.isConnected || this.#stream) return;
          this.#watched.push(status);
          status.onchange = () => {
            if (status.state === 'granted' && !this.#stream && this.#guide.isConnected) void this.#open(this.#choice());
          };
        })
        .catch(() => {
          // Not every browser can be asked about camera permissions.
        });
    }
  }

  #unwatch() {
    for (const status of this.#watched) status.onchange = null;
    this.#watched = [];
  }

  async #showReady() {
    const stream = /** @type {MediaStream} */ (this.#stream);
    const titleId = uid('device-title');
    const phone = currentDevice().platform !== 'pc';

    this.#video.srcObject = this.#audioOnly ? null : stream;
    this.#video.hidden = this.#audioOnly;
    this.#video.classList.toggle('mirror', this.#facing === 'user');
    this.#noCamera.hidden = !this.#audioOnly;
    this.#audioOnlyNote.hidden = !this.#audioOnly;
    if (!this.#audioOnly) void this.#video.play().catch(() => {});

    const meterLabelId = uid('meter-label');
    this.#meterBar.setAttribute('aria-labelledby', meterLabelId);
    this.#meter = new LevelMeter(stream, (level) => {
      const value = Math.round(level * 100);
      this.#meterFill.style.transform = `scaleX(${(1 - level).toFixed(3)})`;
      this.#meterBar.setAttribute('aria-valuenow', String(value));
      this.#meterHint.hidden = !this.#meter?.suspended;
    });

    const { cameras, microphones } = await listDevices().catch(() => ({ cameras: [], microphones: [] }));
    this.#fillSelect(this.#camera, cameras, trackDeviceId(stream, 'video'), 'device.cameraN');
    this.#fillSelect(this.#mic, microphones, trackDeviceId(stream, 'audio'), 'device.micN');
    const cameraLabel = uid('camera-label');
    this.#camera.id = uid('camera');
    this.#mic.id = uid('mic');
    replaceChildren(
      this.#cameraField,
      h('label', { i18n: 'device.camera', attrs: { for: this.#camera.id, id: cameraLabel } }),
      this.#camera,
    );
    this.#cameraField.hidden = this.#audioOnly || cameras.length === 0;

    replaceChildren(
      this.#facingBox,
      (/** @type {FacingMode[]} */ (['user', 'environment'])).map((mode) =>
        h('button', {
          class: 'button small facing-button',
          i18n: mode === 'user' ? 'device.front' : 'device.back',
          attrs: { type: 'button', 'aria-pressed': String(this.#facing === mode), 'data-facing': mode },
          on: {
            click: () => {
              if (this.#facing === mode) return;
              this.#facing = mode;
              void this.#open({ facingMode: mode, audioDeviceId: this.#mic.value });
            },
          },
        }),
      ),
    );
    this.#facingBox.hidden = !phone || this.#audioOnly;

    replaceChildren(
      this.#body,
      h(
        'section',
        { class: 'panel device-check', attrs: { 'aria-labelledby': titleId, 'data-testid': 'device-check' } },
        h('h2', { i18n: 'device.title', attrs: { id: titleId } }),
        h('p', { class: 'hint', i18n: this.#audioOnly ? 'device.introAudio' : 'device.intro' }),
        h(
          'div',
          { class: 'device-grid' },
          h('div', { class: this.#audioOnly ? 'preview-box audio-only' : 'preview-box' }, this.#video, this.#noCamera, this.#facingBox),
          h(
            'div',
            { class: 'device-side stack' },
            this.#audioOnlyNote,
            h(
              'div',
              { class: 'field meter-field' },
              h('span', { class: 'meter-label', i18n: 'device.micLevel', attrs: { id: meterLabelId } }),
              this.#meterBar,
              h('p', { class: 'hint', i18n: 'device.speak' }),
              this.#meterHint,
            ),
            this.#cameraField,
            h('div', { class: 'field' }, h('label', { i18n: 'device.microphone', attrs: { for: this.#mic.id } }), this.#mic),
          ),
        ),
        this.#done,
      ),
    );
  }

  /**
   * @param {HTMLSelectElement} select
   * @param {MediaDeviceInfo[]} devices
   * @param {string} current
   * @param {MessageKey} unnamed a name for devices the browser does not name
   */
  #fillSelect(select, devices, current, unnamed) {
    replaceChildren(
      select,
      devices.map((d, i) => {
        const option = d.label ? h('option', { text: d.label }) : h('option', { i18n: unnamed, params: { n: i + 1 } });
        option.value = d.deviceId;
        if (d.deviceId === current) option.selected = true;
        return option;
      }),
    );
    select.disabled = devices.length < 2;
  }

  #finish() {
    const stream = this.#stream;
    if (!stream) return;
    this.#handedOver = true;
    this.#meter?.stop();
    this.#meter = null;
    localMedia.keep(stream, this.#audioOnly, this.#facing);
    this.#stream = null;
    this.dispatchEvent(new CustomEvent('cc-device-done', { bubbles: true, detail: { audioOnly: this.#audioOnly } }));
  }
}

customElements.define('cc-device-check', CcDeviceCheck);
