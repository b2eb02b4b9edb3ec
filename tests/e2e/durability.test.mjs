/**
 * What the server acknowledged survives `kill -9` (one node on its embedded SQLite): the clerk sends the invitations
 * (outbox messages), saves three transcript versions and uploads a piece of evidence, each answered 2xx; the process is
 * killed at once, without a chance to flush anything of its own, and started again on the same data. Every
 * acknowledged message, version and item is there, the evidence reads back byte for byte, and `cloudcourt audit verify`
 * finds the audit chain intact. (The same on PostgreSQL, across two nodes and under load: cluster.test.mjs.)
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'playwright-core';
import { BINARY, startServer } from './server.mjs';

const run = promisify(execFile);

/** @type {Awaited<ReturnType<typeof startServer>> | undefined} */
let server;

after(async () => {
  await server?.stop();
});

test('kill -9 right after the answers: every acknowledged write is there after the restart', async () => {
  const first = await startServer();
  server = first;
  const api = await request.newContext({ baseURL: first.url });
  const login = await api.post('/api/v1/session', { data: { username: 'clerk', password: first.password } });
  assert.equal(login.status(), 200, await login.text());
  const staff = await (await api.get('/api/v1/staff')).json();
  const judge = staff.find((/** @type {{username: string}} */ u) => u.username === 'judge');
  const clerk = staff.find((/** @type {{username: string}} */ u) => u.username === 'clerk');
  const legalCase = await (await api.post('/api/v1/cases', { data: { case_number: '(2026)京0107民初9201号', cause: '租赁合同纠纷' } })).json();
  const scheduled = await api.post('/api/v1/hearings', {
    data: {
      case_id: legalCase.id,
      scheduled_at: new Date(Date.now() + 86_400_000).toISOString(),
      judge_ids: [judge.id],
      clerk_id: clerk.id,
      participants: [
        { name: '孙1', role: 'plaintiff', phone: '13500000011' },
        { name: '钱2', role: 'defendant', phone: '13500000022' },
      ],
    },
  });
  assert.equal(scheduled.status(), 201, await scheduled.text());
  const hearing = await scheduled.json();

  const invited = await api.post(`/api/v1/hearings/${hearing.id}/invitations`, { data: {} });
  assert.equal(invited.status(), 200, await invited.text());
  const outbox = await (await api.get(`/api/v1/sms/outbox?hearing_id=${hearing.id}`)).json();
  assert.ok(outbox.length >= 2, `the invitations are queued: ${JSON.stringify(outbox)}`);

  /** @type {string[]} */
  const lines = [];
  let version = 0;
  for (const text of ['审判长：现在开庭。', '原告：坚持诉讼请求。', '被告：不同意。']) {
    lines.push(text);
    const saved = await api.put(`/api/v1/hearings/${hearing.id}/transcript`, {
      data: { base_version: version, save_id: crypto.randomUUID(), entries: lines.map((t) => ({ role: 'clerk', name: '梁1', text: t })) },
    });
    assert.equal(saved.status(), 200, await saved.text());
    version = (await saved.json()).version;
  }

  const file = Buffer.from(`租赁合同补充说明\n${randomBytes(64 * 1024).toString('hex')}\n`, 'utf8');
  const created = await api.post(`/api/v1/hearings/${hearing.id}/evidence/uploads`, { data: { file_name: '补充说明.txt', size: file.length, title: '补充说明', purpose: '证明租期' } });
  assert.equal(created.status(), 201, await created.text());
  const upload = await created.json();
  const finished = await api.patch(`/api/v1/evidence/uploads/${upload.id}`, {
    headers: { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    data: file,
  });
  assert.equal(finished.status(), 200, await finished.text());
  const evidence = (await finished.json()).evidence;
  await api.dispose();

  // No pause: the answers above are all the server promised.
  await first.crash();
  server = await startServer({ dataDir: first.dataDir, password: first.password });
  const again = await request.newContext({ baseURL: server.url });
  try {
    assert.equal((await again.post('/api/v1/session', { data: { username: 'clerk', password: first.password } })).status(), 200);
    const transcript = await (await again.get(`/api/v1/hearings/${hearing.id}/transcript`)).json();
    assert.equal(transcript.version, version, 'the last acknowledged version');
    assert.deepEqual(transcript.entries.map((/** @type {{text: string}} */ e) => e.text), lines);
    const kept = await (await again.get(`/api/v1/sms/outbox?hearing_id=${hearing.id}`)).json();
    assert.deepEqual(kept.map((/** @type {{id: string}} */ m) => m.id).sort(), outbox.map((/** @type {{id: string}} */ m) => m.id).sort(), 'every queued invitation');
    const listed = await (await again.get(`/api/v1/hearings/${hearing.id}/evidence`)).json();
    const item = listed.find((/** @type {{id: string}} */ e) => e.id === evidence.id);
    assert.ok(item, 'the evidence item');
    const content = await again.get(`/api/v1/hearings/${hearing.id}/evidence/${evidence.id}/content`);
    assert.equal(content.status(), 200);
    assert.equal(createHash('sha256').update(await content.body()).digest('hex'), createHash('sha256').update(file).digest('hex'));
    const verified = await run(BINARY, ['audit', '--data-dir', server.dataDir, 'verify']);
    assert.match(verified.stdout, /audit chain intact/);
  } finally {
    await again.dispose();
  }
});
