/**
 * The evidence API (证据, issue 6): the list, the resumable upload's calls (the uploader itself is lib/upload.js),
 * withdrawal, admission, cross-examination opinions (质证意见), presenting an item to everyone, and the addresses of
 * an item's content and of the whole set as a ZIP. Plus the small pure helpers the pages share: 证据一 numbering, sizes,
 * the title a file name suggests.
 */

import { request } from './api.js';

/** @typedef {import('./types.js').Evidence} Evidence */
/** @typedef {import('./types.js').EvidenceUpload} EvidenceUpload */
/** @typedef {import('./types.js').NewEvidenceUpload} NewEvidenceUpload */
/** @typedef {import('./types.js').Opinion} Opinion */
/** @typedef {import('./types.js').OpinionInput} OpinionInput */
/** @typedef {import('./types.js').Presentation} Presentation */
/** @typedef {import('./types.js').PresentationInput} PresentationInput */

/** The client sends the bytes in chunks of this size (the server takes up to 16 MiB per request). */
export const CHUNK_SIZE = 4 * 1024 * 1024;

/** What the picker offers: the kinds the server accepts (it sniffs the content; this is only the picker's filter). */
export const ACCEPT = 'image/*,application/pdf,audio/*,video/*,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt';

/** Longest 证据名称 and 证明目的 the server takes. */
export const TITLE_MAX = 100;
export const PURPOSE_MAX = 2000;
/** Longest text of an opinion (质证意见). */
export const OPINION_MAX = 2000;

/** Roles of the participants who may submit evidence and give opinions (the parties). */
export const PARTY_ROLES = new Set(['plaintiff', 'defendant', 'third_party', 'agent']);

/** @param {string} id */
const seg = (id) => encodeURIComponent(id);

/** @param {string} hearingId */
const base = (hearingId) => `/hearings/${seg(hearingId)}/evidence`;

/**
 * Every item of the hearing, by number (withdrawn ones too).
 * @param {string} hearingId
 * @returns {Promise<Evidence[]>}
 */
export const listEvidence = async (hearingId) => /** @type {Evidence[]} */ (await request('GET', base(hearingId)));

/**
 * Start an upload (证据名称, 证明目的, the file's name and size): the answer says where to send the bytes.
 * @param {string} hearingId
 * @param {NewEvidenceUpload} input
 * @returns {Promise<EvidenceUpload>}
 */
export const createUpload = async (hearingId, input) =>
  /** @type {EvidenceUpload} */ (await request('POST', `${base(hearingId)}/uploads`, input));

/**
 * Where an upload stands (its `offset`: the bytes the server holds).
 * @param {string} uploadId
 * @returns {Promise<EvidenceUpload>}
 */
export const getUpload = async (uploadId) => /** @type {EvidenceUpload} */ (await request('GET', uploadUrl(uploadId)));

/**
 * Cancel an upload: the server discards its bytes.
 * @param {string} uploadId
 * @returns {Promise<void>}
 */
export const deleteUpload = async (uploadId) => {
  await request('DELETE', uploadUrl(uploadId));
};

/**
 * The address of an upload below /api/v1 (PATCH sends the next bytes there).
 * @param {string} uploadId
 * @returns {string}
 */
export const uploadUrl = (uploadId) => `/evidence/uploads/${seg(uploadId)}`;

/**
 * The submitter withdraws an item (撤回): it stays in the list, marked withdrawn.
 * @param {string} hearingId
 * @param {string} evidenceId
 * @param {string} [reason]
 * @returns {Promise<Evidence>}
 */
export const withdrawEvidence = async (hearingId, evidenceId, reason) =>
  /** @type {Evidence} */ (await request('POST', `${base(hearingId)}/${seg(evidenceId)}/withdrawal`, reason ? { reason } : {}));

/**
 * A judge admits (采纳) or does not admit (不予采纳) an item.
 * @param {string} hearingId
 * @param {string} evidenceId
 * @param {boolean} admitted
 * @param {string} [reason]
 * @returns {Promise<Evidence>}
 */
export const decideAdmission = async (hearingId, evidenceId, admitted, reason) =>
  /** @type {Evidence} */ (
    await request('POST', `${base(hearingId)}/${seg(evidenceId)}/admission`, reason ? { admitted, reason } : { admitted })
  );

/**
 * A party's 质证意见 on an item submitted by someone else (a second one replaces the first).
 * @param {string} hearingId
 * @param {string} evidenceId
 * @param {OpinionInput} opinion
 * @returns {Promise<Opinion>}
 */
export const giveOpinion = async (hearingId, evidenceId, opinion) =>
  /** @type {Opinion} */ (await request('POST', `${base(hearingId)}/${seg(evidenceId)}/opinions`, opinion));

/**
 * Present an item to everyone (judge or clerk), at a PDF page or a media time.
 * @param {string} hearingId
 * @param {string} evidenceId
 * @param {PresentationInput} [at]
 * @returns {Promise<Presentation | null>}
 */
export const presentEvidence = async (hearingId, evidenceId, at = {}) =>
  /** @type {Presentation | null} */ (await request('POST', `${base(hearingId)}/${seg(evidenceId)}/presentation`, at));

/**
 * Stop presenting.
 * @param {string} hearingId
 * @returns {Promise<void>}
 */
export const stopPresentation = async (hearingId) => {
  await request('DELETE', `${base(hearingId)}/presentation`);
};

/**
 * What is being presented now, or null.
 * @param {string} hearingId
 * @returns {Promise<Presentation | null>}
 */
export const getPresentation = async (hearingId) =>
  /** @type {Presentation | null} */ (await request('GET', `${base(hearingId)}/presentation`));

/**
 * Where every item's file and a manifest.csv are downloaded as one ZIP (staff).
 * @param {string} hearingId
 * @returns {string}
 */
export const evidenceZipUrl = (hearingId) => `/api/v1/hearings/${seg(hearingId)}/evidence.zip`;

/**
 * The address that downloads an item with its original name (the preview's fallback).
 * @param {Evidence} evidence
 * @returns {string}
 */
export function downloadUrl(evidence) {
  const url = evidence.content_url;
  return `${url}${url.includes('?') ? '&' : '?'}download=1`;
}

/**
 * The content's address at a PDF page (the browser's viewer reads `#page=N`).
 * @param {Evidence} evidence
 * @param {number | null | undefined} page
 * @returns {string}
 */
export function pageUrl(evidence, page) {
  return page && page > 0 ? `${evidence.content_url}#page=${Math.floor(page)}` : evidence.content_url;
}

const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/**
 * A number in Chinese numerals, as evidence is numbered (证据一, 证据十二, 证据一百零五).
 * @param {number} n a whole number, 1..9999 (others are written in digits)
 * @returns {string}
 */
export function chineseNumeral(n) {
  if (!Number.isInteger(n) || n < 1 || n > 9999) return String(n);
  if (n < 10) return /** @type {string} */ (DIGITS[n]);
  if (n < 20) return `十${n % 10 ? DIGITS[n % 10] : ''}`;
  const units = ['', '十', '百', '千'];
  const digits = String(n).split('').map(Number);
  let out = '';
  let zero = false;
  digits.forEach((d, i) => {
    const unit = units[digits.length - 1 - i];
    if (d === 0) {
      zero = true;
      return;
    }
    if (zero && out) out += '零';
    zero = false;
    out += `${DIGITS[d]}${unit}`;
  });
  return out;
}

/**
 * The numeral of an item's label in a language: 一 (证据一) in Chinese, 1 (Evidence 1) otherwise.
 * @param {number} number
 * @param {string} lang
 * @returns {string}
 */
export function evidenceNumeral(number, lang) {
  return lang === 'zh-CN' ? chineseNumeral(number) : String(number);
}

/**
 * A size for people: 812 B, 35.2 KB, 12.0 MB, 1.50 GB.
 * @param {number} bytes
 * @returns {string}
 */
export function formatSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 1 : unit >= 2 ? 2 : 1)} ${units[unit]}`;
}

/**
 * The 证据名称 a file name suggests: the name without its extension, trimmed to the longest title.
 * @param {string} fileName
 * @returns {string}
 */
export function titleFromFileName(fileName) {
  const name = fileName.split(/[\\/]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  const stem = (dot > 0 ? name.slice(0, dot) : name).trim();
  return [...stem].slice(0, TITLE_MAX).join('');
}

/**
 * The short form of a SHA-256 shown in lists (the full one is in the title and on tap).
 * @param {string} sha256
 * @returns {string}
 */
export function shortSha(sha256) {
  return sha256.length > 16 ? `${sha256.slice(0, 8)}…${sha256.slice(-8)}` : sha256;
}

/**
 * Seconds as m:ss or h:mm:ss (a media time).
 * @param {number} seconds
 * @returns {string}
 */
export function formatTime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * Read a media time typed as seconds, m:ss or h:mm:ss.
 * @param {string} text
 * @returns {number | null} seconds, or null when empty or unreadable
 */
export function parseTime(text) {
  const value = text.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(value);
  if (!match) return null;
  const [, h, m, s] = match;
  if (Number(s) >= 60 || (h !== undefined && Number(m) >= 60)) return null;
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s);
}
