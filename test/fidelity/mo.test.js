'use strict';
// Replies (MO): /v1/sms/receive/list and /search, the MO object as
// documented, sub-accounts, the 3-day / 5-day windows, 1000 per call.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  useSimulator, api, control, fixture,
} = require('./lib/sim');

const sim = useSimulator();
const DAY = 24 * 3600e3;

const inject = (mos) => control(sim, 'POST', '/_sim/mo', mos);

async function get(path) {
  const res = await api(sim, 'GET', path);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['total', 'start', 'end', 'messages']);
  assert.equal(res.json.total, res.json.messages.length);
  return res.json;
}

test('an MO answering an MT has the documented fields and mt{}', async () => {
  const sent = await api(sim, 'POST', '/v1/send-sms', {
    body: {
      destination: '5516981562820', messageText: 'Quer pizza?', correlationId: '1876',
      campaignAlias: 'Promo', subAccount: 'Marketing',
    },
  });
  const mtId = sent.json[0].id;
  // A day ago, with milliseconds that receivedDate must drop.
  const receivedAt = Math.floor((Date.now() - DAY) / 1000) * 1000 + 588;
  const mo = await inject({
    source: '5516981562820', messageText: 'Eu quero pizza', shortCode: '28128', mtId, receivedAt,
  });
  const [listed] = (await get('/v1/sms/receive/list')).messages;
  assert.deepEqual(listed, mo);

  // Same keys, in the same order, as the documentation's MO example.
  const documented = JSON.parse(fixture('mo.json'));
  assert.deepEqual(Object.keys(listed), Object.keys(documented));
  assert.deepEqual(Object.keys(listed.mt), Object.keys(documented.mt));
  assert.equal(listed.subAccount, 'Marketing'); // inherited from the MT
  assert.equal(listed.campaignAlias, 'Promo');
  assert.deepEqual([listed.carrierId, listed.carrierName], [1, 'VIVO']);
  assert.deepEqual(listed.mt, {
    id: mtId, correlationId: '1876', username: 'demo', email: 'demo@example.com',
  });
  assert.equal(listed.receivedAt, receivedAt);
  assert.equal(listed.receivedDate, new Date(receivedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
});

test('an MO with no MT has no mt{}; shortCode defaults to 28149', async () => {
  const mo = await inject({ source: '5519987565021', messageText: 'Oi' });
  assert.equal(mo.mt, undefined);
  assert.equal(mo.shortCode, '28149');
  assert.deepEqual([mo.carrierId, mo.carrierName], [5, 'TIM']);
  const bad = await api(sim, 'POST', '/_sim/mo', {
    auth: false, body: { source: '5519987565021', messageText: 'x', replyTo: 'no-such-id' },
  });
  assert.equal(bad.status, 400);
});

test('list: every MO once, at most 1000 a call, oldest first', async () => {
  const now = Date.now();
  const many = Array.from({ length: 1001 }, (_, i) => ({
    source: '5511988880000', messageText: `m${i}`, receivedAt: now - 1001 + i,
  }));
  await inject(many);
  const first = await get('/v1/sms/receive/list');
  assert.equal(first.total, 1000);
  assert.equal(first.messages[0].messageText, 'm0');
  const second = await get('/v1/sms/receive/list');
  assert.deepEqual(second.messages.map((m) => m.messageText), ['m1000']);
  assert.equal((await get('/v1/sms/receive/list')).total, 0);
});

test('list: an administrator may ask for one sub-account', async () => {
  await inject([
    { source: '5511911110001', messageText: 'a1', subAccount: 'A' },
    { source: '5511911110002', messageText: 'b1', subAccount: 'B' },
    { source: '5511911110003', messageText: 'a2', subAccount: 'A' },
  ]);
  const onlyA = await get('/v1/sms/receive/list?subAccount=A');
  assert.deepEqual(onlyA.messages.map((m) => m.messageText), ['a1', 'a2']);
  const rest = await get('/v1/sms/receive/list');
  assert.deepEqual(rest.messages.map((m) => m.messageText), ['b1']);
});

test('list: only the last 3 days; search: the last 5 days', async () => {
  const now = Date.now();
  await inject([
    { source: '5511911110001', messageText: '6 days', receivedAt: now - 6 * DAY },
    { source: '5511911110002', messageText: '4 days', receivedAt: now - 4 * DAY },
    { source: '5511911110003', messageText: '1 day', receivedAt: now - DAY },
  ]);
  const searched = await get('/v1/sms/receive/search');
  assert.deepEqual(searched.messages.map((m) => m.messageText), ['4 days', '1 day']);
  const span = Date.parse(searched.end) - Date.parse(searched.start);
  assert.ok(Math.abs(span - 5 * DAY) < 5000, `default window is 5 days (${span})`);
  const listed = await get('/v1/sms/receive/list');
  assert.deepEqual(listed.messages.map((m) => m.messageText), ['1 day']);
});

test('search: ISO-8601 start/end (naive = UTC, Z, offsets); older starts are clamped', async () => {
  await inject([
    { source: '5511911110001', messageText: 'before', receivedAt: Date.parse('2030-01-01T10:00:00Z') },
    { source: '5511911110002', messageText: 'inside', receivedAt: Date.parse('2030-01-01T12:00:00Z') },
    { source: '5511911110003', messageText: 'after', receivedAt: Date.parse('2030-01-01T14:00:00Z') },
  ]);
  // Dates in the future, so the 5-day clamp on start does not apply.
  for (const [start, end] of [
    ['2030-01-01T11:00:00', '2030-01-01T13:00:00'],
    ['2030-01-01T11:00:00Z', '2030-01-01T13:00:00.000Z'],
    ['2030-01-01T08:00:00-03:00', '2030-01-01T10:00:00-03:00'],
  ]) {
    const q = new URLSearchParams({ start, end });
    const found = await get(`/v1/sms/receive/search?${q}`);
    assert.deepEqual(found.messages.map((m) => m.messageText), ['inside'], `${start} ${end}`);
    assert.equal(found.start, '2030-01-01T11:00:00Z');
    assert.equal(found.end, '2030-01-01T13:00:00Z');
  }
  const clamped = await get('/v1/sms/receive/search?start=2016-09-12T00:00:00');
  assert.ok(Date.now() - Date.parse(clamped.start) <= 5 * DAY + 5000, clamped.start);

  // a period wholly older than 5 days finds nothing; end before start is an error
  const old = await get('/v1/sms/receive/search?start=2016-09-12T00:00:00&end=2016-09-13T00:00:00');
  assert.deepEqual(old.messages, []);
  assert.equal(old.total, 0);
  const reversed = await api(sim, 'GET',
    '/v1/sms/receive/search?start=2030-01-01T13:00:00Z&end=2030-01-01T11:00:00Z');
  assert.equal(reversed.status, 400);
  assert.match(reversed.json.errorMessage, /^end: before start/);

  const bad = await api(sim, 'GET', '/v1/sms/receive/search?start=yesterday');
  assert.equal(bad.status, 400);
  assert.match(bad.json.errorMessage, /^start: /);

  // search consumed nothing: all three (future, so within 3 days) still listed
  assert.equal((await get('/v1/sms/receive/list')).total, 3);
});

test('search: sub-account filter', async () => {
  await inject([
    { source: '5511911110001', messageText: 'a', subAccount: 'A' },
    { source: '5511911110002', messageText: 'b', subAccount: 'B' },
  ]);
  const found = await get('/v1/sms/receive/search?subAccount=B');
  assert.deepEqual(found.messages.map((m) => m.messageText), ['b']);
});
