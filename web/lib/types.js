/** JSDoc shapes of the cloudcourt API's JSON (see /api/openapi.json); types only, no code. */

/** @typedef {'admin' | 'judge' | 'clerk'} StaffRole */
/** @typedef {'presiding_judge' | 'judge' | 'clerk'} BenchRole */
/** @typedef {'plaintiff' | 'defendant' | 'third_party' | 'agent' | 'witness' | 'expert' | 'interpreter'} PartyRole */
/** @typedef {BenchRole | PartyRole} Role */
/** @typedef {'scheduled' | 'open' | 'in_session' | 'recess' | 'closed' | 'archived' | 'cancelled'} HearingState */
/** @typedef {'open' | 'start' | 'recess' | 'resume' | 'close' | 'archive' | 'cancel'} Transition */

/**
 * @typedef {Object} User
 * @property {string} id
 * @property {string} court_id
 * @property {string} username
 * @property {string} display_name
 * @property {StaffRole} role
 * @property {boolean} disabled
 * @property {string} created_at
 */

/**
 * @typedef {Object} Court
 * @property {string} id
 * @property {string} name
 * @property {string} time_zone IANA name, e.g. Asia/Shanghai
 * @property {string} created_at
 */

/**
 * @typedef {Object} Session
 * @property {User} user
 * @property {Court} court
 */

/**
 * @typedef {Object} Case
 * @property {string} id
 * @property {string} court_id
 * @property {string} case_number 案号
 * @property {string} cause 案由
 * @property {string} created_at
 */

/**
 * @typedef {Object} HearingSummary
 * @property {string} id
 * @property {string} case_id
 * @property {string} case_number
 * @property {string} cause
 * @property {string} meeting_number 8 digits
 * @property {string} scheduled_at RFC 3339 (UTC)
 * @property {string} scheduled_local court-local, `YYYY-MM-DD HH:MM`
 * @property {HearingState} state
 * @property {number} participant_count
 */

/**
 * @typedef {Object} BenchMember
 * @property {string} user_id
 * @property {string} display_name
 * @property {BenchRole} role
 */

/** @typedef {'queued' | 'sending' | 'sent' | 'delivered' | 'failed'} SmsStatus */
/** @typedef {'invitation' | 'reminder' | 'reschedule' | 'cancellation' | 'join_code'} SmsKind */

/**
 * The delivery of one SMS, as the participant's invitation and the outbox show it.
 * @typedef {Object} SmsDelivery
 * @property {SmsStatus} status
 * @property {number} attempts
 * @property {string | null} last_error the last failure, in the gateway's words
 * @property {string | null} sent_at RFC 3339
 * @property {string | null} delivered_at RFC 3339
 * @property {string | null} next_attempt_at RFC 3339, when a failed message will be tried again
 */

/**
 * The latest notice that told the participant the hearing's current time (开庭通知, or 改期通知 after a new time).
 * @typedef {SmsDelivery & {message_id: string, kind: SmsKind}} Invitation
 */

/**
 * @typedef {Object} Participant
 * @property {string} id
 * @property {string} hearing_id
 * @property {string} name
 * @property {Role} role
 * @property {string | null} phone
 * @property {string | null} phone_masked
 * @property {string | null} id_number
 * @property {Invitation | null} [invitation] null until an invitation was queued
 * @property {string} created_at
 */

/**
 * @typedef {Object} HearingDetail
 * @property {string} id
 * @property {string} court_id
 * @property {Case} case
 * @property {string} meeting_number
 * @property {string} scheduled_at
 * @property {string} scheduled_local
 * @property {HearingState} state
 * @property {Transition[]} allowed_transitions
 * @property {BenchMember[]} bench
 * @property {Participant[]} participants
 * @property {string | null} [notices_sent_at] RFC 3339: when 开庭通知 were last sent, null before
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * @typedef {Object} ParticipantInput
 * @property {string} name
 * @property {Role} role
 * @property {string} [phone]
 * @property {string} [id_number]
 */

/**
 * @typedef {Object} NewHearing
 * @property {string} case_id
 * @property {string} scheduled_at court-local `YYYY-MM-DDTHH:MM` or RFC 3339
 * @property {string[]} judge_ids the first presides
 * @property {string} clerk_id
 * @property {ParticipantInput[]} [participants]
 */

/**
 * A participant `POST /hearings/{id}/invitations` did not send to.
 * @typedef {Object} SkippedParticipant
 * @property {string} participant_id
 * @property {string} name
 * @property {Role} role
 * @property {'no_phone' | string} reason
 */

/**
 * The answer of `POST /hearings/{id}/invitations`.
 * @typedef {Object} InvitationResult
 * @property {number} queued messages queued (0 when everyone was invited for the current time already)
 * @property {SkippedParticipant[]} skipped
 */

/**
 * One message of the court's SMS outbox.
 * @typedef {SmsDelivery & {
 *   id: string,
 *   hearing_id: string | null,
 *   participant_id: string | null,
 *   participant_name: string | null,
 *   phone_masked: string,
 *   text: string,
 *   kind: SmsKind,
 *   provider_id: string | null,
 *   created_at: string,
 * }} OutboxMessage
 */

/**
 * Filters of `GET /sms/outbox`.
 * @typedef {Object} OutboxQuery
 * @property {string} [hearing_id]
 * @property {SmsStatus} [status]
 * @property {number} [limit]
 */

/**
 * An `application/problem+json` error body.
 * @typedef {Object} Problem
 * @property {string} [type]
 * @property {string} [title]
 * @property {number} status
 * @property {string} [detail]
 * @property {string} code e.g. `validation_failed`, `invalid_credentials`; `network` when no answer came
 * @property {Partial<Record<'zh-CN' | 'en', string>>} [message]
 * @property {string} [field] the request field a validation error is about
 * @property {number} [retry_after] seconds to wait, from a 429 answer's `Retry-After` header
 */

/** @typedef {'presiding_judge' | 'judge' | 'clerk' | PartyRole} MemberRole */

/**
 * The answer of `POST /join` (获取验证码): the same whether or not the number and phone match.
 * @typedef {Object} JoinCodeRequested
 * @property {Partial<Record<'zh-CN' | 'en', string>>} message
 * @property {number} expires_in_seconds
 * @property {number} resend_after_seconds
 */

/**
 * The signed-in participant and their hearing (`GET /participant/me`).
 * @typedef {Object} ParticipantMe
 * @property {string} participant_id
 * @property {string} name
 * @property {PartyRole} role
 * @property {string} hearing_id
 * @property {string} meeting_number
 * @property {string} court_name
 * @property {string} case_number
 * @property {string} cause
 * @property {string} scheduled_at RFC 3339
 * @property {string} scheduled_local court-local `YYYY-MM-DD HH:MM`
 * @property {HearingState} state
 * @property {string | null} rules_confirmed_at
 * @property {string | null} checked_in_at
 */

/**
 * A hearing as the live channel describes it.
 * @typedef {Object} LiveHearing
 * @property {HearingState} state
 * @property {string} scheduled_at
 * @property {string} scheduled_local
 */

/**
 * One person of the live roster: the bench (staff) and the participants.
 * @typedef {Object} LiveMember
 * @property {'staff' | 'participant'} kind
 * @property {string} id user id (staff) or participant id
 * @property {string} name
 * @property {MemberRole} role
 * @property {boolean} connected
 * @property {boolean} rules_confirmed
 * @property {boolean} checked_in
 */

/**
 * Who the live channel says we are.
 * @typedef {Object} LiveYou
 * @property {'staff' | 'participant'} kind
 * @property {string} id
 * @property {string} name
 * @property {string} role a party role, or the staff account's role
 */

/**
 * A message of the live channel (server → client).
 * @typedef {{type: 'welcome', you: LiveYou, hearing_id: string}
 *   | {type: 'snapshot', seq: number, hearing: LiveHearing, members: LiveMember[]}
 *   | {type: 'state', seq: number, hearing: LiveHearing}
 *   | {type: 'roster', seq: number, members: LiveMember[]}
 *   | {type: 'replaced'}
 *   | {type: 'pong'}} LiveMessage
 */

export {};
