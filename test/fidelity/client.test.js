'use strict';
// The third-party client movile-messaging, written for the real service,
// works against the simulator unchanged (only its baseURL is moved).

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  UUID_RE, useSimulator, control, movileClient,
} = require('./lib/sim');

const sim = useSimulator();

test('send: answers the documented array of one object with a uuid', async () => {
  const res = await movileClient(sim).send('5511900000000', 'Olá, mundo');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.ok(Array.isArray(res.data));
  assert.equal(res.data.length, 1);
  assert.deepEqual(Object.keys(res.data[0]), ['id']); // no correlationId sent, none echoed
  assert.match(res.data[0].id, UUID_RE);

  const [logged] = await control(sim, 'GET', '/_sim/requests');
  assert.equal(logged.auth, 'ok'); // UserName / AuthenticationToken headers accepted
  assert.deepEqual(logged.body, { destination: '5511900000000', messageText: 'Olá, mundo' });
});

test('sendBulk: one id per number in order, and a batch id', async () => {
  const numbers = ['5519988887777', '5535989890000',
    { destination: '5511900001234', correlationId: 'third' }];
  const res = await movileClient(sim).sendBulk(numbers, 'Same text for all');
  assert.equal(res.status, 200);
  assert.match(res.data.id, UUID_RE);
  assert.equal(res.data.messages.length, 3);
  res.data.messages.forEach((m) => assert.match(m.id, UUID_RE));
  assert.equal(new Set(res.data.messages.map((m) => m.id)).size, 3);
  assert.deepEqual(res.data.messages.map((m) => m.correlationId), [undefined, undefined, 'third']);

  const stored = await control(sim, 'GET', '/_sim/messages');
  assert.deepEqual(stored.map((m) => m.id), res.data.messages.map((m) => m.id));
  stored.forEach((m) => {
    assert.equal(m.batchId, res.data.id);
    assert.equal(m.messageText, 'Same text for all'); // from defaultValues
  });
  assert.deepEqual(stored.map((m) => m.destination),
    ['5519988887777', '5535989890000', '5511900001234']);
});

test('listReceived: injected MOs are handed out once', async () => {
  const client = movileClient(sim);
  const [sent] = (await client.send('5511988887777', 'Confirma?')).data;
  const injected = await control(sim, 'POST', '/_sim/mo', [
    { source: '5511988887777', messageText: 'Sim', replyTo: sent.id },
    { source: '5521977776666', messageText: 'Pare', subAccount: 'Marketing' },
  ]);

  const first = await client.listReceived();
  assert.equal(first.status, 200);
  assert.deepEqual(Object.keys(first.data).sort(), ['end', 'messages', 'start', 'total']);
  assert.equal(first.data.total, 2);
  assert.deepEqual(first.data.messages.map((m) => m.id), injected.map((m) => m.id));
  const [reply, other] = first.data.messages;
  assert.equal(reply.messageText, 'Sim');
  assert.equal(reply.shortCode, '28149');
  assert.deepEqual(reply.mt, {
    id: sent.id, username: 'demo', email: 'demo@example.com',
  });
  assert.equal(other.subAccount, 'Marketing');
  assert.equal(other.mt, undefined);

  const second = await client.listReceived();
  assert.equal(second.data.total, 0);
  assert.deepEqual(second.data.messages, []);
});

test('searchReceived: MOs of a period, not consumed', async () => {
  const now = Date.now();
  await control(sim, 'POST', '/_sim/mo', [
    { source: '5511911112222', messageText: 'ontem', receivedAt: now - 24 * 3600e3 },
    { source: '5511911113333', messageText: 'agora', receivedAt: now },
  ]);
  const client = movileClient(sim);

  const all = await client.searchReceived(); // defaults: the last 5 days
  assert.equal(all.status, 200);
  assert.deepEqual(all.data.messages.map((m) => m.messageText), ['ontem', 'agora']);

  const start = new Date(now - 3600e3).toISOString();
  const end = new Date(now + 3600e3).toISOString();
  const recent = await client.searchReceived(start, end);
  assert.deepEqual(recent.data.messages.map((m) => m.messageText), ['agora']);
  assert.equal(recent.data.total, 1);

  const again = await client.searchReceived(start, end);
  assert.equal(again.data.total, 1);
});

test('wrong token: 401 with the documented error body, token not echoed', async () => {
  await assert.rejects(movileClient(sim, 'not-the-token').send('5511900000000', 'x'), (err) => {
    assert.equal(err.response.status, 401);
    assert.equal(err.response.data.errorCode, 401);
    assert.match(err.response.data.errorMessage, /^Authentication Error: /);
    assert.ok(!JSON.stringify(err.response.data).includes('not-the-token'));
    return true;
  });
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 0);
});

test('getStatus: the pre-v1 /sms-status endpoint is not part of the API (404)', async () => {
  await assert.rejects(movileClient(sim).getStatus('9cb87d36-79af-11e5-89f3-1b0591cdf807'),
    (err) => {
      assert.equal(err.response.status, 404);
      assert.equal(err.response.data.errorCode, 404);
      return true;
    });
});
