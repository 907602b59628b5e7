'use strict';
// The Reach API (/reach/api/rest) against its documentation
// (shared/reference/other-providers.md, section Reach, and the seed
// reach-messages-api.es.txt): signed requests through an independent
// signer (lib/reach-signer.js), the seed's example objects, limits, rate,
// quota, statuses over time, replies, the config alternatives, faults and
// the control API.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
  REACH_KEY, REACH_SECRET, REACH_SHORT_NAME, SIMCTL, useSimulator, reach, control, sleep,
  fixture, api,
} = require('./lib/sim');
const { httpDate } = require('./lib/reach-signer');

// The rate limit is switched on only where it is tested.
const sim = useSimulator({ reach_rate: 0 });

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'reach');
const SEED = path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'seeds',
  'reach-messages-api.es.txt');
const reachFixture = (name) => JSON.parse(fixture(path.join('reach', name)));
const MESSAGE_ID_RE = /^[0-9a-f]{24}$/;
const CREATED_ON_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const MAX_TEXT = 160 - (REACH_SHORT_NAME.length + 2);

const sendTo = (msisdn, message = 'hola', extra = {}) => reach(sim, 'POST',
  '/messages/send_to_contact', { body: { msisdn, message, ...extra } });
const sendTags = (tags, message = 'a todos', extra = {}) => reach(sim, 'POST', '/messages/send',
  { body: { tags, message, ...extra } });
const config = (changes) => control(sim, 'POST', '/_sim/config', changes);

// A window around now, as the seed documents dates (RFC 1123, GMT).
function window(params = {}, seconds = 600) {
  const now = Date.now();
  return {
    start_date: httpDate(now - seconds * 1000), end_date: httpDate(now + seconds * 1000), ...params,
  };
}

async function list(params = {}) {
  const res = await reach(sim, 'GET', '/messages', { params: window(params) });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.json), res.text);
  return res.json;
}

function assertError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(Object.keys(res.json), ['code', 'error'], res.text);
  assert.equal(res.json.code, code, res.text);
  assert.equal(typeof res.json.error, 'string');
  assert.ok(res.json.error.length > 0);
}

// The same keys in the same order, each value of the same JSON type.
function assertShape(actual, documented) {
  assert.deepEqual(Object.keys(actual), Object.keys(documented));
  for (const [key, value] of Object.entries(documented)) {
    assert.equal(typeof actual[key], typeof value, key);
  }
}

// ----- fixtures ------------------------------------------------------------

test('fixtures: the README lists every reach/ file; each is JSON', () => {
  const readme = fixture('README.md');
  const section = readme.slice(readme.indexOf('## Reach'), readme.indexOf('## Test-made fixtures'));
  const listed = [...section.matchAll(/^\| `reach\/([^`]+\.json)` \|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(listed, fs.readdirSync(FIXTURES).sort());
  listed.forEach((f) => assert.doesNotThrow(() => reachFixture(f), f));
});

test('fixtures: converting the seed\'s literals again gives the same files',
  { skip: !fs.existsSync(SEED) && 'shared/ is not beside the repository' }, () => {
    const literals = fs.readFileSync(SEED, 'utf8').split('\n').filter((l) => l.startsWith('{'));
    const convert = (l) => l.replace(/([{,]\s*)([A-Za-z_]\w*)\s*:/g, '$1"$2":').replace(/'/g, '"');
    const converted = literals.map(convert);
    for (const name of fs.readdirSync(FIXTURES)) {
      assert.ok(converted.includes(fixture(path.join('reach', name)).trimEnd()), name);
    }
  });

// ----- signed requests accepted --------------------------------------------

test('send_to_contact: the seed\'s example request, the seed\'s answer shape', async () => {
  const res = await reach(sim, 'POST', '/messages/send_to_contact', {
    body: fixture(path.join('reach', 'send-to-contact-request.json')).trimEnd(),
  });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'], /^application\/json/);
  const documented = reachFixture('send-to-contact-response.json');
  assertShape(res.json, documented);
  const { message_id: id, created_on: createdOn, ...rest } = res.json;
  const { message_id: _i, created_on: _c, ...documentedRest } = documented;
  assert.match(id, MESSAGE_ID_RE);
  assert.match(createdOn, CREATED_ON_RE);
  assert.deepEqual(rest, documentedRest); // id 12345 sent as a number, answered '12345'
});

test('send_to_contact without id: the Message object\'s keys; country from the number', async () => {
  const res = await sendTo('50235148164', 'messageTest');
  assert.equal(res.status, 200, res.text);
  const documented = reachFixture('message.json');
  assertShape(res.json, documented);
  assert.equal(res.json.id, undefined);
  assert.deepEqual([res.json.country, res.json.status, res.json.sent_count, res.json.type],
    ['502', 'READY', 0, 1]);
  const other = await sendTo('50412345678');
  assert.equal(other.json.country, '504');
});

test('send to tags: the seed\'s PENDING answer, then a listed group message', async () => {
  const res = await reach(sim, 'POST', '/messages/send', {
    body: fixture(path.join('reach', 'send-request.json')).trimEnd(),
  });
  assert.equal(res.status, 200, res.text);
  const documented = reachFixture('send-response.json');
  assertShape(res.json, documented);
  const { created_on: createdOn, ...rest } = res.json;
  const { created_on: _c, ...documentedRest } = documented;
  assert.match(createdOn, CREATED_ON_RE);
  assert.deepEqual(rest, documentedRest);

  const [group] = await list();
  assert.match(group.message_id, MESSAGE_ID_RE);
  assert.deepEqual([group.type, group.status, group.total_recipients, group.sent_count,
    group.is_billable, group.msisdn], [2, 'SENT', 2, 2, true, undefined]);
  assert.equal(group.created_on, createdOn);
  assert.deepEqual(await list({ group_short_name: 'home' }), [group]);
  assert.deepEqual(await list({ group_short_name: 'other' }), []);
});

test('a tag send is listed only once processed (reach_group_delay_ms)', async () => {
  await config({ reach_group_delay_ms: 300 });
  const res = await sendTags(['home'], 'despues', { id: 'g-1' });
  assert.equal(res.json.status, 'PENDING');
  assert.equal(res.json.id, 'g-1');
  assert.deepEqual(await list(), []);
  const [stored] = await control(sim, 'GET', '/_sim/reach/messages');
  assert.equal(stored.listed, false);
  assert.deepEqual(stored.recipients, ['50235148163', '50235148164']);
  await sleep(400);
  const [group] = await list();
  assert.equal(group.message_id, stored.message_id);
  assert.equal(group.type, 2);
});

test('tags known by config; members counted once across tags', async () => {
  await config({ reach_tags: { a: ['50211110001', '50211110002'], b: ['50211110002', '50211110003'] } });
  assert.equal((await sendTags(['a', 'b'])).status, 200);
  const [group] = await list();
  assert.equal(group.total_recipients, 3);
  assertError(await sendTags(['home']), 400, 40008);
});

test('listing: several parameters, dates with spaces, commas and colons', async () => {
  await sendTo('50235148163', 'uno');
  await sendTo('50235148164', 'dos');
  await control(sim, 'POST', '/_sim/reach/mo', { msisdn: '50235148163', message: 'respuesta' });
  const all = await list();
  assert.deepEqual(all.map((m) => m.message), ['uno', 'dos', 'respuesta']);
  assert.deepEqual((await list({ msisdn: '50235148163', direction: 'MT', limit: 5, start: 0 }))
    .map((m) => m.message), ['uno']);
  assert.deepEqual((await list({ direction: 'MO' })).map((m) => m.message), ['respuesta']);
  assert.deepEqual((await list({ misdn: '50235148164' })).map((m) => m.message), ['dos']);
  // the v4 SDK's form, YYYY-MM-DD HH:MM:SS (operator's zone, UTC by default)
  const naive = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const res = await reach(sim, 'GET', '/messages', {
    params: { end_date: naive(Date.now() + 60e3), start_date: naive(Date.now() - 60e3), direction: 'ALL' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.length, 3);
  // unknown parameters are ignored (the v4 SDK sends startDate/endDate too)
  assert.equal((await list({ startDate: '2024-01-01', x: 'y z' })).length, 3);
  // a window in the past finds nothing
  const old = await reach(sim, 'GET', '/messages', {
    params: { start_date: 'Mon, 11 Jun 2014 17:33:23 GMT', end_date: 'Tue, 12 Jun 2014 17:33:23 GMT' },
  });
  assert.deepEqual(old.json, []);
});

test('paging: three full pages, then a short page; past the end an empty page', async () => {
  for (let i = 0; i < 7; i += 1) await sendTo(`5023514816${i}`, `m${i}`);
  const pages = [];
  for (let start = 0; ; start += 2) {
    const page = await list({ limit: 2, start });
    pages.push(page.map((m) => m.message));
    if (page.length < 2) break;
  }
  assert.deepEqual(pages, [['m0', 'm1'], ['m2', 'm3'], ['m4', 'm5'], ['m6']]);
  assert.deepEqual(await list({ limit: 2, start: 8 }), []);
  assert.equal((await list()).length, 7); // default limit 200
});

test('listing parameters refused: dates, limit, start, direction', async () => {
  const get = (params) => reach(sim, 'GET', '/messages', { params });
  assertError(await get({ end_date: httpDate() }), 400, 40010);
  assertError(await get(window({ start_date: 'yesterday' })), 400, 40010);
  assertError(await get(window({ limit: 1001 })), 400, 40011);
  assertError(await get(window({ limit: 0 })), 400, 40011);
  assertError(await get(window({ start: -1 })), 400, 40012);
  assertError(await get(window({ direction: 'IN' })), 400, 40013);
  assert.equal((await get(window({ limit: 1000 }))).status, 200);
});

// ----- tampered requests refused -------------------------------------------

test('tampering: body, query, an added parameter, wrong secret, unknown key', async () => {
  const body = JSON.stringify({ msisdn: '50235148163', message: 'hola' });
  const changed = JSON.stringify({ msisdn: '50235148163', message: 'HOLA' });
  assertError(await reach(sim, 'POST', '/messages/send_to_contact',
    { body: changed, signBody: body }), 401, 40103);
  const params = window();
  assertError(await reach(sim, 'GET', '/messages',
    { params: { ...params, limit: 5 }, signParams: { ...params, limit: 4 } }), 401, 40103);
  assertError(await reach(sim, 'GET', '/messages',
    { params: { ...params, direction: 'MO' }, signParams: params }), 401, 40103);
  assertError(await reach(sim, 'POST', '/messages/send_to_contact',
    { body, apiSecret: `${REACH_SECRET}x` }), 401, 40103);
  assertError(await reach(sim, 'POST', '/messages/send_to_contact',
    { body, apiKey: 'someone-else' }), 401, 40102);
  assert.deepEqual(await control(sim, 'GET', '/_sim/reach/messages'), []);
  // the same, untampered, passes
  assert.equal((await reach(sim, 'POST', '/messages/send_to_contact', { body })).status, 200);
  assert.equal((await reach(sim, 'GET', '/messages', { params })).status, 200);
});

test('the query is signed sorted by name; repeated names keep their order', async () => {
  const params = [['start_date', httpDate(Date.now() - 60e3)], ['end_date', httpDate(Date.now() + 60e3)],
    ['direction', 'MT'], ['msisdn', '1'], ['msisdn', '50235148163']];
  assert.equal((await reach(sim, 'GET', '/messages', { params })).status, 200);
  const swapped = [...params.slice(0, 3), params[4], params[3]];
  assertError(await reach(sim, 'GET', '/messages', { params, signParams: swapped }), 401, 40103);
});

test('Date: outside the clock window, malformed; missing headers', async () => {
  const body = { msisdn: '50235148163', message: 'hola' };
  const send = (options) => reach(sim, 'POST', '/messages/send_to_contact', { body, ...options });
  assertError(await send({ date: httpDate(Date.now() - 301e3) }), 401, 40101);
  assertError(await send({ date: httpDate(Date.now() + 301e3) }), 401, 40101);
  assert.equal((await send({ date: httpDate(Date.now() - 200e3) })).status, 200);
  await config({ reach_clock_window_s: 10 });
  assertError(await send({ date: httpDate(Date.now() - 60e3) }), 401, 40101);
  assertError(await send({ date: '2014-06-11 17:33:23' }), 401, 40100);
  assertError(await send({ headers: { Authorization: null } }), 401, 40100);
  assertError(await send({ headers: { Date: null } }), 401, 40100);
  assertError(await send({ headers: { Authorization: `Basic ${REACH_KEY}` } }), 401, 40100);
  assertError(await reach(sim, 'GET', '/messages',
    { params: window(), headers: { Authorization: null, Date: null } }), 401, 40100);
});

test('reach_auth_status 403; the log says ok/missing/bad and never holds the secret', async () => {
  await config({ reach_auth_status: 403 });
  const body = { msisdn: '50235148163', message: 'hola' };
  assertError(await reach(sim, 'POST', '/messages/send_to_contact',
    { body, apiSecret: 'wrong' }), 403, 40103);
  assertError(await reach(sim, 'POST', '/messages/send_to_contact',
    { body, headers: { Authorization: null } }), 403, 40100);
  assert.equal((await reach(sim, 'POST', '/messages/send_to_contact', { body })).status, 200);
  const log = await control(sim, 'GET', '/_sim/requests');
  assert.deepEqual(log.map((e) => [e.path, e.auth, e.status]), [
    ['/reach/api/rest/messages/send_to_contact', 'bad', 403],
    ['/reach/api/rest/messages/send_to_contact', 'missing', 403],
    ['/reach/api/rest/messages/send_to_contact', 'ok', 200],
  ]);
  assert.deepEqual(log[2].body, body);
  for (const where of ['/_sim/requests', '/_sim/config', '/_sim/reach/messages', '/_sim/stats']) {
    assert.ok(!JSON.stringify(await control(sim, 'GET', where)).includes(REACH_SECRET), where);
  }
  assert.ok(!sim.stdout().includes(REACH_SECRET) && !sim.stderr().includes(REACH_SECRET));
});

// ----- limits --------------------------------------------------------------

test('message length: 160 - (short name + 2) code points', async () => {
  assert.equal(MAX_TEXT, 153);
  assert.equal((await sendTo('50235148163', 'x'.repeat(MAX_TEXT))).status, 200);
  assertError(await sendTo('50235148163', 'x'.repeat(MAX_TEXT + 1)), 400, 40004);
  // code points, not UTF-16 units or bytes
  assert.equal((await sendTo('50235148163', '😀'.repeat(MAX_TEXT))).status, 200);
  assertError(await sendTags(['home'], 'ñ'.repeat(MAX_TEXT + 1)), 400, 40004);
  await config({ reach_short_name: 'TuEmpresa' }); // 9 characters: 149
  assert.equal((await sendTo('50235148163', 'x'.repeat(149))).status, 200);
  assertError(await sendTo('50235148163', 'x'.repeat(150)), 400, 40004);
});

test('id: text or number, at most 40, answered as text', async () => {
  const long = await sendTo('50235148163', 'x', { id: 'i'.repeat(40) });
  assert.equal(long.json.id, 'i'.repeat(40));
  assertError(await sendTo('50235148163', 'x', { id: 'j'.repeat(41) }), 400, 40005);
  assertError(await sendTags(['home'], 'x', { id: 'k'.repeat(41) }), 400, 40005);
  assertError(await sendTo('50235148163', 'x', { id: { n: 1 } }), 400, 40005);
  assert.equal((await sendTo('50235148163', 'x', { id: 77 })).json.id, '77');
});

test('anti-spam: a repeated id within reach_spam_period_s is refused', async () => {
  await config({ reach_spam_period_s: 1 });
  assert.equal((await sendTo('50235148163', 'x', { id: 'dup' })).status, 200);
  assertError(await sendTo('50235148164', 'y', { id: 'dup' }), 400, 40006);
  assertError(await sendTags(['home'], 'z', { id: 'dup' }), 400, 40006);
  // a refused request does not claim its id
  assertError(await sendTo('50235141400', 'x', { id: 'fresh' }), 400, 40009);
  assert.equal((await sendTo('50235148163', 'x', { id: 'fresh' })).status, 200);
  await sleep(1100);
  assert.equal((await sendTo('50235148164', 'y', { id: 'dup' })).status, 200);
});

test('validation: msisdn, message, body, tags; numbers ending in 1400', async () => {
  const post = (body) => reach(sim, 'POST', '/messages/send_to_contact', { body });
  assertError(await post({ message: 'x' }), 400, 40001);
  assertError(await post({ msisdn: '', message: 'x' }), 400, 40001);
  assertError(await post({ msisdn: '+50235148163', message: 'x' }), 400, 40002);
  assertError(await post({ msisdn: '5023 5148163', message: 'x' }), 400, 40002);
  assertError(await post({ msisdn: '50235148163' }), 400, 40003);
  assertError(await post({ msisdn: '50235148163', message: '' }), 400, 40003);
  assertError(await post('{"msisdn": "50235148163", '), 400, 40000);
  assertError(await post('[]'), 400, 40000);
  assertError(await post({ msisdn: '50235141400', message: 'x' }), 400, 40009);
  assertError(await sendTags('home'), 400, 40007);
  assertError(await sendTags([]), 400, 40007);
  assertError(await sendTags(['home', '']), 400, 40007);
  assertError(await sendTags([1]), 400, 40007);
  assert.deepEqual(await control(sim, 'GET', '/_sim/reach/messages'), []);
  // null means absent; msisdn as a number (the seed's table says numeric)
  assert.equal((await post({ msisdn: 50235148163, message: 'x', id: null })).status, 200);
});

test('unknown paths and methods: 404 in the Reach shape', async () => {
  assertError(await reach(sim, 'GET', '/messages/send_to_contact'), 404, 40400);
  assertError(await reach(sim, 'POST', '/contacts', { body: {} }), 404, 40400);
});

// ----- rate and quota --------------------------------------------------------

for (const status of [429, 403]) {
  test(`rate limit: 42900 with reach_rate_status ${status}, no Retry-After`, async () => {
    await config({ reach_rate: 2, reach_rate_status: status });
    assert.equal((await sendTo('50235148163')).status, 200);
    assert.equal((await list()).length, 1);
    const refused = await sendTo('50235148164');
    assertError(refused, status, 42900);
    assert.equal(refused.headers['retry-after'], undefined);
    await sleep(1000);
    assert.equal((await sendTo('50235148164')).status, 200);
    // Sinch's own limits are apart
    assert.equal((await api(sim, 'POST', '/v1/send-sms',
      { body: { destination: '5511900000000', messageText: 'x' } })).status, 200);
  });
}

test('quota: beyond reach_quota messages, 403 40301; a tag send counts its members', async () => {
  await config({ reach_quota: 3 });
  assert.equal((await sendTo('50235148163')).status, 200);
  assert.equal((await sendTags(['home'])).status, 200);
  const refused = await sendTo('50235148164');
  assertError(refused, 403, 40301);
  assert.equal(refused.json.error, 'Ha excedido el número de mensajes contratado');
  assert.equal((await list()).length, 2); // listing still works
  await config({ reach_quota: null });
  assert.equal((await sendTo('50235148164')).status, 200);
});

// ----- over time -------------------------------------------------------------

test('status: READY, then SENT after reach_sent_delay_ms', async () => {
  await config({ reach_sent_delay_ms: 300 });
  const sent = await sendTo('50235148163', 'pronto');
  assert.equal(sent.json.status, 'READY');
  let [item] = await list();
  assert.deepEqual([item.status, item.sent_count, item.error_count], ['READY', 0, 0]);
  await sleep(400);
  [item] = await list();
  assert.deepEqual([item.status, item.sent_count, item.error_count], ['SENT', 1, 0]);
  assert.equal(item.message_id, sent.json.message_id);
});

test('a number ending in 1999 ends in ERROR, error_count 1, and never replies', async () => {
  await config({ reach_auto_reply: 'ok' });
  const sent = await sendTo('50235141999', 'falla');
  assert.equal(sent.json.status, 'READY');
  const items = await list();
  assert.equal(items.length, 1);
  assert.deepEqual([items[0].status, items[0].sent_count, items[0].error_count], ['ERROR', 1, 1]);
});

test('auto reply: an MO from the recipient, listed with direction MO', async () => {
  await config({ reach_auto_reply: 'Sí, gracias', reach_reply_delay_ms: 300 });
  const sent = await sendTo('50235148163', '¿Confirma?');
  assert.deepEqual(await list({ direction: 'MO' }), []);
  await sleep(400);
  const [mo] = await list({ direction: 'MO' });
  assert.deepEqual(Object.keys(mo), ['message_id', 'short_code', 'type', 'direction', 'status',
    'message', 'msisdn', 'country', 'created_on']);
  assert.equal(mo.direction, 'MO');
  assert.equal(mo.type, 1);
  assert.equal(mo.msisdn, '50235148163');
  assert.equal(mo.message, 'Sí, gracias');
  assert.equal(mo.status, 'UNREAD');
  assert.match(mo.message_id, MESSAGE_ID_RE);
  assert.notEqual(mo.message_id, sent.json.message_id);
  assert.deepEqual((await list({ direction: 'MT' })).map((m) => m.message), ['¿Confirma?']);
  assert.deepEqual((await list()).map((m) => m.direction), ['MT', 'MO']);
});

test('created_on in the operator\'s zone; naive dates read in it too', async () => {
  await config({ reach_utc_offset_minutes: -360 });
  const before = Date.now();
  const sent = await sendTo('50235148163');
  const shown = Date.parse(`${sent.json.created_on.replace(' ', 'T')}-06:00`);
  assert.ok(Math.abs(shown - before) < 3000, sent.json.created_on);
  // an RFC 1123 window in GMT around now finds it
  assert.equal((await list({}, 30)).length, 1);
  // a naive window in UTC would be 6 hours off: nothing
  const utc = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const res = await reach(sim, 'GET', '/messages', {
    params: { start_date: utc(before - 60e3), end_date: utc(before + 60e3) },
  });
  assert.deepEqual(res.json, []);
});

// ----- config alternatives ---------------------------------------------------

test('reach_booleans int: 0/1 in answers and listings', async () => {
  await config({ reach_booleans: 'int' });
  const sent = await sendTo('50235148163');
  assert.deepEqual([sent.json.is_billable, sent.json.is_scheduled], [1, 0]);
  const pending = await sendTags(['home']);
  assert.deepEqual([pending.json.is_billable, pending.json.is_scheduled], [0, 0]);
  const items = await list();
  assert.deepEqual(items.map((m) => [m.is_billable, m.is_scheduled]), [[1, 0], [1, 0]]);
});

test('reach_sent_from array: the recipients; include_recipients=true asks for it', async () => {
  await sendTo('50235148163');
  await sendTags(['home']);
  assert.deepEqual((await list()).map((m) => m.sent_from), ['API_REST', 'API_REST']);
  assert.deepEqual((await list({ include_recipients: 'true' })).map((m) => m.sent_from),
    [['50235148163'], ['50235148163', '50235148164']]);
  await config({ reach_sent_from: 'array' });
  assert.deepEqual((await sendTo('50235148164')).json.sent_from, ['50235148164']);
  assert.deepEqual((await sendTags(['home'])).json.sent_from, []);
  assert.deepEqual((await list()).map((m) => m.sent_from.length), [1, 2, 1, 2]);
});

// ----- faults and control ----------------------------------------------------

test('faults: a /reach fault hits Reach requests, in the Reach shape', async () => {
  await control(sim, 'POST', '/_sim/fault', { kind: 'status', status: 503, path: '/reach' });
  await control(sim, 'POST', '/_sim/fault', { kind: 'status', status: 500 }); // default /v1
  const res = await sendTo('50235148163');
  assert.equal(res.status, 503);
  assert.deepEqual(res.json, { code: 50300, error: 'Service Unavailable' });
  assert.equal((await sendTo('50235148163')).status, 200); // the /v1 fault is not Reach's
  assert.equal((await control(sim, 'GET', '/_sim/fault')).length, 1);
  // "process": the message is stored though the answer is lost
  await control(sim, 'POST', '/_sim/fault',
    { kind: 'drop', path: '/reach/api/rest/messages/send', process: true });
  await assert.rejects(reach(sim, 'POST', '/messages/send',
    { body: { tags: ['home'], message: 'x' }, agent: false }));
  assert.equal((await control(sim, 'GET', '/_sim/reach/messages')).length, 2);
  const log = await control(sim, 'GET', '/_sim/requests');
  assert.deepEqual(log.map((e) => [e.status, e.fault]), [[503, 'status'], [200, undefined],
    [null, 'drop']]);
});

test('control: /_sim/reach/mo, /_sim/reach/messages, stats, reset', async () => {
  await sendTo('50235148163', 'hola');
  const mo = await control(sim, 'POST', '/_sim/reach/mo',
    { msisdn: '50235148163', message: 'antes', created_on: '2021-07-11 17:38:34' });
  assert.equal(mo.created_on, '2021-07-11 17:38:34');
  const two = await control(sim, 'POST', '/_sim/reach/mo',
    [{ msisdn: '50235148164', message: 'a' }, { msisdn: '50235148165', message: 'b', status: 'READ' }]);
  assert.deepEqual(two.map((m) => m.status), ['UNREAD', 'READ']);
  const stored = await control(sim, 'GET', '/_sim/reach/messages');
  assert.deepEqual(stored.map((m) => [m.direction, m.message, m.listed]),
    [['MT', 'hola', true], ['MO', 'antes', true], ['MO', 'a', true], ['MO', 'b', true]]);
  assert.deepEqual(Object.keys(stored[0]).slice(-4), ['tags', 'recipients', 'listed', 'created_at']);
  const old = await reach(sim, 'GET', '/messages', {
    params: { start_date: 'Sun, 11 Jul 2021 00:00:00 GMT', end_date: 'Sun, 11 Jul 2021 23:59:59 GMT' },
  });
  assert.deepEqual(old.json.map((m) => m.message), ['antes']);
  assert.equal((await control(sim, 'GET', '/_sim/stats')).reach_messages, 4);
  const bad = await api(sim, 'POST', '/_sim/reach/mo', { auth: false, body: { msisdn: '+502', message: 'x' } });
  assert.equal(bad.status, 400);
  const badKey = await api(sim, 'POST', '/_sim/config', { auth: false, body: { reach_auth_status: 500 } });
  assert.equal(badKey.status, 400);
  await control(sim, 'POST', '/_sim/reset');
  assert.deepEqual(await control(sim, 'GET', '/_sim/reach/messages'), []);
  const defaults = await control(sim, 'GET', '/_sim/config');
  assert.equal(defaults.reach_rate, 10);
  assert.equal(defaults.reach_short_name, 'SIMCO');
  assert.deepEqual(defaults.reach_tags, { home: ['50235148163', '50235148164'] });
});

test('simctl: reach-mo, reach-messages, config reach_*', async () => {
  const run = (args) => {
    const res = spawnSync(SIMCTL, args, { env: { ...process.env, SIM_URL: sim.http }, encoding: 'utf8' });
    assert.equal(res.status, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };
  assert.equal(run(['config', 'reach_rate=0', 'reach_auto_reply=Sí', 'reach_quota=null']), '');
  const cfg = await control(sim, 'GET', '/_sim/config');
  assert.deepEqual([cfg.reach_rate, cfg.reach_auto_reply, cfg.reach_quota], [0, 'Sí', null]);
  await sendTo('50235148163', 'hola', { id: 'x1' });
  const id = run(['reach-mo', '--msisdn', '50235148164', '--text', 'otra', '--print-id']).trim();
  assert.match(id, MESSAGE_ID_RE);
  assert.equal(run(['reach-messages', '--direction', 'MO', '--fields', 'msisdn,message']),
    '{"message": "Sí", "msisdn": "50235148163"}\n{"message": "otra", "msisdn": "50235148164"}\n');
  assert.equal(run(['reach-messages', '--count']), '3\n');
  const [mt] = run(['reach-messages', '--direction', 'MT']).trimEnd().split('\n').map(JSON.parse);
  assert.equal(mt.message_id, undefined); // left out unless asked: stable output
  assert.equal(mt.created_on, undefined);
  assert.deepEqual([mt.id, mt.status, mt.msisdn, mt.listed], ['x1', 'SENT', '50235148163', true]);
  assert.equal(run(['requests', '--path', '/reach', '--fields', 'method,path,auth,status']),
    '{"auth": "ok", "method": "POST", "path": "/reach/api/rest/messages/send_to_contact", "status": 200}\n');
});
