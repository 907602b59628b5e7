'use strict';
// The simulator's own surface: CLI start/stop, the control API (/_sim/) and
// test/simctl, whose output pg_regress expected files depend on.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
  SIMCTL, TOKEN, UUID_RE, startSimulator, useSimulator, api, control,
} = require('./lib/sim');

const sim = useSimulator();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simctl-state-'));
test.after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

// Runs simctl; resolves {status, stdout, stderr}.
function simctl(args, env = {}) {
  const res = spawnSync(SIMCTL, args, {
    env: {
      ...process.env, SIM_URL: sim.http, SIM_STATE_DIR: stateDir, ...env,
    },
    encoding: 'utf8',
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function simctlOk(args) {
  const res = simctl(args);
  assert.equal(res.status, 0, `simctl ${args.join(' ')}: ${res.stderr}`);
  assert.equal(res.stderr, '');
  return res.stdout;
}

const send = (body) => api(sim, 'POST', '/v1/send-sms', { body });

test('CLI: one "listening" line, a ready file, clean exit on SIGTERM', async () => {
  const own = await startSimulator();
  assert.equal(own.stdout(),
    `simulator listening http=${own.http} https=${own.https}\n`);
  assert.match(own.http, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(own.https, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(own.stderr(), '');
  assert.equal(await own.stop(), 0);
});

test('simctl prints nothing on success for reset, config, fault, mo, mark', () => {
  for (const args of [['reset'], ['config', 'query_rate=0', 'single_shape="object"'],
    ['fault', 'status', '--status', '503', '--retry-after', '1', '--path', '/v1/send-sms'],
    ['mo', '--source', '5511988887777', '--text', 'oi'], ['mark'], ['wait-ready']]) {
    assert.equal(simctlOk(args), '', args.join(' '));
  }
});

test('simctl config: values parsed as JSON when possible; no args prints it', async () => {
  simctlOk(['config', 'query_rate=3', 'single_shape=object', 'admin_users=["x","demo"]']);
  const config = await control(sim, 'GET', '/_sim/config');
  assert.equal(config.query_rate, 3);
  assert.equal(config.single_shape, 'object');
  assert.deepEqual(config.admin_users, ['x', 'demo']);
  assert.deepEqual(JSON.parse(simctlOk(['config'])), config);
});

test('simctl requests: one sorted JSON object a line, seq left out', async () => {
  await send({ destination: '5511900000000', messageText: 'um', correlationId: 'a' });
  await api(sim, 'GET', '/v1/sms/receive/list');
  const lines = simctlOk(['requests']).trimEnd().split('\n');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(first), Object.keys(first).sort());
  assert.deepEqual(first, {
    auth: 'ok',
    body: { correlationId: 'a', destination: '5511900000000', messageText: 'um' },
    content_type: 'application/json',
    method: 'POST',
    path: '/v1/send-sms',
    query: {},
    status: 200,
  });
  assert.equal(simctlOk(['requests', '--fields', 'method,path', '--last', '1']),
    '{"method": "GET", "path": "/v1/sms/receive/list"}\n');
  assert.equal(simctlOk(['requests', '--count']), '2\n');
  assert.equal(simctlOk(['requests', '--count', '--path', '/v1/sms/']), '1\n');
  assert.match(simctlOk(['requests', '--fields', 'seq', '--last', '1']), /^\{"seq": \d+\}\n$/);
  assert.ok(!simctlOk(['requests']).includes(TOKEN));
});

test('simctl mark / requests --since-mark: only what came after', async () => {
  await send({ destination: '5511900000000', messageText: 'before' });
  simctlOk(['mark']);
  assert.equal(simctlOk(['requests', '--since-mark']), '');
  await send({ destination: '5511900000001', messageText: 'after' });
  assert.equal(simctlOk(['requests', '--since-mark', '--fields', 'body']),
    '{"body": {"destination": "5511900000001", "messageText": "after"}}\n');
});

test('simctl messages: stable fields by default, --fields and --count', async () => {
  await api(sim, 'POST', '/v1/send-bulk-sms', {
    body: {
      messages: [{ destination: '5511900000001' }, { destination: '5511900000002', messageText: 'own' }],
      defaultValues: { messageText: 'Default message' },
    },
  });
  assert.equal(simctlOk(['messages']),
    '{"destination": "5511900000001", "messageText": "Default message"}\n'
    + '{"destination": "5511900000002", "messageText": "own"}\n');
  assert.equal(simctlOk(['messages', '--count']), '2\n');
  const withIds = simctlOk(['messages', '--fields', 'id,batchId']).trimEnd().split('\n').map(JSON.parse);
  withIds.forEach((m) => { assert.match(m.id, UUID_RE); assert.match(m.batchId, UUID_RE); });
});

test('simctl mo --print-id, --reply-to fills mt{}', async () => {
  const sent = await send({ destination: '5511900000000', messageText: 'q', correlationId: 'c9' });
  const id = simctlOk(['mo', '--source', '5511900000000', '--text', 'resposta',
    '--reply-to', sent.json[0].id, '--short-code', '27182', '--print-id']).trim();
  assert.match(id, UUID_RE);
  const { messages: [mo] } = (await api(sim, 'GET', '/v1/sms/receive/list')).json;
  assert.equal(mo.id, id);
  assert.equal(mo.shortCode, '27182');
  assert.equal(mo.mt.correlationId, 'c9');
});

test('simctl fault options reach the control API', async () => {
  const body = path.join(stateDir, 'body.txt');
  fs.writeFileSync(body, '<h1>down</h1>');
  simctlOk(['fault', 'status', '--status', '500', '--body-file', body, '--content-type',
    'text/html', '--count', '2', '--process']);
  simctlOk(['fault', 'huge', '--bytes', '1000', '--path', '/v1/sms/']);
  assert.deepEqual(await control(sim, 'GET', '/_sim/fault'), [
    {
      kind: 'status', status: 500, body: '<h1>down</h1>', content_type: 'text/html',
      count: 2, process: true, path: '/v1',
    },
    {
      kind: 'huge', bytes: 1000, count: 1, path: '/v1/sms/',
    },
  ]);
});

test('simctl stats and reset', async () => {
  await send({ destination: '5511900000000', messageText: 'x' });
  await send({ messageText: 'x' });
  const stats = JSON.parse(simctlOk(['stats']));
  assert.equal(stats.requests, 2);
  assert.deepEqual(stats.by_path, { '/v1/send-sms': 2 });
  assert.deepEqual(stats.by_status, { 200: 1, 400: 1 });
  assert.equal(stats.messages, 1);
  simctlOk(['config', 'query_rate=5']);
  simctlOk(['reset']);
  const after = JSON.parse(simctlOk(['stats']));
  assert.equal(after.requests, 0);
  assert.equal(after.messages, 0);
  assert.equal((await control(sim, 'GET', '/_sim/config')).query_rate, 1);
});

test('simctl fails loudly: unreachable simulator, refused request, no SIM_URL', () => {
  const unreachable = simctl(['reset'], { SIM_URL: 'http://127.0.0.1:9' });
  assert.notEqual(unreachable.status, 0);
  assert.match(unreachable.stderr, /^simctl: simulator unreachable at http:\/\/127\.0\.0\.1:9/);
  assert.equal(unreachable.stdout, '');

  const refused = simctl(['config', 'no_such_key=1']);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /unknown config key/);

  const noUrl = simctl(['reset'], { SIM_URL: '' });
  assert.notEqual(noUrl.status, 0);
  assert.match(noUrl.stderr, /SIM_URL/);

  const notReady = simctl(['wait-ready', '--timeout', '0.3'], { SIM_URL: 'http://127.0.0.1:9' });
  assert.notEqual(notReady.status, 0);
  assert.match(notReady.stderr, /not ready/);
});
