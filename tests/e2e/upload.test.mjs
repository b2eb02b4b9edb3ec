/**
 * The resumable evidence uploader (web/lib/upload.js) without a browser: a fake server behind a fake `fetch` and a
 * fake `XMLHttpRequest` speaks the upload protocol of notes/evidence-contract.md (POST / PATCH with Upload-Offset /
 * GET / DELETE). The uploader sends 4 MiB slices of the file and never reads it whole; moves its progress within a
 * chunk; resumes from the server's offset after an answer is lost, after a 409 `offset_mismatch`, and when the browser
 * comes back online; retries server errors with backoff and gives up after too many; ends a refused file with the
 * server's message; and cancels (DELETE).
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, test } from 'node:test';

// ---------- the little of the browser that upload.js touches ----------

const win = new EventTarget();
let online = true;
Object.assign(globalThis, { window: win });
Object.defineProperty(globalThis, 'navigator', { configurable: true, get: () => ({ onLine: online }) });

const MiB = 1024 * 1024;
const HEARING = 'h-1';

/**
 * @typedef {Object} ServerUpload
 * @property {string} id
 * @property {number} size
 * @property {number} offset
 * @property {string} title
 * @property {string} purpose
 * @property {string} file_name
 * @property {Buffer[]} parts
 * @property {object | null} evidence
 */

/** A fake evidence server: the uploads it holds, the requests it saw, and faults the test plants. */
class FakeServer {
  /** @type {Map<string, ServerUpload>} */
  uploads = new Map();
  /** @type {{method: string, path: string, offset?: number, length?: number}[]} */
  log = [];
  /** Faults for the coming PATCH requests, by their number (1-based) among all PATCHes. */
  /** @type {Map<number, 'lost-before' | 'lost-after' | 'advance' | 'error-503' | 'stall' | 'interrupted' | 'node-gone'>} */
  faults = new Map();
  /** Answer every PATCH with this status (server trouble) while set. */
  failAll = 0;
  patches = 0;
  max = 2 * 1024 * MiB;
  next = 1;
  /** The bytes of the file being uploaded (for the `advance` fault: the server quietly took more). */
  /** @type {Buffer | null} */
  source = null;

  reset() {
    this.uploads.clear();
    this.log = [];
    this.faults.clear();
    this.failAll = 0;
    this.patches = 0;
    this.source = null;
  }

  /** @param {ServerUpload} u */
  view(u) {
    return {
      id: u.id,
      hearing_id: HEARING,
      file_name: u.file_name,
      size: u.size,
      offset: u.offset,
      title: u.title,
      purpose: u.purpose,
      created_at: '2026-01-01T00:00:00Z',
      evidence: u.evidence,
    };
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {any} body
   * @returns {{status: number, body: any}}
   */
  json(method, path, body) {
    this.log.push({ method, path });
    if (method === 'POST' && path === `/api/v1/hearings/${HEARING}/evidence/uploads`) {
      if (body.size > this.max) {
        return problem(413, 'file_too_large', '文件过大，单个证据文件不能超过 2 GB', 'The file is too large: at most 2 GB per item.');
      }
      if (!body.title) return problem(422, 'validation_failed', '请填写证据名称', 'Please give the evidence a name.', 'title');
      const id = `u-${this.next++}`;
      /** @type {ServerUpload} */
      const upload = { id, size: body.size, offset: 0, title: body.title, purpose: body.purpose, file_name: body.file_name, parts: [], evidence: null };
      this.uploads.set(id, upload);
      return { status: 201, body: this.view(upload) };
    }
    const match = /^\/api\/v1\/evidence\/uploads\/([^/]+)$/.exec(path);
    const upload = match ? this.uploads.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (!upload) return problem(404, 'not_found', '上传不存在', 'No such upload.');
    if (method === 'GET') return { status: 200, body: this.view(upload) };
    if (method === 'DELETE') {
      this.uploads.delete(upload.id);
      return { status: 204, body: null };
    }
    return problem(405, 'method_not_allowed', '不支持', 'Not allowed.');
  }

  /**
   * @param {string} path
   * @param {number} offset the Upload-Offset header
   * @param {Buffer} bytes
   * @returns {{status: number, body: any}}
   */
  patch(path, offset, bytes) {
    this.log.push({ method: 'PATCH', path, offset, length: bytes.length });
    const match = /^\/api\/v1\/evidence\/uploads\/([^/]+)$/.exec(path);
    const upload = match ? this.uploads.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (!upload) return problem(404, 'not_found', '上传不存在', 'No such upload.');
    if (this.failAll) return problem(this.failAll, 'unavailable', '服务暂不可用', 'Service unavailable.');
    if (offset !== upload.offset) {
      return { status: 409, body: { ...problem(409, 'offset_mismatch', '上传位置不一致', 'Offset mismatch.').body, offset: upload.offset } };
    }
    upload.parts.push(bytes);
    upload.offset += bytes.length;
    if (upload.offset < upload.size) return { status: 200, body: this.view(upload) };
    const all = Buffer.concat(upload.parts);
    if (all[0] === 0x4d && all[1] === 0x5a) {
      this.uploads.delete(upload.id);
      return problem(415, 'type_not_allowed', '不支持的文件类型：该文件是可执行程序，不能作为证据提交', 'This type of file is not accepted: it is a program.');
    }
    upload.evidence = {
      id: `e-${upload.id}`,
      hearing_id: HEARING,
      number: 1,
      title: upload.title,
      purpose: upload.purpose,
      file_name: upload.file_name,
      media_type: 'application/pdf',
      kind: 'pdf',
      size: all.length,
      sha256: createHash('sha256').update(all).digest('hex'),
      status: 'submitted',
      admission: 'pending',
      opinions: [],
    };
    return { status: 200, body: this.view(upload) };
  }
}

/**
 * @param {number} status
 * @param {string} code
 * @param {string} zh
 * @param {string} en
 * @param {string} [field]
 */
function problem(status, code, zh, en, field) {
  return { status, body: { type: 'about:blank', title: en, status, code, message: { 'zh-CN': zh, en }, ...(field ? { field } : {}) } };
}

const server = new FakeServer();

globalThis.fetch = /** @type {typeof fetch} */ (
  async (/** @type {string} */ url, /** @type {RequestInit} */ init = {}) => {
    await Promise.resolve();
    const answer = server.json(init.method ?? 'GET', url, init.body ? JSON.parse(String(init.body)) : undefined);
    return new Response(answer.body === null ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json' },
    });
  }
);

/** A fake XMLHttpRequest for the PATCH requests: progress in two steps, then the server's answer (or a fault). */
class FakeXhr {
  /** @type {FakeXhr[]} */
  static all = [];
  method = '';
  url = '';
  /** @type {Record<string, string>} */
  headers = {};
  status = 0;
  responseText = '';
  aborted = false;
  /** @type {{onprogress: ((e: {loaded: number, total: number}) => void) | null, onload: (() => void) | null}} */
  upload = { onprogress: null, onload: null };
  /** @type {(() => void) | null} */
  onload = null;
  /** @type {(() => void) | null} */
  onerror = null;
  /** @type {(() => void) | null} */
  ontimeout = null;
  /** @type {(() => void) | null} */
  onabort = null;

  constructor() {
    FakeXhr.all.push(this);
  }

  /** @param {string} method @param {string} url */
  open(method, url) {
    this.method = method;
    this.url = url;
  }

  /** @param {string} name @param {string} value */
  setRequestHeader(name, value) {
    this.headers[name.toLowerCase()] = value;
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    setTimeout(() => this.onabort?.(), 0);
  }

  /** @param {Blob} body */
  async send(body) {
    assert.equal(this.method, 'PATCH');
    assert.equal(this.headers['content-type'], 'application/offset+octet-stream');
    const number = ++server.patches;
    const fault = server.faults.get(number);
    const bytes = Buffer.from(await body.arrayBuffer());
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    await tick();
    if (this.aborted) return;
    this.upload.onprogress?.({ loaded: Math.floor(bytes.length / 2), total: bytes.length });
    await tick();
    if (this.aborted) return;
    if (fault === 'stall') return; // nothing more: the uploader's stall timer (or cancel) ends it
    if (fault === 'lost-before') {
      server.log.push({ method: 'PATCH-LOST', path: this.url, offset: Number(this.headers['upload-offset']), length: bytes.length });
      this.onerror?.();
      return;
    }
    if (fault === 'error-503') {
      server.log.push({ method: 'PATCH-503', path: this.url });
      this.status = 503;
      this.responseText = JSON.stringify(problem(503, 'unavailable', '服务暂不可用', 'Unavailable.').body);
      this.onload?.();
      return;
    }
    if (fault === 'node-gone') {
      // Several nodes: the one this upload was staged on died, with the bytes it held.
      const match = /uploads\/([^/]+)$/.exec(this.url);
      server.uploads.delete(decodeURIComponent(match?.[1] ?? ''));
      server.log.push({ method: 'PATCH-410', path: this.url });
      this.status = 410;
      this.responseText = JSON.stringify(problem(410, 'upload_lost', '上传所在的服务器已停止，请重新上传该文件', 'The server this upload was staged on stopped; upload the file again').body);
      this.onload?.();
      return;
    }
    if (fault === 'interrupted') {
      // The body broke off half-way: the server keeps what arrived and says so (400 upload_interrupted).
      server.patch(this.url, Number(this.headers['upload-offset']), bytes.subarray(0, Math.floor(bytes.length / 2)));
      this.status = 400;
      this.responseText = JSON.stringify(problem(400, 'upload_interrupted', '上传中断，请继续上传', 'The upload was interrupted; resume it').body);
      this.onload?.();
      return;
    }
    if (fault === 'advance') {
      // Another request of ours (whose answer we never saw) had already brought some bytes.
      const upload = [...server.uploads.values()][0];
      assert.ok(upload && server.source);
      const extra = server.source.subarray(upload.offset, upload.offset + 1000);
      upload.parts.push(Buffer.from(extra));
      upload.offset += extra.length;
    }
    this.upload.onprogress?.({ loaded: bytes.length, total: bytes.length });
    this.upload.onload?.();
    const answer = server.patch(this.url, Number(this.headers['upload-offset']), bytes);
    await tick();
    if (this.aborted) return;
    if (fault === 'lost-after') {
      this.onerror?.();
      return;
    }
    this.status = answer.status;
    this.responseText = answer.body === null ? '' : JSON.stringify(answer.body);
    this.onload?.();
  }
}
Object.assign(globalThis, { XMLHttpRequest: FakeXhr });

const { EvidenceUploader } = await import('../../web/lib/upload.js');

/**
 * A file of `size` bytes with a PDF header (or the given first bytes), and its SHA-256.
 * @param {number} size
 * @param {string} [head]
 */
function makeFile(size, head = '%PDF-1.4\n') {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  bytes.write(head, 0, 'latin1');
  const blob = new Blob([bytes]);
  /** @type {number[][]} */
  const slices = [];
  // Only `size`, `name` and `slice` may be used: reading the whole file would throw.
  const file = {
    name: '借条.pdf',
    size,
    type: 'application/pdf',
    /** @param {number} a @param {number} b */
    slice(a, b) {
      slices.push([a, b]);
      return blob.slice(a, b);
    },
    arrayBuffer() {
      throw new Error('the uploader read the whole file');
    },
    stream() {
      throw new Error('the uploader read the whole file');
    },
    text() {
      throw new Error('the uploader read the whole file');
    },
  };
  return { file: /** @type {Blob} */ (/** @type {unknown} */ (file)), bytes, slices, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * An uploader with quick retries, recording every change.
 * @param {Blob} file
 * @param {Partial<import('../../web/lib/upload.js').UploaderOptions>} [options]
 */
function uploaderFor(file, options = {}) {
  /** @type {{state: string, sent: number, percent: number}[]} */
  const changes = [];
  const uploader = new EvidenceUploader({
    hearingId: HEARING,
    file,
    title: '借条',
    purpose: '证明借款事实',
    minDelayMs: 5,
    maxDelayMs: 20,
    onChange: (u) => changes.push({ state: u.state, sent: u.sent, percent: u.percent }),
    ...options,
  });
  return { uploader, changes };
}

/** PATCH requests the server saw (taken or not), in order. */
const patches = () => server.log.filter((l) => l.method === 'PATCH');

/**
 * Wait until `check` holds.
 * @param {() => boolean} check
 * @param {string} what
 */
async function until(check, what) {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('the resumable evidence uploader', () => {
  beforeEach(() => {
    server.reset();
    online = true;
    FakeXhr.all = [];
  });

  test('sends 4 MiB slices with Upload-Offset, moves within a chunk, and ends with the Evidence', async () => {
    const size = 10 * MiB + 123;
    const { file, slices, sha256 } = makeFile(size);
    const { uploader, changes } = uploaderFor(file);
    const evidence = await uploader.start();
    assert.equal(uploader.state, 'done');
    assert.ok(evidence, 'the Evidence');
    assert.equal(evidence.sha256, sha256, 'the server got exactly the file');
    assert.equal(uploader.evidence, evidence);
    const created = server.log.find((l) => l.method === 'POST');
    assert.ok(created, 'the upload was created');
    assert.deepEqual(
      patches().map((p) => [p.offset, p.length]),
      [
        [0, 4 * MiB],
        [4 * MiB, 4 * MiB],
        [8 * MiB, 2 * MiB + 123],
      ],
    );
    assert.deepEqual(slices, [
      [0, 4 * MiB],
      [4 * MiB, 8 * MiB],
      [8 * MiB, size],
    ]);
    // Progress never goes back, moves inside a chunk (half of the first chunk) and ends at 100 %.
    const sent = changes.map((c) => c.sent);
    assert.ok(sent.every((s, i) => i === 0 || s >= (sent[i - 1] ?? 0)), `monotonic: ${sent.join(',')}`);
    assert.ok(sent.includes(2 * MiB), 'progress within the first chunk');
    assert.equal(changes.at(-1)?.state, 'done');
    assert.equal(changes.at(-1)?.percent, 100);
    assert.equal(uploader.sent, size);
    assert.ok(FakeXhr.all.every((x) => x.headers['accept']?.includes('application/json')));
  });

  test('an answer lost after the server took the chunk: asks where it stands and goes on from there', async () => {
    const { file, sha256 } = makeFile(9 * MiB);
    server.faults.set(2, 'lost-after');
    const { uploader, changes } = uploaderFor(file);
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256);
    assert.equal(uploader.resumes, 1);
    assert.ok(changes.some((c) => c.state === 'paused'), 'it said the network dropped');
    const methods = server.log.map((l) => `${l.method} ${l.offset ?? ''}`.trim());
    // The second chunk reached the server: after GET the third starts at 8 MiB, nothing is sent twice.
    assert.deepEqual(methods, ['POST', `PATCH 0`, `PATCH ${4 * MiB}`, 'GET', `PATCH ${8 * MiB}`]);
  });

  test('a chunk lost before the server took it is sent again from the server’s offset', async () => {
    const { file, sha256 } = makeFile(6 * MiB);
    server.faults.set(1, 'lost-before');
    const { uploader } = uploaderFor(file);
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256);
    assert.deepEqual(
      server.log.map((l) => `${l.method} ${l.offset ?? ''}`.trim()),
      ['POST', 'PATCH-LOST 0', 'GET', 'PATCH 0', `PATCH ${4 * MiB}`],
    );
  });

  test('400 upload_interrupted: the server kept part of the chunk; the rest follows from its offset', async () => {
    const { file, sha256 } = makeFile(6 * MiB);
    server.faults.set(1, 'interrupted');
    const { uploader } = uploaderFor(file);
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256);
    assert.deepEqual(
      server.log.map((l) => `${l.method} ${l.offset ?? ''}`.trim()),
      ['POST', 'PATCH 0', 'GET', `PATCH ${2 * MiB}`],
    );
  });

  test('409 offset_mismatch: goes on from the offset the server names', async () => {
    const { file, bytes, sha256 } = makeFile(5 * MiB);
    server.source = bytes;
    server.faults.set(2, 'advance');
    const { uploader } = uploaderFor(file, { chunkSize: 2 * MiB });
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256, 'the server holds the file exactly');
    const offsets = patches().map((p) => p.offset);
    assert.deepEqual(offsets, [0, 2 * MiB, 2 * MiB + 1000, 4 * MiB + 1000], 'after the 409 it starts where the server is');
    assert.ok(!server.log.some((l) => l.method === 'GET'), 'the 409 carried the offset: no GET needed');
  });

  test('offline: waits for the browser’s online event, then resumes', async () => {
    const { file, sha256 } = makeFile(5 * MiB);
    server.faults.set(2, 'lost-before');
    /** @type {string[]} */
    const states = [];
    const { uploader } = uploaderFor(file, {
      maxDelayMs: 60_000,
      onChange: (u) => {
        if (states.at(-1) !== u.state) states.push(u.state);
        // The network goes away as the second chunk is lost.
        if (u.state === 'paused') online = false;
      },
    });
    const done = uploader.start();
    await until(() => uploader.state === 'paused', 'paused');
    const seen = server.log.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(server.log.length, seen, 'nothing is tried while offline');
    assert.equal(uploader.state, 'paused');
    online = true;
    win.dispatchEvent(new Event('online'));
    const evidence = await done;
    assert.equal(evidence?.sha256, sha256);
    assert.deepEqual(states, ['uploading', 'paused', 'uploading', 'done']);
  });

  test('server errors are retried with backoff; too many end the file, and start() goes on later', async () => {
    const { file, sha256 } = makeFile(3 * MiB);
    server.faults.set(1, 'error-503');
    server.faults.set(2, 'error-503');
    const first = uploaderFor(file);
    assert.equal((await first.uploader.start())?.sha256, sha256);
    assert.equal(server.log.filter((l) => l.method === 'PATCH-503').length, 2);

    server.reset();
    server.failAll = 500;
    const second = uploaderFor(file, { maxServerErrors: 3 });
    assert.equal(await second.uploader.start(), null);
    assert.equal(second.uploader.state, 'failed');
    assert.equal(second.uploader.refused, false, 'trying again may help');
    assert.equal(patches().length, 4, 'the first try and three retries');
    server.failAll = 0;
    const evidence = await second.uploader.start();
    assert.equal(evidence?.sha256, sha256);
    assert.equal(second.uploader.state, 'done');
  });

  test('410 upload_lost (the node holding the upload died): starts the upload again and completes it', async () => {
    const { file, sha256 } = makeFile(5 * MiB);
    server.faults.set(2, 'node-gone');
    const { uploader } = uploaderFor(file, { chunkSize: 2 * MiB });
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256, 'the new upload holds the file exactly');
    const created = server.log.filter((l) => l.method === 'POST');
    assert.equal(created.length, 2, 'a second upload was created');
    const offsets = patches().map((p) => p.offset);
    assert.deepEqual(offsets, [0, 0, 2 * MiB, 4 * MiB], 'the new upload is sent from its first byte');
  });

  test('a program renamed .pdf is refused with the server’s message', async () => {
    const { file } = makeFile(5 * MiB, 'MZ');
    const { uploader } = uploaderFor(file);
    assert.equal(await uploader.start(), null);
    assert.equal(uploader.state, 'failed');
    assert.equal(uploader.refused, true);
    assert.equal(uploader.problem?.status, 415);
    assert.equal(uploader.problem?.code, 'type_not_allowed');
    assert.match(uploader.problem?.message?.['zh-CN'] ?? '', /不支持的文件类型/);
    assert.equal(server.uploads.size, 0);
    // A refused file is not tried again.
    assert.equal(await uploader.start(), null);
    assert.equal(patches().length, 2);
  });

  test('a file too large is refused before any byte is sent', async () => {
    server.max = 1 * MiB;
    try {
      const { file } = makeFile(2 * MiB);
      const { uploader } = uploaderFor(file);
      assert.equal(await uploader.start(), null);
      assert.equal(uploader.problem?.code, 'file_too_large');
      assert.equal(uploader.problem?.message?.['zh-CN'], '文件过大，单个证据文件不能超过 2 GB');
      assert.equal(patches().length, 0);
    } finally {
      server.max = 2 * 1024 * MiB;
    }
  });

  test('cancel: the chunk under way is aborted and the server discards the upload', async () => {
    const { file } = makeFile(9 * MiB);
    server.faults.set(2, 'stall');
    const { uploader } = uploaderFor(file);
    const done = uploader.start();
    await until(() => server.patches === 2 && uploader.sent > 4 * MiB, 'the second chunk under way');
    await uploader.cancel();
    assert.equal(await done, null);
    assert.equal(uploader.state, 'cancelled');
    assert.ok(FakeXhr.all[1]?.aborted, 'the request was aborted');
    assert.ok(server.log.some((l) => l.method === 'DELETE'), 'DELETE was sent');
    assert.equal(server.uploads.size, 0);
  });

  test('a stalled chunk is given up and resumed', async () => {
    const { file, sha256 } = makeFile(5 * MiB);
    server.faults.set(1, 'stall');
    const { uploader } = uploaderFor(file, { stallMs: 50 });
    const evidence = await uploader.start();
    assert.equal(evidence?.sha256, sha256);
    assert.equal(uploader.resumes, 1);
  });
});
