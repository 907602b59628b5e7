'use strict';
// Fault injection through /_sim/fault: each kind does what test/sim/README.md
// says, faults are consumed FIFO per matching path, come before auth and
// rate checks, and "process" makes the API act before the answer is lost.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  useSimulator, api, control,
} = require('./lib/sim');

const sim = useSimulator({ query_rate: 0 });
const MSG = { destination: '5511900000000', messageText: 'fault test' };

const fault = (spec) => control(sim, 'POST', '/_sim/fault', spec);
// A connection of its own, so a dropped one cannot disturb other requests.
const send = (options = {}) => api(sim, 'POST', '/v1/send-sms', { body: MSG, agent: false, ...options });

async function timed(promise) {
  const start = Date.now();
  try {
    return { value: await promise, ms: Date.now() - start };
  } catch (error) {
    return { error, ms: Date.now() - start };
  }
}

test('status: given status, documented error body, Retry-After; then back to normal', async () => {
  await fault({ kind: 'status', status: 503, retry_after: 2 });
  const res = await send();
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '2');
  assert.deepEqual(res.json, { errorCode: 503, errorMessage: 'Service Unavailable' });
  assert.equal((await send()).status, 200);
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 1);
});

test('status: custom body and content type, count uses', async () => {
  await fault({
    kind: 'status', status: 500, count: 2, body: 'upstream exploded', content_type: 'text/plain',
  });
  for (let i = 0; i < 2; i += 1) {
    const res = await send();
    assert.equal(res.status, 500);
    assert.equal(res.text, 'upstream exploded');
    assert.equal(res.headers['content-type'], 'text/plain');
  }
  assert.equal((await send()).status, 200);
});

test('faults are consumed in order, only by requests under their path', async () => {
  await fault({ kind: 'status', status: 503, path: '/v1/sms/status/' });
  await fault({ kind: 'status', status: 500 });
  await fault({ kind: 'status', status: 502 });
  assert.deepEqual((await control(sim, 'GET', '/_sim/fault')).map((f) => f.status), [503, 500, 502]);
  assert.equal((await send()).status, 500); // skips the status-path fault
  assert.equal((await api(sim, 'GET', '/v1/sms/status/list')).status, 503);
  assert.equal((await send()).status, 502);
  assert.equal((await send()).status, 200);
  // Control requests never consume faults.
  await fault({ kind: 'status', status: 500 });
  await control(sim, 'GET', '/_sim/stats');
  assert.equal((await send()).status, 500);
});

test('faults come before auth and rate checks', async () => {
  await fault({ kind: 'status', status: 503 });
  const res = await send({ auth: false });
  assert.equal(res.status, 503);
  const [entry] = await control(sim, 'GET', '/_sim/requests');
  assert.equal(entry.auth, 'missing');
  assert.equal(entry.fault, 'status');
  assert.equal(entry.status, 503);

  await control(sim, 'POST', '/_sim/config', { query_rate: 1 });
  const t0 = Date.now();
  assert.equal((await api(sim, 'GET', '/v1/sms/status/list')).status, 200);
  await fault({ kind: 'status', status: 500 });
  assert.equal((await api(sim, 'GET', '/v1/sms/status/list')).status, 500); // not 429
  const third = await api(sim, 'GET', '/v1/sms/status/list');
  // the faulted request took no slot: the window of the first is still full,
  // unless a stalled machine took a whole second to get here
  if (third.status !== 429) {
    assert.ok(Date.now() - t0 >= 1000, `status ${third.status} within a second of the first query`);
  }
});

test('process: the API acts, then the fault replaces its answer', async () => {
  await fault({ kind: 'status', status: 502, process: true });
  assert.equal((await send()).status, 502);
  await fault({ kind: 'drop', process: true });
  assert.ok((await timed(send())).error);
  const stored = await control(sim, 'GET', '/_sim/messages');
  assert.equal(stored.length, 2);
  const search = await api(sim, 'POST', '/v1/sms/status/search',
    { body: { ids: stored.map((m) => m.id) } });
  assert.equal(search.json.total, 2); // statuses exist for the "lost" sends
});

test('drop: the request is read, the connection closed with no answer', async () => {
  await fault({ kind: 'drop' });
  const { error, ms } = await timed(send());
  assert.ok(error, 'request must fail');
  assert.match(error.code, /ECONNRESET|EPIPE/);
  assert.ok(ms < 1000);
  const [entry] = await control(sim, 'GET', '/_sim/requests');
  assert.equal(entry.status, null);
  assert.equal(entry.fault, 'drop');
  assert.deepEqual(entry.body, MSG); // it was read
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 0);
});

test('hang: no answer for `seconds`, then the connection closes', async () => {
  await fault({ kind: 'hang', seconds: 0.3 });
  const { error, ms } = await timed(send());
  assert.ok(error, 'request must fail');
  assert.ok(ms >= 290 && ms < 2000, `${ms} ms`);
});

test('hang: released at once by /_sim/reset', async () => {
  await fault({ kind: 'hang', seconds: 30 });
  const pending = timed(send());
  await new Promise((r) => setTimeout(r, 200));
  const [entry] = await control(sim, 'GET', '/_sim/requests');
  assert.equal(entry.fault, 'hang');
  assert.equal(entry.status, null);
  await control(sim, 'POST', '/_sim/reset');
  const { error, ms } = await pending;
  assert.ok(error);
  assert.ok(ms < 2000, `${ms} ms`);
});

test('garbage: 200 whose body is not JSON', async () => {
  await fault({ kind: 'garbage' });
  const res = await send();
  assert.equal(res.status, 200);
  assert.ok(res.text.length > 0);
  assert.equal(res.json, undefined);
});

test('html: an HTML page, status 200 unless given', async () => {
  await fault({ kind: 'html' });
  await fault({ kind: 'html', status: 502 });
  for (const status of [200, 502]) {
    const res = await send();
    assert.equal(res.status, status);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.text, /<html>/);
  }
});

test('huge: 200 with a valid JSON body of exactly `bytes` bytes', async () => {
  for (const bytes of [3 * 1024 * 1024 + 7, 5]) {
    await fault({ kind: 'huge', bytes });
    const res = await send();
    assert.equal(res.status, 200);
    assert.equal(Buffer.byteLength(res.text), bytes);
    assert.equal(Number(res.headers['content-length']), bytes);
    assert.notEqual(res.json, undefined);
  }
});

test('delay: the normal answer, `ms` later', async () => {
  await fault({ kind: 'delay', ms: 300 });
  const { value, ms } = await timed(send());
  assert.ok(ms >= 290, `${ms} ms`);
  assert.equal(value.status, 200);
  assert.equal(value.json.length, 1);
});

test('bad fault specs are refused by the control API', async () => {
  for (const spec of [{ kind: 'nope' }, { kind: 'status' }, { kind: 'hang', seconds: -1 },
    { kind: 'status', status: 500, count: 0 }]) {
    const res = await api(sim, 'POST', '/_sim/fault', { body: spec, auth: false });
    assert.equal(res.status, 400, JSON.stringify(spec));
    assert.ok(res.json.error);
  }
  assert.deepEqual(await control(sim, 'GET', '/_sim/fault'), []);
});
