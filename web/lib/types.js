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
 * @property {string} time_zone the court's, IANA, e.g. Asia/Shanghai: times are shown in it
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
 * @property {boolean} [muted] the court muted them: nobody receives their audio
 */

/**
 * A witness's call-in state after 传唤入庭 (`called_in: true`) or 退庭 (`false`).
 * @typedef {Object} CallInState
 * @property {string} participant_id
 * @property {boolean} called_in
 */

/**
 * A removal from the live hearing (移出庭审) done.
 * @typedef {Object} Removal
 * @property {string} participant_id
 * @property {string | null} reason
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
 * A message of the live channel (server → client). Beside the hearing and its roster: `transcript`, a version was
 * saved; `confirmation`, confirmation opened or a signature or correction request came or was answered;
 * `evidence`, an item changed (refetch the list); `presentation`, what is presented changed (null: nothing).
 * `roster` and `snapshot` list who is in the hearing (`members`); staff also get the witnesses who wait outside until
 * called in (`witnesses`: nobody else sees them, and a witness outside sees only their own entry in `members`).
 * `removed` (to the participant concerned only): the court removed them from the hearing (移出庭审), with its reason.
 * @typedef {{type: 'welcome', you: LiveYou, hearing_id: string}
 *   | {type: 'snapshot', seq: number, hearing: LiveHearing, members: LiveMember[], witnesses?: LiveMember[]}
 *   | {type: 'state', seq: number, hearing: LiveHearing}
 *   | {type: 'roster', seq: number, members: LiveMember[], witnesses?: LiveMember[]}
 *   | {type: 'removed', seq: number, to: string, reason: string | null}
 *   | {type: 'transcript', seq: number, version: number, sha256: string, saved_at: string}
 *   | {type: 'confirmation', seq: number, open: boolean, changed: 'opened' | 'signature' | 'correction'}
 *   | {type: 'evidence', seq: number, evidence_id: string, changed: 'added' | 'withdrawn' | 'admission' | 'opinion'}
 *   | {type: 'presentation', seq: number, presentation: Presentation | null}
 *   | {type: 'replaced'}
 *   | {type: 'pong'}} LiveMessage
 */

export {};

/**
 * One line of the transcript: who spoke (role and name) and what was said.
 * @typedef {Object} TranscriptEntry
 * @property {Role} role
 * @property {string} name
 * @property {string} text
 */

/**
 * The header the server fills from the hearing (the client never sends it).
 * @typedef {Object} TranscriptHeader
 * @property {string} court 法院, e.g. 北京市石景山区人民法院
 * @property {string} title 庭审笔录
 * @property {string} time 时间, court-local date as the seed writes it: 2020年03月12日
 * @property {string} place 地点: 互联网庭审
 * @property {string} cause 案由
 * @property {string} case_number 案号
 * @property {string[]} judges 审判人员 (names)
 * @property {string} clerk 书记员 (name)
 */

/**
 * A transcript version as read (`GET …/transcript[?version=N]`). Version 0 is the empty
 * draft before the first save (no hash, no time).
 * @typedef {Object} Transcript
 * @property {string} hearing_id
 * @property {number} version
 * @property {number} latest_version
 * @property {string | null} sha256 hex SHA-256 of the version's canonical form
 * @property {string | null} saved_at RFC 3339
 * @property {string | null} saved_by display name of the clerk who saved it
 * @property {TranscriptHeader} header
 * @property {string} opening_note the seed's note: (开庭审理前，书记员应当查明…)
 * @property {TranscriptEntry[]} entries
 * @property {{open: boolean, opened_at: string | null}} confirmation
 */

/**
 * The clerk's save (`PUT …/transcript`): the whole list of entries, the version it was
 * edited from, and a client-made id so that a resent save is recognised.
 * @typedef {Object} TranscriptSave
 * @property {number} base_version
 * @property {string} save_id UUID
 * @property {TranscriptEntry[]} entries
 */

/**
 * @typedef {Object} TranscriptSaved
 * @property {number} version
 * @property {string} sha256
 * @property {string} saved_at
 * @property {boolean} created false when nothing changed or the save_id was seen before
 */

/**
 * @typedef {Object} TranscriptVersionSummary
 * @property {number} version
 * @property {string} sha256
 * @property {string} saved_at
 * @property {string} saved_by
 * @property {number} entry_count
 */

/**
 * @typedef {Object} SignatureSummary
 * @property {string} id
 * @property {number} version the version signed
 * @property {string} sha256 that version's hash
 * @property {string} signed_at
 * @property {string} image_url PNG of the handwriting
 */

/**
 * @typedef {'pending' | 'accepted' | 'refused'} CorrectionStatus
 */

/**
 * A 申请补正: a participant asks for the transcript to be corrected instead of signing.
 * @typedef {Object} Correction
 * @property {string} id
 * @property {string} participant_id
 * @property {string} name
 * @property {Role} role
 * @property {number} version the version it is about
 * @property {string} text
 * @property {string} requested_at
 * @property {CorrectionStatus} status
 * @property {string | null} reason the clerk's reason when refused (or note when accepted)
 * @property {string | null} resolved_at
 * @property {number | null} resolved_version the version that carries the correction
 */

/**
 * `signed`: signed the latest version; `outdated`: signed an older one and must sign
 * again; `correction_requested`: waits for the clerk's answer; `pending`: not yet.
 * @typedef {'pending' | 'signed' | 'outdated' | 'correction_requested'} ConfirmationStatus
 */

/**
 * @typedef {Object} ConfirmationTask
 * @property {string} participant_id
 * @property {string} name
 * @property {Role} role
 * @property {ConfirmationStatus} status
 * @property {SignatureSummary | null} signature the participant's latest signature
 * @property {Correction | null} correction the participant's latest correction request
 */

/**
 * @typedef {Object} Confirmation
 * @property {boolean} open
 * @property {string | null} opened_at
 * @property {number} version the latest version (the one to sign)
 * @property {string | null} sha256
 * @property {ConfirmationTask[]} tasks one per participant (not the bench)
 */

/**
 * A point of a handwritten stroke: canvas pixels, milliseconds since the stroke
 * began, pressure 0..1 (0.5 where the device has none).
 * @typedef {Object} StrokePoint
 * @property {number} x
 * @property {number} y
 * @property {number} t
 * @property {number} p
 */

/**
 * @typedef {Object} SignatureInput
 * @property {number} version the version shown while signing
 * @property {string} sha256 its hash
 * @property {number} width canvas width in CSS pixels
 * @property {number} height canvas height in CSS pixels
 * @property {StrokePoint[][]} strokes
 * @property {string} image `data:image/png;base64,…` of the canvas
 */

/** @typedef {'image' | 'pdf' | 'audio' | 'video' | 'document' | 'text'} EvidenceKind */
/** @typedef {'submitted' | 'withdrawn'} EvidenceStatus */
/** @typedef {'pending' | 'admitted' | 'not_admitted'} EvidenceAdmission */
/**
 * 认可 / 不认可 / 不清楚
 * @typedef {'agree' | 'disagree' | 'unclear'} OpinionAnswer
 */

/**
 * Who submitted an item: a staff member (judge, clerk) or a participant.
 * @typedef {Object} EvidenceSubmitter
 * @property {'staff' | 'participant'} kind
 * @property {string} id user id (staff) or participant id
 * @property {string} name
 * @property {string} role a participant's role, or the bench role / staff account's role
 */

/**
 * A party's 质证意见 on one item: 真实性 (authenticity), 合法性 (legality), 关联性 (relevance), and a text.
 * @typedef {Object} Opinion
 * @property {string} id
 * @property {string} evidence_id
 * @property {string} participant_id
 * @property {string} name
 * @property {Role} role
 * @property {OpinionAnswer} authenticity
 * @property {OpinionAnswer} legality
 * @property {OpinionAnswer} relevance
 * @property {string} text
 * @property {string} given_at RFC 3339
 */

/**
 * @typedef {Object} OpinionInput
 * @property {OpinionAnswer} authenticity
 * @property {OpinionAnswer} legality
 * @property {OpinionAnswer} relevance
 * @property {string} text 0..2000 characters
 */

/**
 * One piece of evidence (证据): never deleted, only withdrawn.
 * @typedef {Object} Evidence
 * @property {string} id
 * @property {string} hearing_id
 * @property {number} number 1, 2, 3 … per hearing (证据一, 证据二 …)
 * @property {string} title 证据名称
 * @property {string} purpose 证明目的
 * @property {string} file_name the original name (sanitised)
 * @property {string} media_type sniffed from the content, e.g. application/pdf
 * @property {EvidenceKind} kind
 * @property {number} size bytes
 * @property {string} sha256 hex
 * @property {EvidenceSubmitter} submitted_by
 * @property {string} submitted_at RFC 3339
 * @property {EvidenceStatus} status
 * @property {string | null} withdrawn_at
 * @property {string | null} [withdraw_reason]
 * @property {EvidenceAdmission} admission
 * @property {string | null} admission_reason
 * @property {Opinion[]} opinions
 * @property {string} content_url the bytes (preview; `?download=1` downloads with the original name)
 */

/**
 * The start of an upload (`POST …/evidence/uploads`).
 * @typedef {Object} NewEvidenceUpload
 * @property {string} file_name
 * @property {number} size bytes
 * @property {string} title 证据名称, 1..100 characters
 * @property {string} purpose 证明目的, 0..2000 characters
 */

/**
 * Where a resumable upload stands; `evidence` is set once the last bytes were taken and the item made.
 * @typedef {Object} EvidenceUpload
 * @property {string} id
 * @property {string} hearing_id
 * @property {string} file_name
 * @property {number} size
 * @property {number} offset the bytes the server holds
 * @property {string} title
 * @property {string} purpose
 * @property {string} created_at
 * @property {Evidence | null} evidence
 */

/**
 * An item presented to everyone (展示): at a PDF page or a media time.
 * @typedef {Object} Presentation
 * @property {string} evidence_id
 * @property {number | null} page
 * @property {number | null} time seconds
 * @property {string} by the presenter's name
 * @property {string} at RFC 3339
 */

/**
 * @typedef {Object} PresentationInput
 * @property {number} [page]
 * @property {number} [time]
 */
