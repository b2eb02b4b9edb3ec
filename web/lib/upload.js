/**
 * The resumable evidence uploader: one `EvidenceUploader` per file. It starts the upload (`POST …/evidence/uploads`,
 * 证据名称 and 证明目的 with the file's name and size), then sends the file in 4 MiB chunks (`PATCH` with
 * `Upload-Offset`), sliced from the `File` as it goes (a file is never read into memory as a whole). An XMLHttpRequest
 * carries each chunk so that `upload.onprogress` moves the bar within a chunk.
 *
 * When the network drops (or a chunk stalls, or the server answers 5xx/429), the uploader says so (`paused`), waits —
 * for the browser's `online` event when it knows it is offline, else with a growing delay (1 s, 2 s, 4 s … 30 s) —
 * then asks the server where the upload stands (`GET`) and goes on from the server's offset; a 409
 * `offset_mismatch` answer carries that offset and is followed at once (without it: GET), as is a 400
 * `upload_interrupted` (the server saw a chunk break off). `cancel()` stops it and discards the server's
 * bytes (`DELETE`). A refusal (413 `file_too_large`, 415 `type_not_allowed`, 403, 409 `hearing_sealed`, 422 …) ends
 * the file with the server's problem (its message in Chinese and English). The last chunk's answer carries the new
 * Evidence.
 *
 * Pure logic + XMLHttpRequest/fetch: tests/e2e/upload.test.mjs runs it in node against a fake server.
 */

import { ApiError, UNAUTHENTICATED_EVENT } from './api.js';
import { CHUNK_SIZE, createUpload, deleteUpload, getUpload, uploadUrl } from './evidence.js';
import { backoffDelay } from './live.js';

/** @typedef {import('./types.js').Evidence} Evidence */
/** @typedef {import('./types.js').EvidenceUpload} EvidenceUpload */
/** @typedef {import('./types.js').Problem} Problem */

/**
 * `idle`: not started; `uploading`: sending (or creating, or asking where it stands); `paused`: the network is gone
 * or the server is unwell — it goes on by itself (网络中断，恢复后继续); `done`: the server made the Evidence;
 * `failed`: refused (or given up after many server errors); `cancelled`.
 * @typedef {'idle' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled'} UploadState
 */

/**
 * One chunk to send.
 * @typedef {Object} ChunkRequest
 * @property {string} url the upload's address
 * @property {number} offset where the chunk starts (the `Upload-Offset` header)
 * @property {Blob} body the chunk (a slice of the file)
 * @property {(loaded: number) => void} onProgress bytes of this chunk sent so far
 * @property {AbortSignal} signal aborts the request
 */

/**
 * The server's answer to a chunk (any status); a request that got no answer rejects with an `ApiError` of status 0.
 * @typedef {Object} ChunkResponse
 * @property {number} status
 * @property {unknown} body the parsed JSON body, or null
 */

/** @typedef {(request: ChunkRequest) => Promise<ChunkResponse>} SendChunk */

/**
 * @typedef {Object} UploaderOptions
 * @property {string} hearingId
 * @property {Blob} file the file (a `File`: its `name` is sent unless `fileName` is given)
 * @property {string} [fileName]
 * @property {string} title 证据名称
 * @property {string} [purpose] 证明目的
 * @property {number} [chunkSize] bytes per PATCH (default 4 MiB)
 * @property {(uploader: EvidenceUploader) => void} [onChange] called on every change of state or progress
 * @property {SendChunk} [sendChunk] how a chunk is sent (default: XMLHttpRequest)
 * @property {() => boolean} [isOnline] whether the browser thinks it is online (default: `navigator.onLine`)
 * @property {(signal: AbortSignal) => Promise<void>} [waitOnline] resolves when the browser is back online
 * @property {number} [minDelayMs] first retry delay (default 1 s)
 * @property {number} [maxDelayMs] longest retry delay (default 30 s)
 * @property {number} [maxServerErrors] server errors (5xx, 429) in a row before giving up (default 8)
 * @property {number} [stallMs] a chunk that sends nothing for this long is given up and resumed (default 60 s)
 */

/** Statuses after which the same request may succeed later. */
const TRANSIENT = new Set([0, 408, 425, 429, 500, 502, 503, 504]);

/** Times in a row the server may say `offset_mismatch` before the uploader slows down. */
const MISMATCH_LIMIT = 5;

/**
 * A problem from an answer's JSON (or our own words for a body that is not one).
 * @param {number} status
 * @param {unknown} body
 * @returns {Problem}
 */
export function problemFromBody(status, body) {
  if (body && typeof body === 'object' && typeof (/** @type {{code?: unknown}} */ (body).code) === 'string') {
    return { ...(/** @type {Problem} */ (body)), status: /** @type {Problem} */ (body).status || status };
  }
  return { status, code: `http_${status}` };
}

/**
 * Send a chunk with XMLHttpRequest (progress within the chunk; the stall timer restarts on every progress event).
 * @param {ChunkRequest & {stallMs?: number}} request
 * @returns {Promise<ChunkResponse>}
 */
export function xhrSendChunk({ url, offset, body, onProgress, signal, stallMs = 60_000 }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    let stalled = false;
    let settled = false;
    /** @param {number} ms */
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        xhr.abort();
      }, ms);
    };
    const onAbort = () => xhr.abort();
    /** @param {() => void} settle */
    const done = (settle) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    xhr.open('PATCH', url);
    xhr.setRequestHeader('Upload-Offset', String(offset));
    xhr.setRequestHeader('Content-Type', 'application/offset+octet-stream');
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.upload.onprogress = (event) => {
      arm(stallMs);
      onProgress(Math.min(event.loaded, body.size));
    };
    // Every byte is out: the server now checks (and, for the last chunk, sniffs) — give it longer.
    xhr.upload.onload = () => {
      onProgress(body.size);
      arm(stallMs * 5);
    };
    xhr.onload = () =>
      done(() => {
        /** @type {unknown} */
        let parsed = null;
        try {
          parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          parsed = null;
        }
        resolve({ status: xhr.status, body: parsed });
      });
    xhr.onerror = () => done(() => reject(new ApiError({ status: 0, code: 'network', detail: 'the chunk got no answer' })));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () =>
      done(() =>
        reject(new ApiError(stalled ? { status: 0, code: 'network', detail: 'the chunk stalled' } : { status: 0, code: 'aborted' })),
      );
    if (signal.aborted) {
      done(() => reject(new ApiError({ status: 0, code: 'aborted' })));
      return;
    }
    signal.addEventListener('abort', onAbort);
    arm(stallMs);
    xhr.send(body);
  });
}

/** @returns {boolean} */
function browserOnline() {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}

/**
 * Resolve on the window's next `online` event (or when aborted).
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function browserWaitOnline(signal) {
  return new Promise((resolve) => {
    if (typeof window === 'undefined' || !window.addEventListener) {
      resolve();
      return;
    }
    const finish = () => {
      window.removeEventListener('online', finish);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    window.addEventListener('online', finish);
    signal.addEventListener('abort', finish);
  });
}

/**
 * Wait `ms`, or less when aborted.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish);
  });
}

/** @param {unknown} error @returns {Problem} */
function problemOfError(error) {
  if (error instanceof ApiError) return error.problem;
  return { status: 0, code: 'client', detail: String(error) };
}

export class EvidenceUploader {
  #hearingId;
  #file;
  #fileName;
  #title;
  #purpose;
  #chunkSize;
  #onChange;
  #sendChunk;
  #isOnline;
  #waitOnline;
  #minDelayMs;
  #maxDelayMs;
  #maxServerErrors;
  /** @type {UploadState} */
  #state = 'idle';
  /** @type {EvidenceUpload | null} */
  #upload = null;
  /** The bytes the server holds (as far as we know). */
  #offset = 0;
  /** Bytes of the chunk under way sent so far. */
  #loaded = 0;
  /** Ask the server where the upload stands before the next chunk. */
  #sync = false;
  /** @type {Problem | null} */
  #problem = null;
  #refused = false;
  /** @type {Evidence | null} */
  #evidence = null;
  #cancelled = false;
  /** Aborts the request under way and any wait (cancel). */
  #abort = new AbortController();
  /** Wakes a wait early (retry now). */
  /** @type {AbortController | null} */
  #wake = null;
  /** @type {Promise<Evidence | null> | null} */
  #running = null;
  #resumes = 0;

  /** @param {UploaderOptions} options */
  constructor(options) {
    this.#hearingId = options.hearingId;
    this.#file = options.file;
    this.#fileName = options.fileName ?? /** @type {{name?: string}} */ (options.file).name ?? 'file';
    this.#title = options.title;
    this.#purpose = options.purpose ?? '';
    this.#chunkSize = Math.max(1, options.chunkSize ?? CHUNK_SIZE);
    this.#onChange = options.onChange ?? (() => {});
    const stallMs = options.stallMs ?? 60_000;
    this.#sendChunk = options.sendChunk ?? ((request) => xhrSendChunk({ ...request, stallMs }));
    this.#isOnline = options.isOnline ?? browserOnline;
    this.#waitOnline = options.waitOnline ?? browserWaitOnline;
    this.#minDelayMs = options.minDelayMs ?? 1_000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#maxServerErrors = options.maxServerErrors ?? 8;
  }

  /** @returns {UploadState} */
  get state() {
    return this.#state;
  }

  /** @returns {number} the file's size in bytes */
  get size() {
    return this.#file.size;
  }

  /** @returns {number} bytes sent (the server's offset plus the part of the chunk under way) */
  get sent() {
    return Math.min(this.size, this.#offset + this.#loaded);
  }

  /** @returns {number} 0..100, whole */
  get percent() {
    if (this.#state === 'done') return 100;
    return this.size > 0 ? Math.floor((this.sent / this.size) * 100) : 0;
  }

  /** @returns {Problem | null} why it failed */
  get problem() {
    return this.#problem;
  }

  /** @returns {boolean} failed because the server refused the file (trying again would not help) */
  get refused() {
    return this.#refused;
  }

  /** @returns {Evidence | null} the item made, once done */
  get evidence() {
    return this.#evidence;
  }

  /** @returns {string} the server's id of the upload ('' before it was created) */
  get uploadId() {
    return this.#upload?.id ?? '';
  }

  /** @returns {number} how many times it resumed after an interruption */
  get resumes() {
    return this.#resumes;
  }

  /**
   * Start (or go on after a failure that was not a refusal). Resolves with the Evidence, or null when it failed or
   * was cancelled (never rejects).
   * @returns {Promise<Evidence | null>}
   */
  start() {
    if (this.#running) return this.#running;
    if (this.#state === 'done' || this.#state === 'cancelled' || (this.#state === 'failed' && this.#refused)) {
      return Promise.resolve(this.#evidence);
    }
    this.#problem = null;
    if (this.#upload) this.#sync = true;
    this.#running = this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** While paused: try again now instead of waiting out the delay. */
  retryNow() {
    this.#wake?.abort();
  }

  /**
   * Stop, and let the server discard what it has.
   * @returns {Promise<void>}
   */
  async cancel() {
    if (this.#state === 'done' || this.#state === 'cancelled') return;
    this.#cancelled = true;
    this.#abort.abort();
    this.#setState('cancelled');
    const id = this.#upload?.id;
    if (id) {
      try {
        await deleteUpload(id);
      } catch {
        // Gone already, or offline: the server drops unfinished uploads by itself.
      }
    }
  }

  /** @param {UploadState} state */
  #setState(state) {
    if (this.#state === 'cancelled' && state !== 'cancelled') return;
    this.#state = state;
    this.#changed();
  }

  #changed() {
    try {
      this.#onChange(this);
    } catch (error) {
      console.error(error);
    }
  }

  /** @returns {Promise<Evidence | null>} */
  async #run() {
    this.#setState('uploading');
    let serverErrors = 0;
    let failures = 0;
    let mismatches = 0;
    for (;;) {
      if (this.#cancelled) return null;
      try {
        if (!this.#upload) {
          const upload = await createUpload(this.#hearingId, {
            file_name: this.#fileName,
            size: this.size,
            title: this.#title,
            purpose: this.#purpose,
          });
          this.#upload = upload;
          if (this.#cancelled) {
            await deleteUpload(upload.id).catch(() => {});
            return null;
          }
          this.#offset = upload.offset || 0;
          if (upload.evidence) return this.#finish(upload.evidence);
        } else if (this.#sync) {
          const upload = await getUpload(this.#upload.id);
          if (this.#cancelled) return null;
          this.#sync = false;
          this.#offset = upload.offset;
          this.#loaded = 0;
          this.#changed();
          if (upload.evidence) return this.#finish(upload.evidence);
          if (upload.offset >= this.size) {
            // Every byte is there but no item yet: the server is still finishing. Ask again in a moment.
            this.#sync = true;
            throw new ApiError({ status: 503, code: 'finishing' });
          }
        }
        const start = this.#offset;
        const end = Math.min(start + this.#chunkSize, this.size);
        this.#loaded = 0;
        const response = await this.#sendChunk({
          url: `/api/v1${uploadUrl(this.#upload.id)}`,
          offset: start,
          body: this.#file.slice(start, end),
          onProgress: (loaded) => {
            if (this.#cancelled || this.#offset !== start) return;
            this.#loaded = Math.max(0, Math.min(loaded, end - start));
            this.#changed();
          },
          signal: this.#abort.signal,
        });
        if (this.#cancelled) return null;
        this.#loaded = 0;
        if (response.status >= 200 && response.status < 300) {
          const upload = /** @type {EvidenceUpload} */ (response.body);
          if (!upload || typeof upload.offset !== 'number') throw new ApiError({ status: 502, code: 'bad_answer' });
          this.#upload = upload;
          this.#offset = upload.offset;
          serverErrors = 0;
          failures = 0;
          mismatches = 0;
          if (this.#state !== 'uploading') this.#setState('uploading');
          else this.#changed();
          if (upload.evidence) return this.#finish(upload.evidence);
          if (upload.offset >= this.size) this.#sync = true;
          continue;
        }
        const problem = problemFromBody(response.status, response.body);
        if (response.status === 409 && problem.code === 'offset_mismatch' && mismatches < MISMATCH_LIMIT) {
          // The server holds a different number of bytes than we thought (an answer lost on the way): go on from there.
          mismatches += 1;
          const offset = /** @type {{offset?: unknown}} */ (response.body ?? {}).offset;
          if (typeof offset === 'number' && offset >= 0 && offset <= this.size) this.#offset = offset;
          else this.#sync = true;
          this.#changed();
          continue;
        }
        if (response.status === 401 && problem.code === 'unauthenticated' && typeof window !== 'undefined' && window.dispatchEvent) {
          window.dispatchEvent(new CustomEvent(UNAUTHENTICATED_EVENT));
        }
        throw new ApiError(problem);
      } catch (error) {
        if (this.#cancelled) return null;
        const problem = problemOfError(error);
        if (problem.code === 'offset_mismatch') {
          // Mismatched again and again: slow down, then ask where it stands.
          mismatches = 0;
        } else if (problem.code === 'upload_interrupted') {
          // The server saw the chunk's body break off: it kept what arrived; ask where it stands.
        } else if (problem.code === 'upload_lost' && this.#upload) {
          // Several servers: the one holding this upload's bytes stopped. Start a new upload from the first byte.
          this.#upload = null;
          this.#offset = 0;
          this.#sync = false;
        } else if (!TRANSIENT.has(problem.status)) {
          return this.#fail(problem, problem.status >= 400 && problem.status < 500);
        }
        if (problem.status !== 0) {
          serverErrors += 1;
          if (serverErrors > this.#maxServerErrors) return this.#fail(problem, false);
        }
        failures += 1;
        if (this.#upload) this.#sync = true;
        this.#loaded = 0;
        this.#setState('paused');
        await this.#pause(failures);
        if (this.#cancelled) return null;
        this.#resumes += 1;
        this.#setState('uploading');
      }
    }
  }

  /**
   * Wait before trying again: for the browser to be online when it knows it is not, else a growing delay.
   * @param {number} failures in a row
   */
  async #pause(failures) {
    const wake = new AbortController();
    this.#wake = wake;
    const stop = () => wake.abort();
    this.#abort.signal.addEventListener('abort', stop);
    try {
      if (!this.#isOnline()) {
        // Offline: go on as soon as the browser says it is back (and look again now and then, should it not say).
        const either = new AbortController();
        const end = () => either.abort();
        wake.signal.addEventListener('abort', end);
        await Promise.race([this.#waitOnline(either.signal), sleep(this.#maxDelayMs, either.signal)]);
        either.abort();
        wake.signal.removeEventListener('abort', end);
        if (!wake.signal.aborted && this.#isOnline()) await sleep(Math.min(500, this.#minDelayMs), wake.signal);
      } else {
        await sleep(backoffDelay(failures - 1, this.#minDelayMs, this.#maxDelayMs), wake.signal);
      }
    } finally {
      this.#abort.signal.removeEventListener('abort', stop);
      if (this.#wake === wake) this.#wake = null;
    }
  }

  /**
   * @param {Evidence} evidence
   * @returns {Evidence}
   */
  #finish(evidence) {
    this.#evidence = evidence;
    this.#offset = this.size;
    this.#loaded = 0;
    this.#setState('done');
    return evidence;
  }

  /**
   * @param {Problem} problem
   * @param {boolean} refused
   * @returns {null}
   */
  #fail(problem, refused) {
    this.#problem = problem;
    this.#refused = refused;
    this.#loaded = 0;
    this.#setState('failed');
    return null;
  }
}
