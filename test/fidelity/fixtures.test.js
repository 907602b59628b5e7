'use strict';
// test/fixtures/ holds the documentation's examples verbatim: exactly the
// ones its README calls invalid are invalid, and once repaired they have
// the shapes the simulator produces.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  useSimulator, api, control, fixture,
} = require('./lib/sim');

const sim = useSimulator();
const DIR = path.resolve(__dirname, '..', 'fixtures');
const INVALID_AS_PRINTED = ['bulk-example-3.json', 'bulk-example-5.json',
  'callback-sent.json', 'mo-list-response.json'];

const isJson = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

test('the README lists every seed fixture; exactly the invalid ones fail to parse', () => {
  // The README's first table names the Sinch seed fixtures (the Reach ones,
  // in reach/, are reach.test.js's); other files here are test-made.
  const readme = fixture('README.md');
  const table = readme.slice(0, readme.indexOf('## Reach'));
  const seeds = [...table.matchAll(/^\| `([^`]+\.json)` \|/gm)].map((m) => m[1]).sort();
  assert.equal(seeds.length, 15);
  seeds.forEach((f) => assert.ok(fs.existsSync(path.join(DIR, f)), f));
  assert.deepEqual(seeds.filter((f) => !isJson(fixture(f))), INVALID_AS_PRINTED);
  // Test-made fixtures are all valid JSON.
  fs.readdirSync(DIR).filter((f) => f.endsWith('.json') && !seeds.includes(f))
    .forEach((f) => assert.ok(isJson(fixture(f)), f));
});

test('the repaired sent callback has the documented fields', () => {
  const printed = fixture('callback-sent.json');
  const repaired = JSON.parse(printed.replace('"extraInfo":"",\n}', '"extraInfo":""\n}'));
  assert.deepEqual(Object.keys(repaired), ['id', 'correlationId', 'carrierId', 'carrierName',
    'destination', 'sentStatusCode', 'sentStatus', 'sentAt', 'sentDate', 'campaignId', 'extraInfo']);
});

test('the repaired MO list answer has the envelope the simulator answers', async () => {
  const repaired = JSON.parse(`{${fixture('mo-list-response.json')}`);
  await control(sim, 'POST', '/_sim/mo', { source: '5516981562820', messageText: 'x' });
  const res = await api(sim, 'GET', '/v1/sms/receive/list');
  assert.deepEqual(Object.keys(res.json), Object.keys(repaired));
  // Every key a simulated MO has is one the documented MO has.
  const documentedKeys = new Set(Object.keys(repaired.messages[0]));
  Object.keys(res.json.messages[0]).forEach((k) => assert.ok(documentedKeys.has(k), k));
});
