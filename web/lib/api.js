/** Fetch wrapper for the cloudcourt JSON API (/api/v1): same-origin cookies, JSON in and out, problems thrown as ApiError. */

/** @typedef {import('./types.js').Problem} Problem */
/** @typedef {import('./types.js').Session} Session */
/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Case} Case */
/** @typedef {import('./types.js').HearingSummary} HearingSummary */
/** @typedef {import('./types.js').HearingDetail} HearingDetail */
/** @typedef {import('./types.js').Participant} Participant */
/** @typedef {import('./types.js').ParticipantInput} ParticipantInput */
/** @typedef {import('./types.js').NewHearing} NewHearing */
/** @typedef {import('./types.js').Transition} Transition */
/** @typedef {import('./types.js').InvitationResult} InvitationResult */
/** @typedef {import('./types.js').OutboxMessage} OutboxMessage */
/** @typedef {import('./types.js').OutboxQuery} OutboxQuery */
/** @typedef {import('./types.js').JoinCodeRequested} JoinCodeRequested */
/** @typedef {import('./types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('./types.js').CallInState} CallInState */
/** @typedef {import('./types.js').Removal} Removal */

const BASE = '/api/v1';

/** Fired on `window` when the server says the session is gone (401 `unauthenticated`). */
export const UNAUTHENTICATED_EVENT = 'cc-unauthenticated';

/** An error answer from the API (or no answer at all: status 0, code `network`). */
export class ApiError extends Error {
  /**
   * @param {Problem} problem
   */
  constructor(problem) {
    super(problem.detail || problem.title || problem.code || `HTTP ${problem.status}`);
    this.name = 'ApiError';
    /** @type {Problem} */
    this.problem = problem;
  }

  /** @returns {number} */
  get status() {
    return this.problem.status;
  }

  /** @returns {string} */
  get code() {
    return this.problem.code;
  }
}

/**
 * Call the API.
 * @param {'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'} method
 * @param {string} path below /api/v1, starting with `/`
 * @param {unknown} [body] sent as JSON when given
 * @returns {Promise<unknown>} the parsed JSON body, or `null` for an empty one (204)
 */
export async function request(method, path, body) {
  /** @type {RequestInit} */
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json, application/problem+json' },
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  /** @type {Response} */
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (cause) {
    throw new ApiError({ status: 0, code: 'network', detail: String(cause) });
  }
  const text = await response.text();
  /** @type {unknown} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    /** @type {Problem} */
    const problem = isProblem(data)
      ? { ...data, status: data.status || response.status }
      : { status: response.status, code: `http_${response.status}`, detail: text.slice(0, 200) };
    const retryAfter = Number(response.headers.get('Retry-After'));
    if (response.status === 429 && retryAfter > 0) problem.retry_after = retryAfter;
    if (response.status === 401 && problem.code === 'unauthenticated') {
      window.dispatchEvent(new CustomEvent(UNAUTHENTICATED_EVENT));
    }
    throw new ApiError(problem);
  }
  return data;
}

/**
 * @param {unknown} data
 * @returns {data is Problem}
 */
function isProblem(data) {
  return typeof data === 'object' && data !== null && typeof (/** @type {{code?: unknown}} */ (data).code) === 'string';
}

/** @param {string} id */
const seg = (id) => encodeURIComponent(id);

/**
 * @param {string} username
 * @param {string} password
 * @returns {Promise<Session>}
 */
export const login = async (username, password) =>
  /** @type {Session} */ (await request('POST', '/session', { username, password }));

/** @returns {Promise<void>} */
export const logout = async () => {
  await request('DELETE', '/session');
};

/** @returns {Promise<Session>} */
export const me = async () => /** @type {Session} */ (await request('GET', '/me'));

/** @returns {Promise<User[]>} */
export const listStaff = async () => /** @type {User[]} */ (await request('GET', '/staff'));

/** @returns {Promise<Case[]>} newest first */
export const listCases = async () => /** @type {Case[]} */ (await request('GET', '/cases'));

/**
 * @param {{case_number: string, cause: string}} input
 * @returns {Promise<Case>}
 */
export const createCase = async (input) => /** @type {Case} */ (await request('POST', '/cases', input));

/** @returns {Promise<HearingSummary[]>} */
export const listHearings = async () => /** @type {HearingSummary[]} */ (await request('GET', '/hearings'));

/**
 * @param {string} id
 * @returns {Promise<HearingDetail>}
 */
export const getHearing = async (id) => /** @type {HearingDetail} */ (await request('GET', `/hearings/${seg(id)}`));

/**
 * @param {NewHearing} input
 * @returns {Promise<HearingDetail>}
 */
export const createHearing = async (input) => /** @type {HearingDetail} */ (await request('POST', '/hearings', input));

/**
 * @param {string} id
 * @param {string} scheduledAt court-local `YYYY-MM-DDTHH:MM`
 * @returns {Promise<HearingDetail>}
 */
export const rescheduleHearing = async (id, scheduledAt) =>
  /** @type {HearingDetail} */ (await request('PATCH', `/hearings/${seg(id)}`, { scheduled_at: scheduledAt }));

/**
 * @param {string} id
 * @param {Transition} transition
 * @returns {Promise<HearingDetail>}
 */
export const transitionHearing = async (id, transition) =>
  /** @type {HearingDetail} */ (await request('POST', `/hearings/${seg(id)}/transitions`, { transition }));

/**
 * @param {string} hearingId
 * @param {ParticipantInput} input
 * @returns {Promise<Participant>}
 */
export const addParticipant = async (hearingId, input) =>
  /** @type {Participant} */ (await request('POST', `/hearings/${seg(hearingId)}/participants`, input));

/**
 * @param {string} hearingId
 * @param {string} participantId
 * @param {ParticipantInput} input full replacement
 * @returns {Promise<Participant>}
 */
export const updateParticipant = async (hearingId, participantId, input) =>
  /** @type {Participant} */ (
    await request('PATCH', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}`, input)
  );

/**
 * @param {string} hearingId
 * @param {string} participantId
 * @returns {Promise<void>}
 */
export const deleteParticipant = async (hearingId, participantId) => {
  await request('DELETE', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}`);
};

/**
 * Send the invitation SMS (开庭通知) to every participant not yet invited for the hearing's current time.
 * @param {string} hearingId
 * @returns {Promise<InvitationResult>}
 */
export const sendInvitations = async (hearingId) =>
  /** @type {InvitationResult} */ (await request('POST', `/hearings/${seg(hearingId)}/invitations`, {}));

/**
 * Send one participant's invitation again.
 * @param {string} hearingId
 * @param {string} participantId
 * @returns {Promise<void>}
 */
export const resendInvitation = async (hearingId, participantId) => {
  await request('POST', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}/invitation`, {});
};

/**
 * The court's SMS outbox, newest first.
 * @param {OutboxQuery} [query]
 * @returns {Promise<OutboxMessage[]>}
 */
export const listOutbox = async (query = {}) => {
  const params = new URLSearchParams();
  if (query.hearing_id) params.set('hearing_id', query.hearing_id);
  if (query.status) params.set('status', query.status);
  if (query.limit) params.set('limit', String(query.limit));
  const search = params.toString();
  return /** @type {OutboxMessage[]} */ (await request('GET', `/sms/outbox${search ? `?${search}` : ''}`));
};

// ---------- participants (进入庭审): the participant client at /join ----------

/**
 * Ask for a one-time code by SMS (获取验证码). The answer is the same whether or not the number and phone match.
 * @param {string} meetingNumber 8 digits
 * @param {string} phone
 * @returns {Promise<JoinCodeRequested>}
 */
export const requestJoinCode = async (meetingNumber, phone) =>
  /** @type {JoinCodeRequested} */ (await request('POST', '/join', { meeting_number: meetingNumber, phone }));

/**
 * Enter with the code (进入庭审): opens the participant session (an HttpOnly cookie).
 * @param {string} meetingNumber
 * @param {string} phone
 * @param {string} code 6 digits
 * @returns {Promise<ParticipantMe>}
 */
export const verifyJoinCode = async (meetingNumber, phone, code) =>
  /** @type {ParticipantMe} */ (await request('POST', '/join/verify', { meeting_number: meetingNumber, phone, code }));

/** @returns {Promise<ParticipantMe>} the signed-in participant (401 without a session, 410 once the hearing is over) */
export const participantMe = async () => /** @type {ParticipantMe} */ (await request('GET', '/participant/me'));

/** @returns {Promise<void>} leave the hearing: ends the participant session */
export const leaveHearing = async () => {
  await request('DELETE', '/participant/me');
};

/** @returns {Promise<ParticipantMe>} after confirming the court rules (法庭纪律) */
export const confirmRules = async () => /** @type {ParticipantMe} */ (await request('POST', '/participant/rules', {}));

/**
 * 静音 / 取消静音: the SFU stops (or resumes) forwarding the participant's audio to everyone.
 * @param {string} hearingId
 * @param {string} participantId
 * @param {boolean} muted
 * @returns {Promise<{participant_id: string, muted: boolean}>}
 */
export const muteParticipant = async (hearingId, participantId, muted) =>
  /** @type {{participant_id: string, muted: boolean}} */ (
    await request('POST', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}/mute`, { muted })
  );

/**
 * Staff admit a participant from the waiting room (签到, 准许入庭).
 * @param {string} hearingId
 * @param {string} participantId
 * @returns {Promise<Participant>}
 */
export const checkInParticipant = async (hearingId, participantId) =>
  /** @type {Participant} */ (await request('POST', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}/check-in`, {}));

/**
 * 传唤入庭 (`calledIn`) or 退庭: a witness enters the hearing room (gets media, appears on every screen) or leaves it.
 * @param {string} hearingId
 * @param {string} participantId a witness
 * @param {boolean} calledIn
 * @returns {Promise<CallInState>}
 */
export const callInWitness = async (hearingId, participantId, calledIn) =>
  /** @type {CallInState} */ (
    await request('POST', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}/call-in`, { called_in: calledIn })
  );

/**
 * 移出庭审: the participant goes back to the waiting room (admission taken back, media ended) until admitted again.
 * @param {string} hearingId
 * @param {string} participantId
 * @param {string} [reason] optional, at most 200 characters
 * @returns {Promise<Removal>}
 */
export const removeFromHearing = async (hearingId, participantId, reason) =>
  /** @type {Removal} */ (
    await request('POST', `/hearings/${seg(hearingId)}/participants/${seg(participantId)}/removal`, reason ? { reason } : {})
  );
