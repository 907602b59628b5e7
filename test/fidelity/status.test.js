'use strict';
// Statuses: /v1/sms/status/list hands each change out once, /search finds
// by id and correlationId, the last-digit rules give the documented codes,
// timing follows the config, and status queries are limited to 1/s.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  useSimulator, api, control, fixture, sleep,
} = require('./lib/sim');

// The 1/s query limit is switched off except where it is the subject.
const sim = useSimulator({ query_rate: 0 });

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const ITEM_FIELDS = ['id', 'correlationId', 'carrierId', 'carrierName', 'destination',
  'sentStatusCode', 'sentStatus', 'sentAt', 'sentDate', 'deliveredStatusCode',
  'deliveredStatus', 'deliveredAt', 'deliveredDate', 'updatedAt', 'updatedDate',
  'campaignId', 'extraInfo'];

async function sendOne(destination, extra = {}) {
  const res = await api(sim, 'POST', '/v1/send-sms',
    { body: { destination, messageText: 'status test', ...extra } });
  assert.equal(res.status, 200, res.text);
  return res.json[0].id;
}

const list = async () => {
  const res = await api(sim, 'GET', '/v1/sms/status/list');
  assert.equal(res.status, 200, res.text);
  return res.json;
};

const search = async (body) => {
  const res = await api(sim, 'POST', '/v1/sms/status/search', { body });
  assert.equal(res.status, 200, res.text);
  return res.json;
};

function assertEnvelope(envelope) {
  assert.deepEqual(Object.keys(envelope), ['total', 'start', 'end', 'smsStatuses']);
  assert.equal(envelope.total, envelope.smsStatuses.length);
  assert.match(envelope.start, ISO_INSTANT);
  assert.match(envelope.end, ISO_INSTANT);
  assert.ok(Date.parse(envelope.start) <= Date.parse(envelope.end));
}

test('list hands out each status once, in the documented envelope', async () => {
  const ids = [await sendOne('5511900000000', { correlationId: 'k1' }),
    await sendOne('5511900000001'), await sendOne('5511900000002')];
  const first = await list();
  assertEnvelope(first);
  assert.equal(first.total, 3);
  assert.deepEqual(first.smsStatuses.map((s) => s.id), ids);

  const second = await list();
  assertEnvelope(second);
  assert.equal(second.total, 0);
  assert.deepEqual(second.smsStatuses, []);
});

test('items carry the real payload names, with both stages reached', async () => {
  const before = Date.now();
  const id = await sendOne('5511900000000',
    { correlationId: 'corr-1', extraInfo: 'ei', campaignAlias: 'Promo' });
  const [item] = (await list()).smsStatuses;
  assert.deepEqual(Object.keys(item), ITEM_FIELDS);
  assert.equal(item.id, id);
  assert.equal(item.correlationId, 'corr-1');
  assert.equal(item.destination, '5511900000000');
  assert.equal(item.sentStatusCode, 2);
  assert.equal(item.sentStatus, 'SENT_SUCCESS');
  assert.equal(item.deliveredStatusCode, 4);
  assert.equal(item.deliveredStatus, 'DELIVERED_SUCCESS');
  for (const at of ['sentAt', 'deliveredAt', 'updatedAt']) {
    assert.ok(Number.isInteger(item[at]) && item[at] >= before - 1000, at);
  }
  for (const date of ['sentDate', 'deliveredDate', 'updatedDate']) {
    assert.match(item[date], ISO_SECONDS);
  }
  assert.equal(item.sentDate, new Date(item.sentAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  assert.equal(typeof item.campaignId, 'number');
  assert.equal(item.extraInfo, 'ei');

  // Same names as the documented delivery report, apart from the sent time
  // (sentStatusAt/sentStatusDate in the doc, sentAt/sentDate in real payloads).
  const dlr = JSON.parse(fixture('callback-dlr.json'));
  const docNames = Object.keys(dlr).map((k) => k.replace('sentStatusAt', 'sentAt')
    .replace('sentStatusDate', 'sentDate'));
  docNames.forEach((k) => assert.ok(k in item, k));

  // The same campaign alias always gets the same campaignId.
  await sendOne('5511900000001', { campaignAlias: 'Promo' });
  const [again] = (await list()).smsStatuses;
  assert.equal(again.campaignId, item.campaignId);
});

test('search finds by id (any case) and by correlationId, and does not consume', async () => {
  const a = await sendOne('5511900000000', { correlationId: 'order-1' });
  const b = await sendOne('5511900000001', { correlationId: 'order-2' });
  await sendOne('5511900000002', { correlationId: 'order-3' });

  const byId = await search({ ids: [a.toUpperCase(), '00000000-0000-4000-8000-000000000000'] });
  assertEnvelope(byId);
  assert.deepEqual(byId.smsStatuses.map((s) => s.id), [a]); // unknown id simply absent

  const byCorrelation = await search({ correlationIds: ['order-2'] });
  assert.deepEqual(byCorrelation.smsStatuses.map((s) => s.id), [b]);

  const both = await search({ ids: [a], correlationIds: ['order-2'] });
  assert.deepEqual(both.smsStatuses.map((s) => s.id), [a, b]);

  // The documented request body (upper-case ids of nobody) answers nothing.
  const documented = await search(fixture('status-search-request.json'));
  assert.equal(documented.total, 0);

  assert.equal((await list()).total, 3); // search consumed nothing
});

test('search needs ids or correlationIds', async () => {
  for (const body of [{}, { ids: [] }, { ids: [], correlationIds: [] }]) {
    const res = await api(sim, 'POST', '/v1/sms/status/search', { body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.json.errorCode, 400);
  }
  const res = await api(sim, 'POST', '/v1/sms/status/search', { body: { ids: 'x' } });
  assert.equal(res.status, 400);
});

test('last-digit rules give the documented codes and carriers', async () => {
  const failures = {
    101: 'EXPIRED',
    102: 'CARRIER_COMMUNICATION_ERROR',
    103: 'REJECTED_BY_CARRIER',
    201: 'NO_CREDIT',
    202: 'INVALID_DESTINATION_NUMBER',
    203: 'BLACKLISTED',
    204: 'DESTINATION_BLOCKED_BY_OPTOUT',
    205: 'DESTINATION_MESSAGE_LIMIT_REACHED',
    207: 'INVALID_MESSAGE_TEXT',
    301: 'INTERNAL_ERROR',
  };
  const ids = {};
  for (const code of Object.keys(failures)) ids[code] = await sendOne(`5511900001${code}`);
  const notDelivered = await sendOne('5511900001104');
  const oi = await sendOne('5511900001999');
  const even = await sendOne('5511900000002');
  const odd = await sendOne('5511900000003');

  const found = await search({ ids: [...Object.values(ids), notDelivered, oi, even, odd] });
  const byId = Object.fromEntries(found.smsStatuses.map((s) => [s.id, s]));
  for (const [code, name] of Object.entries(failures)) {
    const s = byId[ids[code]];
    assert.equal(s.sentStatusCode, Number(code));
    assert.equal(s.sentStatus, name);
    assert.equal(s.deliveredStatusCode, undefined, `${code} has no DLR`);
  }
  assert.equal(byId[notDelivered].sentStatusCode, 2);
  assert.equal(byId[notDelivered].deliveredStatusCode, 104);
  assert.equal(byId[notDelivered].deliveredStatus, 'NOT_DELIVERED');
  assert.equal(byId[oi].sentStatusCode, 2);
  assert.equal(byId[oi].deliveredStatusCode, undefined);
  assert.deepEqual([byId[oi].carrierId, byId[oi].carrierName], [2, 'OI']);
  assert.deepEqual([byId[even].carrierId, byId[even].carrierName], [1, 'VIVO']);
  assert.deepEqual([byId[odd].carrierId, byId[odd].carrierName], [5, 'TIM']);
  assert.equal(byId[even].deliveredStatusCode, 4);
});

test('timing: sent after sent_delay_ms, DLR after delivered_delay_ms more', async () => {
  // Sleeps only ever overshoot, so each check sits well inside its window.
  await control(sim, 'POST', '/_sim/config', { sent_delay_ms: 200, delivered_delay_ms: 400 });
  const id = await sendOne('5511900000000');

  assert.equal((await search({ ids: [id] })).total, 0); // no status yet: absent
  assert.equal((await list()).total, 0);

  await sleep(250); // sent at +200, delivered at +600
  const sent = (await list()).smsStatuses;
  assert.equal(sent.length, 1);
  assert.equal(sent[0].sentStatusCode, 2);
  assert.equal(sent[0].deliveredStatusCode, undefined);
  assert.equal(sent[0].updatedAt, sent[0].sentAt);

  await sleep(400);
  const delivered = (await list()).smsStatuses; // changed again: listed again
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0].id, id);
  assert.equal(delivered[0].deliveredStatusCode, 4);
  assert.equal(delivered[0].deliveredAt, delivered[0].sentAt + 400);
  assert.equal(delivered[0].updatedAt, delivered[0].deliveredAt);
  assert.equal((await list()).total, 0);
});

test('list_page_size bounds one list call; the rest comes next time', async () => {
  await control(sim, 'POST', '/_sim/config', { list_page_size: 2 });
  for (let i = 0; i < 5; i += 1) await sendOne(`551190000000${i}`);
  const totals = [];
  for (let i = 0; i < 4; i += 1) totals.push((await list()).total);
  assert.deepEqual(totals, [2, 2, 1, 0]);
});

test('status queries: 1 per second per client, 429 above, OK again after a second', async () => {
  await control(sim, 'POST', '/_sim/config', { query_rate: 1 });
  const first = await api(sim, 'GET', '/v1/sms/status/list');
  assert.equal(first.status, 200);
  const second = await api(sim, 'POST', '/v1/sms/status/search', { body: { ids: ['x'] } });
  assert.equal(second.status, 429);
  assert.deepEqual(second.json, { errorCode: 429, errorMessage: 'Too Many Requests' });
  // Sending is limited separately (700/s) and unaffected.
  assert.equal((await api(sim, 'POST', '/v1/send-sms',
    { body: { destination: '5511900000000', messageText: 'x' } })).status, 200);
  await sleep(500);
  assert.equal((await api(sim, 'GET', '/v1/sms/status/list')).status, 429);
  // Refused requests do not count: 960 ms after the first allowed one passes
  // (50 ms tolerance).
  await sleep(Math.max(0, 960 - 500));
  assert.equal((await api(sim, 'GET', '/v1/sms/status/list')).status, 200);
});

test('send_rate limits everything else the same way', async () => {
  await control(sim, 'POST', '/_sim/config', { send_rate: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i += 1) {
    statuses.push((await api(sim, 'GET', '/v1/sms/receive/list')).status);
  }
  assert.deepEqual(statuses, [200, 200, 429]);
});
