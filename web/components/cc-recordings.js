/**
 * <cc-recordings>: 庭审录像 of one hearing, for the court's staff — each segment of the recording (第1段; a restart
 * mid-hearing, or another node taking the hearing over, begins another) with its state (录制中, 已完成, 中断后已恢复,
 * 文件待保存), when it started and ended, the gaps the register holds (休庭, 断线, 丢包, 中断) and every stored file
 * with its size, its SHA-256 (short; the full one in its title) and a download link. 刷新 reads it again (a segment's
 * files are stored a little after 闭庭).
 */

import { request } from '../lib/api.js';
import { formatSize } from '../lib/evidence.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { formatInZone } from '../lib/time.js';

/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * @typedef {Object} RecordingFile
 * @property {string} file
 * @property {string} kind audio | video | participant_webm | composed | gaps | manifest
 * @property {string} sha256
 * @property {number} bytes
 */

/**
 * @typedef {Object} RecordingGap
 * @property {string} kind recess | disconnection | loss | interruption
 * @property {string} from
 * @property {string | null} [to]
 */

/**
 * @typedef {Object} RecordingLink
 * @property {string} file
 * @property {string} url
 * @property {string} kind audio | video | participant_webm | composed | gaps | manifest
 * @property {string} sha256
 * @property {number} bytes
 */

/**
 * @typedef {Object} RecordingSegment
 * @property {number} segment
 * @property {string} state recording | finished | recovered | failed
 * @property {string} node the node that records (or recorded) it
 * @property {string} started_at
 * @property {string | null} [finished_at]
 * @property {string | null} [error]
 * @property {{state: string, started_at: string, ended_at?: string | null, files: RecordingFile[]} | null} manifest null until stored
 * @property {RecordingGap[]} gaps
 * @property {RecordingLink[]} files
 */

const STATE_KEYS = /** @type {Record<string, MessageKey>} */ ({
  recording: 'recording.state.recording',
  finished: 'recording.state.finished',
  recovered: 'recording.state.interrupted',
  failed: 'recording.state.failed',
});

const KIND_KEYS = /** @type {Record<string, MessageKey>} */ ({
  audio: 'recording.kind.audio',
  video: 'recording.kind.video',
  participant_webm: 'recording.kind.participant',
  composed: 'recording.kind.composed',
  gaps: 'recording.kind.gaps',
  manifest: 'recording.kind.manifest',
});

const GAP_KEYS = /** @type {Record<string, MessageKey>} */ ({
  recess: 'recording.gap.recess',
  disconnection: 'recording.gap.disconnection',
  loss: 'recording.gap.loss',
  interruption: 'recording.gap.interruption',
});

export class CcRecordings extends HTMLElement {
  #hearingId = '';
  #timeZone = '';
  #list = h('div', { class: 'recording-list', attrs: { 'data-testid': 'recording-list' } });
  #error = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #refresh = h('button', { class: 'button', i18n: 'recording.refresh', attrs: { type: 'button', 'data-testid': 'recording-refresh' } });

  /**
   * @param {string} hearingId
   * @param {string} timeZone the court's zone, for the times shown
   */
  setup(hearingId, timeZone) {
    this.#hearingId = hearingId;
    this.#timeZone = timeZone;
    this.#refresh.onclick = () => void this.load();
    const titleId = uid('recording-title');
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel recordings', attrs: { 'aria-labelledby': titleId, 'data-testid': 'recordings' } },
        h('h3', { i18n: 'recording.title', attrs: { id: titleId } }),
        this.#list,
        this.#error,
        h('p', { class: 'actions' }, this.#refresh),
      ),
    );
    void this.load();
  }

  /** Reads the hearing's recording again. */
  async load() {
    this.#error.hidden = true;
    try {
      const segments = /** @type {RecordingSegment[]} */ (await request('GET', `/hearings/${encodeURIComponent(this.#hearingId)}/recordings`));
      this.#draw(segments);
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }

  /** @param {RecordingSegment[]} segments */
  #draw(segments) {
    if (segments.length === 0) {
      replaceChildren(this.#list, h('p', { class: 'hint', i18n: 'recording.none' }));
      return;
    }
    const at = (/** @type {string} */ iso) => formatInZone(iso, this.#timeZone);
    replaceChildren(
      this.#list,
      ...segments.map((segment) => {
        const title = h('h4', {});
        bindText(title, 'recording.segment', { n: segment.segment });
        const state = h('p', { class: 'recording-state', attrs: { 'data-testid': 'recording-state' } });
        bindText(state, STATE_KEYS[segment.state] ?? 'recording.state.recording', {
          from: at(segment.started_at),
          to: segment.finished_at ? at(segment.finished_at) : '',
          node: segment.node,
        });
        if (segment.error) state.title = segment.error;
        const files = h(
          'ul',
          { class: 'recording-files' },
          ...segment.files.map((link) => {
            const kind = h('span', { class: 'recording-kind' });
            bindText(kind, KIND_KEYS[link.kind] ?? 'recording.kind.file');
            return h(
              'li',
              { attrs: { 'data-testid': 'recording-file' } },
              kind,
              h('a', { text: link.file, attrs: { href: link.url, download: link.file } }),
              h('span', { class: 'recording-size', text: formatSize(link.bytes) }),
              h('code', { class: 'sha', text: link.sha256.slice(0, 12), attrs: { title: `SHA-256 ${link.sha256}`, 'data-sha256': link.sha256 } }),
            );
          }),
        );
        const gaps = h(
          'ul',
          { class: 'recording-gaps' },
          ...segment.gaps.map((gap) => {
            const item = h('li', { attrs: { 'data-testid': 'recording-gap' } });
            bindText(item, GAP_KEYS[gap.kind] ?? 'recording.gap.other', { from: at(gap.from), to: gap.to ? at(gap.to) : '…' });
            return item;
          }),
        );
        return h('article', { class: 'recording-segment', attrs: { 'data-testid': 'recording-segment' } }, title, state, files, gaps);
      }),
    );
  }
}

customElements.define('cc-recordings', CcRecordings);
