/**
 * <cc-evidence-panel>: the participant's 上传证据 (the room menu's `upload`), phone first, in two parts.
 * 上传证据: 本地上传 and a row per chosen file with its progress (<cc-evidence-upload>), for the parties (原告, 被告,
 * 第三人, 代理人); a witness, an expert or an interpreter is told they do not submit evidence. 证据列表: the hearing's
 * items, live, with preview, 质证意见 and 撤回 (<cc-evidence-list>). The room keeps one panel for as long as it is shown,
 * so files go on uploading while the panel is closed; `dispose()` stops them when the room goes.
 *
 * data-testid: `evidence-panel`, `evidence-upload-section`, `evidence-upload-denied`, and those of cc-evidence-upload
 * (`local-upload`, `file-input`, `upload-row` …) and cc-evidence-list (`evidence-list`, `evidence-item` …).
 */

import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { PARTY_ROLES } from '../lib/evidence.js';
import { CcEvidenceList } from './cc-evidence-list.js';
import { CcEvidenceUpload } from './cc-evidence-upload.js';

/** @typedef {import('../lib/types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('../lib/live.js').LiveClient} LiveClient */

export class CcEvidencePanel extends HTMLElement {
  /** @type {CcEvidenceUpload | null} */
  #upload = null;
  #list = create('cc-evidence-list', CcEvidenceList);

  /**
   * @param {{me: ParticipantMe, live: LiveClient | null}} options
   */
  setup({ me, live }) {
    this.setAttribute('data-testid', 'evidence-panel');
    this.classList.add('ev-panel');
    const uploadTitle = uid('ev-upload-title');
    const listTitle = uid('ev-list-title');
    /** @type {HTMLElement} */
    let upload;
    if (PARTY_ROLES.has(me.role)) {
      this.#upload = create('cc-evidence-upload', CcEvidenceUpload);
      this.#upload.setup({ hearingId: me.hearing_id });
      this.#upload.addEventListener('cc-evidence-uploaded', () => void this.#list.refresh());
      upload = this.#upload;
    } else {
      upload = h('p', { class: 'notice', i18n: 'evidence.upload.denied', attrs: { 'data-testid': 'evidence-upload-denied' } });
    }
    replaceChildren(
      this,
      h(
        'section',
        { class: 'ev-section', attrs: { 'aria-labelledby': uploadTitle, 'data-testid': 'evidence-upload-section' } },
        h('h3', { class: 'ev-section-title', i18n: 'evidence.upload.heading', attrs: { id: uploadTitle } }),
        upload,
      ),
      h('section', { class: 'ev-section', attrs: { 'aria-labelledby': listTitle } }, this.#list),
    );
    this.#list.setup({
      hearingId: me.hearing_id,
      viewer: { kind: 'participant', id: me.participant_id, role: me.role },
      live,
      timeZone: me.time_zone,
    });
    this.#list.querySelector('h3')?.setAttribute('id', listTitle);
  }

  /** @returns {CcEvidenceList} */
  get list() {
    return this.#list;
  }

  /** The room goes: stop the files under way. */
  dispose() {
    void this.#upload?.cancelAll();
  }
}

customElements.define('cc-evidence-panel', CcEvidencePanel);
