'use strict';
// Helpers shared by the fidelity tests: start/stop a private simulator,
// raw API and control-API requests, and the third-party client pointed at it.

const { after, before, beforeEach } = require('node:test');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const MovileMessaging = require('movile-messaging');
const reachSigner = require('./reach-signer');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SIMULATOR = path.join(ROOT, 'test', 'sim', 'simulator.py');
// The simulator's Reach defaults (--reach-api-key etc.), and its API root.
const REACH_KEY = 'reach-demo-key';
const REACH_SECRET = 'reach-demo-secret';
const REACH_SHORT_NAME = 'SIMCO';
const REACH_BASE = '/reach/api/rest';
const SIMCTL = path.join(ROOT, 'test', 'simctl');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const USER = 'demo';
const TOKEN = 'demo-token';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// One keep-alive agent, as the extension reuses one connection.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

// Starts `python3 test/sim/simulator.py` on free ports (HTTP and HTTPS) and
// resolves once its ready file exists.
async function startSimulator() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-fidelity-'));
  const readyFile = path.join(dir, 'ready.json');
  const child = spawn('python3', [SIMULATOR, '--port', '0', '--tls-port', '0',
    '--cert-dir', path.join(dir, 'certs'), '--ready-file', readyFile],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => { stdout += d; });
  const deadline = Date.now() + 15000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`simulator did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const urls = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
  return {
    ...urls,
    dir,
    certDir: path.join(dir, 'certs'),
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      agent.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

// One HTTP request; resolves {status, headers, text, json} (json undefined
// when the body is not JSON). body: object (sent as JSON) or string (raw).
// agent: false gives the request a connection of its own (fault tests).
function request(baseUrl, method, urlPath,
  { body, headers = {}, auth = true, agent: ownAgent = agent } = {}) {
  const url = new URL(urlPath, baseUrl);
  const data = body === undefined ? undefined
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const allHeaders = { ...headers };
  if (auth) {
    allHeaders.username = USER;
    allHeaders.authenticationtoken = TOKEN;
  }
  if (data) {
    allHeaders['content-type'] = allHeaders['content-type'] || 'application/json';
    allHeaders['content-length'] = data.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: allHeaders, agent: ownAgent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Registers hooks giving the calling test file its own simulator, reset
// (then given `config`) before each test. Returns the simulator handle,
// filled in once the `before` hook has run.
function useSimulator(config = {}) {
  const sim = {};
  before(async () => { Object.assign(sim, await startSimulator()); });
  after(async () => { await sim.stop(); });
  beforeEach(async () => {
    await control(sim, 'POST', '/_sim/reset');
    if (Object.keys(config).length) await control(sim, 'POST', '/_sim/config', config);
  });
  return sim;
}

// An API request to the simulator's HTTP port (see request()).
function api(sim, method, urlPath, options) {
  return request(sim.http, method, urlPath, options);
}

// Control API: resolves the parsed answer, throws on a non-200.
async function control(sim, method, urlPath, body) {
  const res = await request(sim.http, method, urlPath, { body, auth: false });
  if (res.status !== 200) throw new Error(`${method} ${urlPath}: ${res.status} ${res.text}`);
  return res.json;
}

// The third-party client (written for the real service) aimed at us.
function movileClient(sim, token = TOKEN) {
  const client = new MovileMessaging(USER, token);
  client.instance.defaults.baseURL = `${sim.http}/v1`;
  client.instance.defaults.proxy = false;
  return client;
}

// A signed Reach request: endpoint under REACH_BASE ('/messages'...),
// params the query (object or [name, value] pairs), body an object (sent
// as JSON) or a string. signParams / signBody sign something other than
// what is sent (tampering); a header given as null is left out.
function reach(sim, method, endpoint, {
  params, body, apiKey = REACH_KEY, apiSecret = REACH_SECRET, date, headers = {},
  signParams, signBody, agent: ownAgent,
} = {}) {
  const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const signed = reachSigner.signedHeaders({
    apiKey,
    apiSecret,
    params: signParams === undefined ? params : signParams,
    body: signBody === undefined ? (text || '') : signBody,
    date: date === undefined ? reachSigner.httpDate() : date,
  });
  const all = Object.fromEntries(Object.entries({ ...signed, ...headers })
    .filter(([, v]) => v !== null && v !== undefined));
  const query = reachSigner.urlQuery(params);
  const url = `${REACH_BASE}${endpoint}${query ? `?${query}` : ''}`;
  return request(sim.http, method, url, {
    body: text, headers: all, auth: false, ...(ownAgent === undefined ? {} : { agent: ownAgent }),
  });
}

function fixture(name) {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  REACH_KEY,
  REACH_SECRET,
  REACH_SHORT_NAME,
  REACH_BASE,
  reach,
  SIMCTL,
  UUID_RE,
  USER,
  TOKEN,
  startSimulator,
  useSimulator,
  request,
  api,
  control,
  movileClient,
  fixture,
  sleep,
};
