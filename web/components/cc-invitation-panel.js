/**
 * <cc-invitation-panel>: 开庭通知 of one hearing — 发送开庭通知 / 再次发送开庭通知, when they were sent, the result
 * (已发送N条开庭通知 or 没有需要发送的通知) and a warning for each participant without a phone, with a way to add one.
 * Fires `cc-invitations-sent` after sending and `cc-edit-participant` ({participantId}) from a warning.
 */

import { sendInvitations } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { formatInZone } from '../lib/time.js';

/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/types.js').SkippedParticipant} SkippedParticipant */

/** States in which invitations may be sent (the server refuses once the hearing has started). */
export const SENDABLE = new Set(['scheduled', 'open']);

export class CcInvitationPanel extends HTMLElement {
  #hearingId = '';
  #timeZone = '';
  /** Participants the last sending skipped (kept while they still lack a phone). */
  /** @type {SkippedParticipant[]} */
  #skipped = [];

  #sentAt = h('p', { class: 'notices-sent-at', attrs: { 'data-testid': 'notices-sent-at' } });
  #button = h('button', { class: 'button primary block', i18n: 'invite.send', attrs: { type: 'button', 'data-testid': 'send-invitations' } });
  #againHint = h('p', { class: 'hint', i18n: 'invite.againHint', attrs: { hidden: true } });
  #result = h('p', { class: 'status', attrs: { role: 'status', 'data-testid': 'invitation-result' } });
  #warnings = h('ul', { class: 'warnings', attrs: { 'aria-live': 'polite', 'data-testid': 'invitation-warnings' } });
  #error = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #outbox = h('a', { class: 'outbox-link', i18n: 'invite.outbox' });

  /**
   * @param {string} hearingId
   * @param {string} timeZone the court's zone, for 开庭通知已于{time}发送
   */
  setup(hearingId, timeZone) {
    this.#hearingId = hearingId;
    this.#timeZone = timeZone;
    this.#outbox.href = `#/sms/${encodeURIComponent(hearingId)}`;
    this.#button.addEventListener('click', () => void this.#send());
    const titleId = uid('invite-title');
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel invitations', attrs: { 'aria-labelledby': titleId } },
        h('h3', { i18n: 'invite.title', attrs: { id: titleId } }),
        h('p', { class: 'hint', i18n: 'invite.intro' }),
        this.#sentAt,
        this.#button,
        this.#againHint,
        this.#error,
        this.#result,
        this.#warnings,
        h('p', { class: 'outbox-line' }, this.#outbox),
      ),
    );
  }

  /**
   * Bring the panel up to date with the hearing.
   * @param {HearingDetail} hearing
   */
  show(hearing) {
    const sentAt = hearing.notices_sent_at ?? null;
    if (sentAt) bindText(this.#sentAt, 'invite.sentAt', { time: formatInZone(sentAt, this.#timeZone) });
    else bindText(this.#sentAt, 'invite.notYet');
    this.#sentAt.classList.toggle('muted', !sentAt);
    bindText(this.#button, sentAt ? 'invite.sendAgain' : 'invite.send');
    this.#againHint.hidden = !sentAt;
    this.#button.hidden = !SENDABLE.has(hearing.state);
    // A warning goes once the participant has a phone (or is gone).
    const lacking = new Set(hearing.participants.filter((p) => !p.phone && !p.phone_masked).map((p) => p.id));
    this.#skipped = this.#skipped.filter((s) => lacking.has(s.participant_id));
    this.#renderWarnings();
  }

  async #send() {
    this.#error.hidden = true;
    this.#result.textContent = '';
    await whileBusy(this.#button, async () => {
      try {
        const result = await sendInvitations(this.#hearingId);
        if (result.queued > 0) bindText(this.#result, 'invite.queued', { count: result.queued });
        else bindText(this.#result, 'invite.nothing');
        this.#skipped = result.skipped ?? [];
        this.#renderWarnings();
        this.dispatchEvent(new CustomEvent('cc-invitations-sent', { bubbles: true, detail: result }));
      } catch (error) {
        setErrorText(this.#error, error);
        this.#error.hidden = false;
      }
    });
  }

  #renderWarnings() {
    replaceChildren(
      this.#warnings,
      this.#skipped.map((s) =>
        h(
          'li',
          { class: 'warning', attrs: { 'data-participant-id': s.participant_id } },
          h('span', { i18n: 'invite.skipped', params: { name: s.name } }),
          h('button', {
            class: 'button small',
            i18n: 'invite.addPhone',
            i18nAttrs: { 'aria-label': ['invite.addPhoneLabel', { name: s.name }] },
            attrs: { type: 'button' },
            on: {
              click: () =>
                this.dispatchEvent(new CustomEvent('cc-edit-participant', { bubbles: true, detail: { participantId: s.participant_id } })),
            },
          }),
        ),
      ),
    );
  }
}

customElements.define('cc-invitation-panel', CcInvitationPanel);
