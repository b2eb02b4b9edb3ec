/** The transcript API (庭审笔录): read versions, the clerk's save, confirmation, signatures and corrections. */

import { request } from './api.js';

/** @typedef {import('./types.js').Transcript} Transcript */
/** @typedef {import('./types.js').TranscriptSave} TranscriptSave */
/** @typedef {import('./types.js').TranscriptSaved} TranscriptSaved */
/** @typedef {import('./types.js').TranscriptVersionSummary} TranscriptVersionSummary */
/** @typedef {import('./types.js').Confirmation} Confirmation */
/** @typedef {import('./types.js').SignatureInput} SignatureInput */
/** @typedef {import('./types.js').SignatureSummary} SignatureSummary */
/** @typedef {import('./types.js').Correction} Correction */

/** @param {string} id */
const seg = (id) => encodeURIComponent(id);

/** @param {string} hearingId */
const base = (hearingId) => `/hearings/${seg(hearingId)}/transcript`;

/**
 * The latest version, or version `version`.
 * @param {string} hearingId
 * @param {number} [version]
 * @returns {Promise<Transcript>}
 */
export const getTranscript = async (hearingId, version) =>
  /** @type {Transcript} */ (
    await request('GET', version === undefined ? base(hearingId) : `${base(hearingId)}?version=${version}`)
  );

/**
 * The clerk saves the whole list of entries (409 `transcript_conflict` when `base_version` is not the latest).
 * @param {string} hearingId
 * @param {TranscriptSave} save
 * @returns {Promise<TranscriptSaved>}
 */
export const saveTranscript = async (hearingId, save) =>
  /** @type {TranscriptSaved} */ (await request('PUT', base(hearingId), save));

/**
 * Every version, newest first (staff).
 * @param {string} hearingId
 * @returns {Promise<TranscriptVersionSummary[]>}
 */
export const listTranscriptVersions = async (hearingId) =>
  /** @type {TranscriptVersionSummary[]} */ (await request('GET', `${base(hearingId)}/versions`));

/**
 * @param {string} hearingId
 * @returns {Promise<Confirmation>}
 */
export const getConfirmation = async (hearingId) =>
  /** @type {Confirmation} */ (await request('GET', `${base(hearingId)}/confirmation`));

/**
 * The court opens the transcript for confirmation: every participant gets a task (idempotent).
 * @param {string} hearingId
 * @returns {Promise<Confirmation>}
 */
export const openConfirmation = async (hearingId) =>
  /** @type {Confirmation} */ (await request('POST', `${base(hearingId)}/confirmation`, {}));

/**
 * A participant signs the version they were shown (409 `transcript_outdated` when a newer one exists).
 * @param {string} hearingId
 * @param {SignatureInput} signature
 * @returns {Promise<SignatureSummary>}
 */
export const submitSignature = async (hearingId, signature) =>
  /** @type {SignatureSummary} */ (await request('POST', `${base(hearingId)}/signatures`, signature));

/**
 * @param {string} hearingId
 * @returns {Promise<Correction[]>}
 */
export const listCorrections = async (hearingId) =>
  /** @type {Correction[]} */ (await request('GET', `${base(hearingId)}/corrections`));

/**
 * A participant asks for a correction (申请补正) of the version they were shown.
 * @param {string} hearingId
 * @param {number} version
 * @param {string} text
 * @returns {Promise<Correction>}
 */
export const requestCorrection = async (hearingId, version, text) =>
  /** @type {Correction} */ (await request('POST', `${base(hearingId)}/corrections`, { version, text }));

/**
 * The clerk accepts (after saving the corrected version) or refuses (with a reason) a correction request.
 * @param {string} hearingId
 * @param {string} correctionId
 * @param {boolean} accepted
 * @param {string} reason required when refusing
 * @returns {Promise<Correction>}
 */
export const resolveCorrection = async (hearingId, correctionId, accepted, reason) =>
  /** @type {Correction} */ (
    await request('POST', `${base(hearingId)}/corrections/${seg(correctionId)}/resolution`, { accepted, reason })
  );

/**
 * Where the signed PDF of a version (or the latest) is downloaded.
 * @param {string} hearingId
 * @param {number} [version]
 * @returns {string}
 */
export const transcriptPdfUrl = (hearingId, version) =>
  `/api/v1/hearings/${seg(hearingId)}/transcript.pdf${version === undefined ? '' : `?version=${version}`}`;
