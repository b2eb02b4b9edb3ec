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

/**
 * @typedef {Object} Participant
 * @property {string} id
 * @property {string} hearing_id
 * @property {string} name
 * @property {Role} role
 * @property {string | null} phone
 * @property {string | null} phone_masked
 * @property {string | null} id_number
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
 * An `application/problem+json` error body.
 * @typedef {Object} Problem
 * @property {string} [type]
 * @property {string} [title]
 * @property {number} status
 * @property {string} [detail]
 * @property {string} code e.g. `validation_failed`, `invalid_credentials`; `network` when no answer came
 * @property {Partial<Record<'zh-CN' | 'en', string>>} [message]
 * @property {string} [field] the request field a validation error is about
 */

export {};
