'use strict';
// POST /v1/send-bulk-sms: the documentation's own examples sent verbatim,
// defaultValues and root-level fields, the 1000-message limit, and
// per-message validation naming the index.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  UUID_RE, useSimulator, api, control, fixture,
} = require('./lib/sim');

const sim = useSimulator();

const bulk = (body) => api(sim, 'POST', '/v1/send-bulk-sms', { body });

// What /_sim/messages should hold for an accepted request: each message
// merged over defaultValues over the root-level fields.
function expectedMessages(request) {
  const { messages, defaultValues = {}, ...root } = request;
  return messages.map((m) => ({ ...root, ...defaultValues, ...m }));
}

async function assertBulkAccepted(text) {
  const request = JSON.parse(text);
  const res = await bulk(text);
  assert.equal(res.status, 200, res.text);
  assert.match(res.json.id, UUID_RE);
  assert.equal(res.json.messages.length, request.messages.length);
  res.json.messages.forEach((m) => assert.match(m.id, UUID_RE));

  const stored = await control(sim, 'GET', '/_sim/messages');
  assert.deepEqual(stored.map((m) => m.id), res.json.messages.map((m) => m.id));
  const fields = stored.map(({ id, batchId, acceptedAt, ...rest }) => {
    assert.equal(batchId, res.json.id);
    return rest;
  });
  assert.deepEqual(fields, expectedMessages(request));
  return { res, stored };
}

// Valid as printed: accepted verbatim.
for (const name of ['bulk-example-1.json', 'bulk-example-2.json', 'bulk-example-3-pt.json',
  'bulk-example-4.json', 'bulk-sms-curl.json']) {
  test(`seed ${name} is accepted verbatim, defaults applied`, async () => {
    const { res, stored } = await assertBulkAccepted(fixture(name));
    // The doc's answer carries no correlationId when none was sent.
    res.json.messages.forEach((m) => assert.deepEqual(Object.keys(m), ['id']));
    if (name === 'bulk-example-1.json') {
      assert.deepEqual(stored.map((m) => m.messageText),
        ['First message', 'Default message', 'Default message']);
    }
  });
}

// Invalid as printed (see test/fixtures/README.md): 400, then accepted repaired.
const repairs = {
  'bulk-example-3.json': (t) => t.replace('"destination":"5519900001111",\n', '"destination":"5519900001111"\n'),
  'bulk-example-5.json': (t) => t.replace("'name'", '"name"'),
};
for (const [name, repair] of Object.entries(repairs)) {
  test(`seed ${name} is rejected as printed and accepted once repaired`, async () => {
    const printed = fixture(name);
    assert.throws(() => JSON.parse(printed));
    const res = await bulk(printed);
    assert.equal(res.status, 400);
    assert.equal(res.json.errorCode, 400);
    assert.match(res.json.errorMessage, /not valid JSON/);
    assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 0);

    const repaired = repair(printed);
    assert.notEqual(repaired, printed);
    await assertBulkAccepted(repaired);
  });
}

test('answer shaped like the documented one; correlationIds echoed in order', async () => {
  const documented = JSON.parse(fixture('bulk-response.json'));
  const res = await bulk({
    messages: [{ destination: '5519900001111', correlationId: 'a' },
      { destination: '5519900002222' }, { destination: '5519900003333', correlationId: 'c' }],
    defaultValues: { messageText: 'Default message' },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.json), Object.keys(documented));
  assert.deepEqual(res.json.messages.map((m) => m.correlationId), ['a', undefined, 'c']);
});

test('1000 messages are accepted, 1001 are refused', async () => {
  const make = (n) => ({
    messages: Array.from({ length: n }, (_, i) => ({ destination: `55119${String(i).padStart(8, '0')}` })),
    defaultValues: { messageText: 'Default message' },
  });
  const ok = await bulk(make(1000));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.messages.length, 1000);
  assert.equal(new Set(ok.json.messages.map((m) => m.id)).size, 1000);

  const tooMany = await bulk(make(1001));
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.json.errorMessage, /maximum of 1000 messages per request/);
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 1000);
});

test('one invalid message refuses the whole request, naming its index', async () => {
  const messages = [{ destination: '5511900000001' }, { destination: '5511900000002' },
    { destination: '5511900000003' }, { destination: '+5511900000004' }];
  const res = await bulk({ messages, defaultValues: { messageText: 'x' } });
  assert.equal(res.status, 400);
  assert.match(res.json.errorMessage, /^messages\[3\]\.destination: /);
  assert.equal((await control(sim, 'GET', '/_sim/messages')).length, 0);

  const noText = await bulk({ messages: [{ destination: '5511900000001', messageText: 'a' },
    { destination: '5511900000002' }] });
  assert.equal(noText.status, 400);
  assert.match(noText.json.errorMessage, /^messages\[1\]\.messageText: is required/);

  const refused = await bulk({ messages: [{ destination: '5511900001400', messageText: 'a' }] });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.errorMessage, 'messages[0].destination: Invalid destination');

  const tooLong = await bulk({ messages: [{ destination: '5511900000001', messageText: 'a' },
    { destination: '5511900000002', messageText: 'a', correlationId: 'c'.repeat(65) }] });
  assert.match(tooLong.json.errorMessage, /^messages\[1\]\.correlationId: longer than 64/);
});

test('request shape: messages required and non-empty; unknown fields named', async () => {
  const cases = [
    [{ defaultValues: { messageText: 'x' } }, /^messages: is required/],
    [{ messages: [] }, /^messages: must be a non-empty array/],
    [{ messages: { destination: '5511900000001' } }, /^messages: must be a non-empty array/],
    [{ messages: ['5511900000001'] }, /^messages\[0\]: must be an object/],
    [{ messages: [{ destination: '5511900000001' }], defaultValues: { messageTxt: 'x' } },
      /^defaultValues\.messageTxt: unknown field/],
    [{ messages: [{ destination: '5511900000001', messageText: 'x' }], priority: 1 },
      /^priority: unknown field/],
    [{ messages: [{ destination: '5511900000001', messageText: 'x' }], timeWindow: [25] },
      /^timeWindow:/],
    [{ messages: [{ destination: '5511900000001', messageText: 'x', delayedInMinutes: 40 }],
      scheduledDate: '2030-01-28T02:30:43' }, /^messages\[0\]\.delayedInMinutes: mutually exclusive with scheduledDate/],
  ];
  for (const [body, pattern] of cases) {
    const res = await bulk(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(res.json.errorMessage, pattern);
  }
});

test('a message overrides defaultValues; root fields reach every message', async () => {
  const { stored } = await assertBulkAccepted(JSON.stringify({
    messages: [{ destination: '5511900000001', flashSMS: false },
      { destination: '5511900000002', messageText: 'own' }],
    defaultValues: { messageText: 'default', flashSMS: true, extraInfo: 'e' },
    campaignAlias: 'Promo',
    timeZone: 'America/Sao_Paulo',
  }));
  assert.deepEqual(stored.map((m) => [m.messageText, m.flashSMS, m.campaignAlias]),
    [['default', false, 'Promo'], ['own', true, 'Promo']]);
});

test('subAccount anywhere in a bulk request: administrators only', async () => {
  await control(sim, 'POST', '/_sim/config', { admin_users: [] });
  const res = await bulk({ messages: [{ destination: '5511900000001', messageText: 'x' }],
    defaultValues: { subAccount: 'Marketing' } });
  assert.equal(res.status, 403);
  assert.equal(res.json.errorCode, 403);
});
