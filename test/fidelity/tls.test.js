'use strict';
// HTTPS: the simulator's TLS port serves the same API with a server
// certificate from its test CA (SANs 127.0.0.1 and localhost); clients
// verify it with ca.pem and fail without it or with other-ca.pem.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { X509Certificate } = require('node:crypto');
const {
  UUID_RE, TOKEN, useSimulator, movileClient,
} = require('./lib/sim');

const sim = useSimulator({ query_rate: 0 });

function get(url, options) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, {
      headers: { username: 'demo', authenticationtoken: TOKEN }, agent: false, ...options,
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
}

test('the TLS files exist: test CA, server cert it signed, unrelated CA', () => {
  for (const name of ['ca.pem', 'server.pem', 'server.key', 'other-ca.pem']) {
    assert.ok(fs.existsSync(path.join(sim.certDir, name)), name);
  }
  assert.equal(sim.ca, path.join(sim.certDir, 'ca.pem'));
  const ca = new X509Certificate(fs.readFileSync(sim.ca));
  const server = new X509Certificate(fs.readFileSync(path.join(sim.certDir, 'server.pem')));
  const other = new X509Certificate(fs.readFileSync(path.join(sim.certDir, 'other-ca.pem')));
  assert.ok(ca.ca);
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
  assert.ok(!server.checkIssued(other));
  assert.match(server.subjectAltName, /IP Address:127\.0\.0\.1/);
  assert.match(server.subjectAltName, /DNS:localhost/);
  const years = (Date.parse(server.validTo) - Date.now()) / (365 * 24 * 3600e3);
  assert.ok(years > 9, `valid for ${years} years`);
  assert.equal(fs.statSync(path.join(sim.certDir, 'server.key')).mode & 0o077, 0);
});

test('HTTPS with the test CA works, by IP and by localhost', async () => {
  const ca = fs.readFileSync(sim.ca);
  const port = new URL(sim.https).port;
  for (const host of ['127.0.0.1', 'localhost']) {
    const res = await get(`https://${host}:${port}/v1/sms/status/list`, { ca });
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 0);
  }
});

test('HTTPS verification fails without the CA or with an unrelated one', async () => {
  const url = `${sim.https}/v1/sms/status/list`;
  await assert.rejects(get(url, {}), (err) => {
    assert.match(err.code, /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
    return true;
  });
  const other = fs.readFileSync(path.join(sim.certDir, 'other-ca.pem'));
  await assert.rejects(get(url, { ca: other }), (err) => {
    assert.match(err.code, /UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED/);
    return true;
  });
});

test('the third-party client sends over HTTPS with the test CA', async () => {
  const client = movileClient(sim);
  client.instance.defaults.baseURL = `${sim.https}/v1`;
  client.instance.defaults.httpsAgent = new https.Agent({ ca: fs.readFileSync(sim.ca) });
  const res = await client.send('5511900000000', 'via TLS');
  assert.equal(res.status, 200);
  assert.match(res.data[0].id, UUID_RE);
});
