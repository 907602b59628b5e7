'use strict';
// POST/GET /v1/send-sms: the documented answer, auth, and every validation
// rule the documentation states (lengths, exclusive fields, types).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const {
  UUID_RE, TOKEN, useSimulator, api, control, fixture,
} = require('./lib/sim');

const sim = useSimulator();
const DEST = '5511900000000';

const send = (body, options) => api(sim, 'POST', '/v1/send-sms', { body, ...options });

async function assertRejected(body, messagePattern) {
  const res = await send(body);
  assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 120)} -> ${res.text}`);
  assert.equal(res.json.errorCode, 400);
  assert.match(res.json.errorMessage, messagePattern);
}

async function assertAccepted(body) {
  const res = await send(body);
  assert.equal(res.status, 200, `${JSON.stringify(body).slice(0, 120)} -> ${res.text}`);
  assert.match(res.json[0].id, UUID_RE);
  return res.json[0];
}

test('the documented curl body is accepted; answer shaped like the doc example', async () => {
  const res = await send(fixture('send-sms.json'));
  assert.equal(res.status, 200);
  const documented = JSON.parse(fixture('send-sms-response.json'));
  assert.equal(res.json.length, documented.length);

  const withId = await assertAccepted({ destination: DEST, messageText: 'x', correlationId: 'myId' });
  assert.deepEqual(Object.keys(withId), Object.keys(documented[0]));
  assert.equal(withId.correlationId, 'myId');

  const [stored] = await control(sim, 'GET', '/_sim/messages');
  assert.equal(stored.messageText, 'linha\nquebrada');
  assert.equal(stored.batchId, null);
});

test('single_shape "object" answers the bare object of older docs', async () => {
  await control(sim, 'POST', '/_sim/config', { single_shape: 'object' });
  const res = await send({ destination: DEST, messageText: 'x', correlationId: 'c' });
  assert.equal(res.status, 200);
  assert.ok(!Array.isArray(res.json));
  assert.match(res.json.id, UUID_RE);
  assert.equal(res.json.correlationId, 'c');
});

test('GET with the query string: numbers and booleans as text', async () => {
  const q = new URLSearchParams({
    destination: DEST, messageText: 'por GET', flashSMS: 'true', expiresInMinutes: '30',
    timeWindow: '11,12,18', correlationId: 'g1',
  });
  const res = await api(sim, 'GET', `/v1/send-sms?${q}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json[0].correlationId, 'g1');
  const [stored] = await control(sim, 'GET', '/_sim/messages');
  assert.equal(stored.expiresInMinutes, 30);
  assert.deepEqual(stored.timeWindow, [11, 12, 18]);

  const bad = await api(sim, 'GET', `/v1/send-sms?destination=${DEST}&messageText=x&expiresAt=soon`);
  assert.equal(bad.status, 400);
  assert.match(bad.json.errorMessage, /expiresAt/);
});

test('auth: both headers required, names case-insensitive, token never echoed', async () => {
  const body = { destination: DEST, messageText: 'x' };
  const missing = await send(body, { auth: false });
  assert.equal(missing.status, 401);
  assert.deepEqual(Object.keys(missing.json), ['errorCode', 'errorMessage']);
  assert.match(missing.json.errorMessage, /^Authentication Error: /);

  const onlyUser = await send(body, { auth: false, headers: { username: 'demo' } });
  assert.equal(onlyUser.status, 401);

  const wrong = await send(body, {
    auth: false, headers: { username: 'demo', authenticationtoken: 'secret-guess' },
  });
  assert.equal(wrong.status, 401);
  assert.ok(!wrong.text.includes('secret-guess'));

  const wrongUser = await send(body, {
    auth: false, headers: { username: 'other', authenticationtoken: TOKEN },
  });
  assert.equal(wrongUser.status, 401);

  const mixedCase = await send(body, {
    auth: false, headers: { UserName: 'demo', AuthenticationToken: TOKEN },
  });
  assert.equal(mixedCase.status, 200);

  const log = await control(sim, 'GET', '/_sim/requests');
  assert.deepEqual(log.map((e) => e.auth), ['missing', 'missing', 'bad', 'bad', 'ok']);
  assert.deepEqual(log.map((e) => e.status), [401, 401, 401, 401, 200]);
  assert.ok(!JSON.stringify(log).includes(TOKEN));
  assert.ok(!JSON.stringify(log).includes('secret-guess'));
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 1);
});

test('destination: required, 10-15 digits only, no leading +', async () => {
  await assertRejected({ messageText: 'x' }, /^destination: is required/);
  await assertRejected({ destination: `+${DEST}`, messageText: 'x' }, /^destination: .*no '\+'/);
  await assertRejected({ destination: '551190000', messageText: 'x' }, /^destination:/);
  await assertRejected({ destination: '5511900000000000', messageText: 'x' }, /^destination:/);
  await assertRejected({ destination: '55 11 90000000', messageText: 'x' }, /^destination:/);
  await assertRejected({ destination: 5511900000000, messageText: 'x' }, /^destination: must be a string/);
  await assertAccepted({ destination: '5511900000', messageText: 'x' });
  await assertAccepted({ destination: '551190000000000', messageText: 'x' });
});

test('a destination ending in 1400 is refused: "Invalid destination"', async () => {
  const res = await send({ destination: '5511900001400', messageText: 'x' });
  assert.equal(res.status, 400);
  assert.deepEqual(res.json, { errorCode: 400, errorMessage: 'Invalid destination' });
});

test('messageText: required and non-empty unless flowId/templateId/templateName', async () => {
  await assertRejected({ destination: DEST }, /^messageText: is required/);
  await assertRejected({ destination: DEST, messageText: '' }, /^messageText: must not be empty/);
  await assertAccepted({ destination: DEST, flowId: '14f8142d-e731-4971-8220-5a76a12c413f' });
  await assertAccepted({ destination: DEST, templateId: 0 });
  await assertAccepted({ destination: DEST, templateName: 'name' });
});

test('length limits: messageText 1280, correlationId 64, extraInfo 255 (characters)', async () => {
  const limits = { messageText: 1280, correlationId: 64, extraInfo: 255 };
  for (const [field, limit] of Object.entries(limits)) {
    await assertAccepted({ destination: DEST, messageText: 'x', [field]: 'é'.repeat(limit) });
    await assertRejected({ destination: DEST, messageText: 'x', [field]: 'a'.repeat(limit + 1) },
      new RegExp(`^${field}: longer than ${limit} characters`));
  }
});

test('mutually exclusive: expiresAt/expiresInMinutes/expiresDate, scheduledAt/delayedInMinutes/scheduledDate', async () => {
  const values = {
    expiresAt: 1893456000000, expiresInMinutes: 60, expiresDate: '2030-01-01T00:00:00',
    scheduledAt: 1893456000000, delayedInMinutes: 45, scheduledDate: '2030-01-01T00:00:00',
  };
  const groups = [['expiresAt', 'expiresInMinutes', 'expiresDate'],
    ['scheduledAt', 'delayedInMinutes', 'scheduledDate']];
  for (const group of groups) {
    for (const a of group) {
      await assertAccepted({ destination: DEST, messageText: 'x', [a]: values[a] });
      for (const b of group.filter((f) => f !== a)) {
        await assertRejected({ destination: DEST, messageText: 'x', [a]: values[a], [b]: values[b] },
          /mutually exclusive/);
      }
    }
  }
  // One of each group together is fine.
  await assertAccepted({
    destination: DEST, messageText: 'x', expiresInMinutes: 60, scheduledDate: '2030-01-01T00:00:00',
  });
});

test('types: flashSMS, timeWindow, longs, params, strings, dates', async () => {
  const ok = (extra) => assertAccepted({ destination: DEST, messageText: 'x', ...extra });
  const bad = (extra, re) => assertRejected({ destination: DEST, messageText: 'x', ...extra }, re);
  await ok({ flashSMS: true });
  await ok({ flashSMS: 'false' }); // as in the doc's own bulk example 3
  await bad({ flashSMS: 'yes' }, /^flashSMS: must be a boolean/);
  await bad({ flashSMS: 1 }, /^flashSMS:/);
  await ok({ timeWindow: [0, 11, 23] });
  await bad({ timeWindow: [24] }, /^timeWindow:/);
  await bad({ timeWindow: '11' }, /^timeWindow:/);
  await bad({ timeWindow: [] }, /^timeWindow:/);
  await bad({ expiresAt: '1893456000000' }, /^expiresAt: must be an integer/);
  await bad({ delayedInMinutes: 1.5 }, /^delayedInMinutes: must be an integer/);
  await bad({ templateId: '7' }, /^templateId: must be an integer/);
  await bad({ flowId: 'f', params: ['a'] }, /^params: must be an object/);
  await bad({ correlationId: 5 }, /^correlationId: must be a string/);
  await bad({ campaignAlias: { a: 1 } }, /^campaignAlias: must be a string/);
  await ok({ scheduledDate: '2030-01-28T02:30:43', timeZone: 'America/Sao_Paulo' });
  await bad({ scheduledDate: '2030-01-28 02:30:43' }, /^scheduledDate: must be a date-time formatted yyyy-MM-ddTHH:mm:ss/);
  await bad({ expiresDate: '2030-02-30T00:00:00' }, /^expiresDate:/);
  await bad({ expiresDate: '2030-01-28T02:30:43Z' }, /^expiresDate:/);
});

test('params needs flowId, templateId or templateName', async () => {
  await assertRejected({ destination: DEST, messageText: 'x', params: { a: '1' } },
    /^params: requires flowId, templateId or templateName/);
  await assertAccepted({ destination: DEST, templateName: 't', params: { a: '1' } });
});

test('unknown fields, null fields, malformed bodies', async () => {
  await assertRejected({ destination: DEST, messageText: 'x', messagetext: 'y' },
    /^messagetext: unknown field/);
  await assertRejected('{"destination": "5511900000000", "messageText": "x",}', /not valid JSON/);
  await assertRejected(`[{"destination": "${DEST}", "messageText": "x"}]`, /must be a JSON object/);
  await assertRejected('', /not valid JSON/);
  // null means absent, as for the real (Java) API
  const answer = await assertAccepted({ destination: DEST, messageText: 'x', correlationId: null });
  assert.deepEqual(Object.keys(answer), ['id']);
});

test('subAccount: administrators only (403 otherwise, same body shape)', async () => {
  await assertAccepted({ destination: DEST, messageText: 'x', subAccount: 'Marketing' });
  await control(sim, 'POST', '/_sim/config', { admin_users: [] });
  const res = await send({ destination: DEST, messageText: 'x', subAccount: 'Marketing' });
  assert.equal(res.status, 403);
  assert.equal(res.json.errorCode, 403);
  assert.equal(typeof res.json.errorMessage, 'string');
  const list = await api(sim, 'GET', '/v1/sms/receive/list?subAccount=Marketing');
  assert.equal(list.status, 403);
  assert.equal((await api(sim, 'GET', '/v1/sms/receive/list')).status, 200);
});

test('unknown paths and methods: 404 with the error body', async () => {
  for (const [method, path] of [['GET', '/v1/nothing'], ['GET', '/v1/send-bulk-sms'],
    ['DELETE', '/v1/send-sms'], ['GET', '/v2/send-sms'], ['POST', '/v1/sms/status/list']]) {
    const res = await api(sim, method, path, { body: method === 'POST' ? {} : undefined });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.json.errorCode, 404);
  }
});

test('keep-alive: consecutive requests share one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const reused = [];
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve, reject) => {
      const body = JSON.stringify({ destination: DEST, messageText: `n${i}` });
      const req = http.request(`${sim.http}/v1/send-sms`, {
        method: 'POST',
        agent,
        headers: {
          username: 'demo', authenticationtoken: TOKEN, 'content-type': 'application/json',
        },
      }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.ok(res.headers['content-length']);
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
      reused.push(req);
    });
  }
  agent.destroy();
  assert.deepEqual(reused.map((r) => r.reusedSocket), [false, true, true]);
});
