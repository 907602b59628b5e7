'use strict';
// The Directcall API (/directcall) against its documentation
// (shared/reference/other-providers.md, section Directcall, and the seed
// voice-bulk-api.pt.txt), from the outside: every request is made by the
// real curl binary (curl -d for the token, curl -F for the multipart
// sends), written from the seed's field list alone. Tokens and their
// expiry, the CSV and destino lists, texto / audio / audio_id and their
// limits, each validation rule, the return codes (injected by faults), the
// seed's answer shape, the XML format, the rate, the request log and the
// control API.

const test = require('node:test');
const { after, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
  SIMCTL, useSimulator, control, request, sleep,
} = require('./lib/sim');

const sim = useSimulator();

// The simulator's defaults (--directcall-client-id / -secret).
const CLIENT_ID = 'dc-demo-id';
const CLIENT_SECRET = 'dc-demo-secret';
const ORIGEM = '554130600300'; // the seed's example caller number
const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'directcall');
const SEED = path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'seeds',
  'voice-bulk-api.pt.txt');
const TONE = path.join(FIXTURES, 'tone.mp3');
const MAX_AUDIO = 4 * 1024 * 1024;
const CODES = ['001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '011',
  '100', '101', '102', '200', '201'];
const ANSWER_KEYS = ['api', 'modulo', 'status', 'codigo', 'msg'];
const FIELDS = ['origem', 'destino_csv', 'destino', 'texto', 'audio', 'audio_id', 'tipo', 'cron',
  'enviar_de', 'enviar_ate', 'format', 'access_token'];
// The fields a msg names anywhere, as whole words.
const fieldsIn = (msg) => FIELDS.filter((f) => new RegExp(`(?<![A-Za-z0-9_])${f}(?![A-Za-z0-9_])`).test(msg));

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'directcall-fidelity-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tmpFile(name, content) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

// One request by the curl binary; the body, the HTTP status and the
// Content-Type come back apart (-w after the body).
function curl(endpoint, args) {
  const res = spawnSync('curl', ['-s', '-S', '--noproxy', '*',
    '-w', '\n%{http_code} %{content_type}', ...args, `${sim.http}/directcall${endpoint}`],
  { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(res.status, 0, `curl ${args.join(' ')}: ${res.stderr}`);
  const cut = res.stdout.lastIndexOf('\n');
  const text = res.stdout.slice(0, cut);
  const [status, ...type] = res.stdout.slice(cut + 1).split(' ');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return {
    status: Number(status), contentType: type.join(' '), text, json,
  };
}

function requestToken(id = CLIENT_ID, secret = CLIENT_SECRET) {
  return curl('/request_token', ['-d', `client_id=${id}`, '-d', `client_secret=${secret}`]);
}

function token() {
  const res = requestToken();
  assert.equal(res.status, 200, res.text);
  return res.json.access_token;
}

// curl -F arguments for the fields in order: a string is sent literally
// (--form-string), {file, type, filename} as a file part; null leaves the
// field out.
function formArgs(fields) {
  const args = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') {
      args.push('--form-string', `${name}=${value}`);
    } else {
      let spec = `${name}=@${value.file}`;
      if (value.type) spec += `;type=${value.type}`;
      if (value.filename) spec += `;filename=${value.filename}`;
      args.push('-F', spec);
    }
  }
  return args;
}

// POST /sms/send, multipart: origem and a fresh token unless given;
// extra: more curl arguments (a field repeated).
function send(fields, { accessToken, extra = [] } = {}) {
  const all = { origem: ORIGEM, ...fields };
  if (!('access_token' in fields)) all.access_token = accessToken || token();
  return curl('/sms/send', [...formArgs(all), ...extra]);
}

// A CSV file part; each in a file of its own (a directory per call keeps the name).
let csvCount = 0;
function csv(text) {
  csvCount += 1;
  fs.mkdirSync(path.join(tmp, `csv${csvCount}`));
  return { file: tmpFile(path.join(`csv${csvCount}`, 'numbers.csv'), text), type: 'text/csv' };
}
const textToSpeech = (extra = {}) => send({
  destino_csv: csv('5541999990001\n'), texto: 'Olá, sua consulta é amanhã.', ...extra,
});
const messages = () => control(sim, 'GET', '/_sim/directcall/messages');
const config = (changes) => control(sim, 'POST', '/_sim/config', changes);
const fault = (spec) => control(sim, 'POST', '/_sim/fault', spec);

function simctl(args) {
  const res = spawnSync(SIMCTL, args, { env: { ...process.env, SIM_URL: sim.http }, encoding: 'utf8' });
  assert.equal(res.status, 0, `${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

function assertSent(res) {
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), [...ANSWER_KEYS, 'callerid'], res.text);
  assert.equal(res.json.codigo, '000', res.text);
  assert.match(res.json.callerid, /^\d{14}$/);
  return res.json.callerid;
}

// A refusal: the documented keys without callerid, status "erro", msg
// "<code> - ..."; with a field, the field named right after the colon and
// no other field named anywhere (a client may search the whole msg).
function assertRefused(res, code, field, status = 200) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(Object.keys(res.json), ANSWER_KEYS, res.text);
  assert.deepEqual([res.json.status, res.json.codigo], ['erro', code], res.text);
  assert.ok(res.json.msg.startsWith(`${code} - `), res.text);
  if (field) {
    assert.match(res.json.msg, new RegExp(`^${code} - [^:]+: ${field}(?![A-Za-z0-9_])`));
    assert.deepEqual(fieldsIn(res.json.msg), FIELDS.includes(field) ? [field] : [], res.json.msg);
  }
}

function xmlElements(text) {
  const root = text.match(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<retorno>(.*)<\/retorno>\n$/s);
  assert.ok(root, text);
  const decode = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return Object.fromEntries([...root[1].matchAll(/<(\w+)>([^<]*)<\/\1>/g)]
    .map(([, name, value]) => [name, decode(value)]));
}

// ----- fixtures ------------------------------------------------------------

test('fixtures: the README lists every file; send-answer.json is JSON', () => {
  const readme = fs.readFileSync(path.join(FIXTURES, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(listed, fs.readdirSync(FIXTURES)
    .filter((f) => !['README.md', '.gitattributes'].includes(f)).sort());
  assert.doesNotThrow(() => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'send-answer.json'))));
});

test('fixtures: send-answer.json is the seed\'s example answer verbatim',
  { skip: !fs.existsSync(SEED) && 'shared/ is not beside the repository' }, () => {
    const seed = fs.readFileSync(SEED, 'utf8');
    const printed = fs.readFileSync(path.join(FIXTURES, 'send-answer.json'), 'utf8').trimEnd();
    assert.ok(seed.includes(`Exemplo de resposta em JSON${printed} |`));
  });

test('fixtures: tone.mp3 is an ID3v2 tag then MPEG-1 Layer III frames, 128 kbps 44.1 kHz', () => {
  const mp3 = fs.readFileSync(TONE);
  assert.ok(mp3.length > 400 && mp3.length <= 2048, `${mp3.length} bytes`);
  assert.equal(mp3.subarray(0, 3).toString('latin1'), 'ID3');
  const tagSize = mp3.subarray(6, 10).reduce((size, b) => (size << 7) | (b & 0x7f), 0);
  let frames = 0;
  for (let at = 10 + tagSize; at < mp3.length; at += 417) {
    assert.deepEqual([...mp3.subarray(at, at + 4)], [0xff, 0xfb, 0x90, 0x64], `frame at ${at}`);
    frames += 1;
  }
  assert.equal(10 + tagSize + frames * 417, mp3.length);
  assert.ok(frames >= 2);
});

// ----- tokens ----------------------------------------------------------------

test('request_token: client_id and client_secret as a form (curl -d, or -F) give a token', async () => {
  const res = requestToken();
  assert.equal(res.status, 200, res.text);
  assert.match(res.contentType, /^application\/json/);
  assert.deepEqual(Object.keys(res.json), ['access_token', 'expires_in']);
  assert.match(res.json.access_token, /^\S{32,}$/);
  assert.equal(res.json.expires_in, 3600);
  const multipart = curl('/request_token',
    ['-F', `client_id=${CLIENT_ID}`, '-F', `client_secret=${CLIENT_SECRET}`]);
  assert.equal(multipart.status, 200, multipart.text);
  assert.notEqual(multipart.json.access_token, res.json.access_token);
  // both valid at once
  assertSent(await textToSpeech({ access_token: res.json.access_token }));
  assertSent(await textToSpeech({ access_token: multipart.json.access_token }));
  assert.deepEqual(await control(sim, 'GET', '/_sim/directcall/tokens'), { issued: 2, valid: 2 });
});

test('request_token: directcall_token_ttl_s is the lifetime; expiry field "none" omits it', async () => {
  await config({ directcall_token_ttl_s: 120 });
  assert.equal(requestToken().json.expires_in, 120);
  await config({ directcall_token_expiry_field: 'none' });
  const res = requestToken();
  assert.deepEqual(Object.keys(res.json), ['access_token']);
  assertSent(await textToSpeech({ access_token: res.json.access_token }));
});

for (const status of [401, 200]) {
  test(`request_token refused: 006 under HTTP ${status} (directcall_auth_status)`, async () => {
    await config({ directcall_auth_status: status });
    assertRefused(requestToken(CLIENT_ID, `${CLIENT_SECRET}x`), '006', null, status);
    assertRefused(requestToken(`${CLIENT_ID}x`, CLIENT_SECRET), '006', null, status);
    assertRefused(curl('/request_token', ['-d', `client_id=${CLIENT_ID}`]), '006', null, status);
    assertRefused(curl('/request_token', ['-X', 'POST']), '006', null, status);
    assert.deepEqual(await control(sim, 'GET', '/_sim/directcall/tokens'), { issued: 0, valid: 0 });
    const log = await control(sim, 'GET', '/_sim/requests');
    assert.deepEqual(log.map((e) => [e.auth, e.status]),
      [['bad', status], ['bad', status], ['missing', status], ['missing', status]]);
  });
}

test('access_token missing, unknown, expired or revoked: 006, nothing stored', async () => {
  const fields = { destino_csv: csv('5541999990001'), texto: 'x' };
  assertRefused(send({ ...fields, access_token: null }), '006');
  assertRefused(send({ ...fields, access_token: 'not-a-token-we-issued' }), '006');
  await config({ directcall_token_ttl_s: 1 });
  const short = requestToken().json;
  assert.equal(short.expires_in, 1);
  assertSent(send(fields, { accessToken: short.access_token }));
  await sleep(1100);
  assertRefused(send(fields, { accessToken: short.access_token }), '006');
  // the lifetime is the one stated when the token was issued
  await config({ directcall_token_ttl_s: 3600 });
  assertRefused(send(fields, { accessToken: short.access_token }), '006');

  const [a, b] = [token(), token()];
  assert.deepEqual(await control(sim, 'GET', '/_sim/directcall/tokens'), { issued: 3, valid: 2 });
  assert.deepEqual(await control(sim, 'POST', '/_sim/directcall/revoke'), { revoked: 2 });
  assertRefused(send(fields, { accessToken: a }), '006');
  assertRefused(send(fields, { accessToken: b }), '006');
  assert.deepEqual(await control(sim, 'GET', '/_sim/directcall/tokens'), { issued: 3, valid: 0 });
  assertSent(send(fields)); // a new token works
  assert.equal((await messages()).length, 2);
});

// ----- sends accepted ----------------------------------------------------------

test('text to speech to a CSV with mixed separators: every number stored, in order', async () => {
  const res = send({
    destino_csv: csv('5541999990001;5541999990002\n5541999990003, 5541999990004\r\n'
      + '5541999990005\t"5541999990006"|5541999990007\n'),
    texto: 'Olá! Sua consulta é amanhã às 9h.',
  });
  const callerid = assertSent(res);
  const [stored] = await messages();
  assert.deepEqual(stored.destinations, ['5541999990001', '5541999990002', '5541999990003',
    '5541999990004', '5541999990005', '5541999990006', '5541999990007']);
  assert.deepEqual([stored.callerid, stored.origem, stored.tipo, stored.texto, stored.audio,
    stored.audio_id, stored.cron, stored.format],
  [callerid, ORIGEM, 'voz', 'Olá! Sua consulta é amanhã às 9h.', null, null, null, 'json']);
  assert.ok(Math.abs(stored.received_at - Date.now()) < 5000);
});

test('the answer has the seed\'s example shape, key by key', () => {
  const documented = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'send-answer.json'), 'utf8'));
  const res = textToSpeech();
  assert.match(res.contentType, /^application\/json/);
  assert.deepEqual(Object.keys(res.json), Object.keys(documented));
  for (const key of ['api', 'modulo', 'status', 'codigo']) {
    assert.equal(res.json[key], documented[key], key);
  }
  assert.equal(typeof res.json.callerid, typeof documented.callerid);
  assert.equal(res.json.callerid.length, documented.callerid.length);
  // the msg is the seed's, "sucessso" and all, around this caller id
  assert.equal(res.json.msg.replace(res.json.callerid, 'ID'),
    documented.msg.replace(documented.callerid, 'ID'));
  const again = textToSpeech();
  assert.notEqual(again.json.callerid, res.json.callerid);
});

test('destino: up to 10 numbers separated by ;, 11 refused naming destino', async () => {
  const numbers = Array.from({ length: 11 }, (_, i) => `55419999900${String(i).padStart(2, '0')}`);
  assertSent(send({ destino: numbers.slice(0, 10).join(';'), texto: 'dez' }));
  assertRefused(send({ destino: numbers.join(';'), texto: 'onze' }), '001', 'destino');
  assertSent(send({ destino: numbers[0], texto: 'um' }));
  assert.deepEqual((await messages()).map((m) => m.destinations.length), [10, 1]);
});

test('audio: the MP3 fixture, stored with its size, sha256, file name and type', async () => {
  const mp3 = fs.readFileSync(TONE);
  assertSent(send({ destino_csv: csv('5541999990001'), audio: { file: TONE, type: 'audio/mpeg' } }));
  const [stored] = await messages();
  assert.deepEqual(stored.audio, {
    size: mp3.length,
    sha256: crypto.createHash('sha256').update(mp3).digest('hex'),
    filename: 'tone.mp3',
    content_type: 'audio/mpeg',
  });
  assert.equal(stored.texto, null);
  assert.equal(stored.tipo, 'voz');
});

test('audio: 4,194,304 bytes accepted, one byte more refused naming audio', async () => {
  const tone = fs.readFileSync(TONE);
  const exact = Buffer.alloc(MAX_AUDIO);
  tone.copy(exact);
  const file = tmpFile('exact.mp3', exact);
  const over = tmpFile('over.mp3', Buffer.concat([exact, Buffer.from([0])]));
  assertSent(send({ destino_csv: csv('5541999990001'), audio: { file, type: 'audio/mpeg' } }));
  assertRefused(send({ destino_csv: csv('5541999990001'), audio: { file: over, type: 'audio/mpeg' } }),
    '001', 'audio');
  const stored = await messages();
  assert.equal(stored.length, 1);
  assert.equal(stored[0].audio.size, MAX_AUDIO);
});

test('audio: not an MP3 refused; a bare MPEG frame sync (no ID3 tag) accepted', async () => {
  const wav = tmpFile('tone.wav', Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '),
    Buffer.alloc(64)]));
  assertRefused(send({ destino_csv: csv('5541999990001'), audio: { file: wav } }), '001', 'audio');
  const text = tmpFile('tone.txt', 'not audio at all');
  assertRefused(send({ destino_csv: csv('5541999990001'), audio: { file: text, type: 'audio/mpeg' } }),
    '001', 'audio');
  const empty = tmpFile('empty.mp3', '');
  assertRefused(send({ destino_csv: csv('5541999990001'), audio: { file: empty } }), '001', 'audio');
  const bare = fs.readFileSync(TONE);
  const frames = tmpFile('frames.mp3', bare.subarray(bare.indexOf(Buffer.from([0xff, 0xfb]))));
  assertSent(send({ destino_csv: csv('5541999990001'), audio: { file: frames } }));
  // an MPEG-2.5 / Layer II sync is still a frame sync: 0xFF then the top 3 bits
  const sync = tmpFile('sync.mp3', Buffer.from([0xff, 0xe2, 0x00, 0x00]));
  assertSent(send({ destino_csv: csv('5541999990001'), audio: { file: sync } }));
  assert.equal((await messages()).length, 2);
});

test('audio_id: a registered audio accepted, another 010 naming audio_id', async () => {
  assertSent(send({ destino_csv: csv('5541999990001'), audio_id: '1001' }));
  assertRefused(send({ destino_csv: csv('5541999990001'), audio_id: '1003' }), '010', 'audio_id');
  await config({ directcall_audio_ids: ['1003'] });
  assertSent(send({ destino_csv: csv('5541999990001'), audio_id: '1003' }));
  assertRefused(send({ destino_csv: csv('5541999990001'), audio_id: '1001' }), '010', 'audio_id');
  assert.deepEqual((await messages()).map((m) => [m.audio_id, m.texto, m.audio]),
    [['1001', null, null], ['1003', null, null]]);
});

test('the optional fields, stored: tipo texto (SMS), cron, enviar_de, enviar_ate', async () => {
  assertSent(send({
    destino_csv: csv('5541999990001'),
    texto: 'Lembrete por SMS',
    tipo: 'texto',
    cron: '25-12-2026-09-30-00',
    enviar_de: '8',
    enviar_ate: '20',
    format: 'json',
  }));
  assertSent(send({ destino_csv: csv('5541999990001'), texto: 'x', enviar_de: '0', enviar_ate: '23' }));
  const [sms, voice] = await messages();
  assert.deepEqual([sms.tipo, sms.cron, sms.enviar_de, sms.enviar_ate],
    ['texto', '25-12-2026-09-30-00', 8, 20]);
  assert.deepEqual([voice.tipo, voice.enviar_de, voice.enviar_ate], ['voz', 0, 23]);
});

test('texto: 700 characters (not bytes) accepted, 701 refused', async () => {
  assertSent(send({ destino_csv: csv('5541999990001'), texto: 'ã'.repeat(700) }));
  assertSent(send({ destino_csv: csv('5541999990001'), texto: '😀'.repeat(700) }));
  assertRefused(send({ destino_csv: csv('5541999990001'), texto: 'a'.repeat(701) }), '001', 'texto');
  assert.deepEqual((await messages()).map((m) => [...m.texto].length), [700, 700]);
});

// ----- validation ----------------------------------------------------------------

const DEST = () => csv('5541999990001');

test('each validation rule: 001 with the field named in msg; nothing stored', async () => {
  const rules = [
    ['origem missing', { origem: null }, 'origem'],
    ['origem too short', { origem: '413060030' }, 'origem'],
    ['origem too long', { origem: '5541306003001234' }, 'origem'],
    ['origem with +', { origem: '+554130600300' }, 'origem'],
    ['origem as a file', { origem: { file: tmpFile('origem.txt', ORIGEM) } }, 'origem'],
    ['neither destino_csv nor destino', { destino_csv: null }, 'destino_csv'],
    ['destino_csv not a file part', { destino_csv: '5541999990001' }, 'destino_csv'],
    ['a CSV number too short', { destino_csv: csv('5541999990001\n554199999\n') }, 'destino_csv'],
    ['a CSV number too long', { destino_csv: csv('5541999990001;5541999990001234') }, 'destino_csv'],
    ['a CSV without numbers', { destino_csv: csv('nome;telefone\n') }, 'destino_csv'],
    ['a destino number too short', { destino_csv: null, destino: '5541999990001;123' }, 'destino'],
    ['destino and destino_csv both', { destino: '5541999990001' }, 'destino'],
    ['no texto, audio or audio_id', { texto: null }, 'texto'],
    ['texto and audio_id', { audio_id: '1001' }, 'audio_id'],
    ['texto and audio', { audio: { file: TONE } }, 'audio'],
    ['audio as a plain field', { texto: null, audio: 'ID3 and some bytes' }, 'audio'],
    ['tipo sms', { tipo: 'sms' }, 'tipo'],
    ['tipo VOZ', { tipo: 'VOZ' }, 'tipo'],
    ['cron not a real date', { cron: '31-02-2026-09-30-00' }, 'cron'],
    ['cron Y-m-d', { cron: '2026-12-25-09-30-00' }, 'cron'],
    ['cron with spaces', { cron: '25-12-2026 09:30:00' }, 'cron'],
    ['cron hour 24', { cron: '25-12-2026-24-00-00' }, 'cron'],
    ['enviar_de 24', { enviar_de: '24' }, 'enviar_de'],
    ['enviar_de not a number', { enviar_de: 'oito' }, 'enviar_de'],
    ['enviar_ate -1', { enviar_ate: '-1' }, 'enviar_ate'],
    ['enviar_ate 7.5', { enviar_ate: '7.5' }, 'enviar_ate'],
    ['format html', { format: 'html' }, 'format'],
    ['a field given twice', {}, 'texto', ['--form-string', 'texto=de novo']],
  ];
  for (const [what, change, field, extra] of rules) {
    const res = send({ destino_csv: DEST(), texto: 'Olá', ...change }, { extra });
    assert.doesNotThrow(() => assertRefused(res, '001', field), `${what}: ${res.text}`);
  }
  assert.deepEqual(await messages(), []);
});

test('an unknown field: 009 naming it', async () => {
  assertRefused(send({ destino_csv: DEST(), texto: 'x', destinos: '5541999990001' }), '009', 'destinos');
  assertRefused(send({ destino_csv: DEST(), texto: 'x', client_id: CLIENT_ID }), '009', 'client_id');
  assert.deepEqual(await messages(), []);
});

test('not multipart: 001 saying destino_csv must go as multipart/form-data', async () => {
  const res = curl('/sms/send', ['-d', `origem=${ORIGEM}`, '-d', 'destino=5541999990001',
    '-d', 'texto=x', '-d', `access_token=${token()}`]);
  assertRefused(res, '001', 'destino_csv');
  assert.match(res.json.msg, /destino_csv deve ser enviado por multipart\/form-data/);
  assert.deepEqual(await messages(), []);
});

test('multipart: quoted boundary, preamble, CRLF and dashes in a file; malformed bodies 001', async () => {
  const accessToken = token();
  const raw = (body, contentType) => request(sim.http, 'POST', '/directcall/sms/send', {
    body, headers: { 'content-type': contentType }, auth: false,
  });
  const boundary = 'b0und:ary with space';
  // filename: as written in the header, a quoted string (backslash escapes)
  const part = (name, value, filename) => `--${boundary}\r\n`
    + `Content-Disposition: form-data; name="${name}"`
    + `${filename ? `; filename="${filename}"\r\nContent-Type: text/csv` : ''}\r\n\r\n${value}\r\n`;
  const body = `a preamble to ignore\r\n${part('origem', ORIGEM)}`
    + part('destino_csv', '5541999990001\r\n--5541999990002\r\n-- not a boundary\r\n',
      'a \\"b\\".csv')
    + `${part('texto', 'linha 1\r\nlinha 2')}${part('access_token', accessToken)}`
    + `--${boundary}--\r\nepilogue`;
  const ok = await raw(body, `multipart/form-data; boundary="${boundary}"`);
  assertSent(ok);
  const [stored] = await messages();
  assert.deepEqual(stored.destinations, ['5541999990001', '5541999990002']);
  assert.equal(stored.texto, 'linha 1\r\nlinha 2');
  const log = await control(sim, 'GET', '/_sim/requests');
  assert.equal(log.at(-1).body.files.destino_csv.filename, 'a "b".csv');

  const type = `multipart/form-data; boundary="${boundary}"`;
  const noClose = body.slice(0, body.indexOf(`--${boundary}--`));
  assertRefused(await raw(noClose, type), '001');
  assertRefused(await raw(body, 'multipart/form-data'), '001'); // no boundary
  assertRefused(await raw(body, 'multipart/form-data; boundary=other'), '001');
  const noDisposition = body.replace('Content-Disposition: form-data; name="texto"', 'X-Thing: 1');
  assertRefused(await raw(noDisposition, type), '001');
  const noName = body.replace('name="texto"', 'filename="t.txt"');
  assertRefused(await raw(noName, type), '001');
  assert.equal((await messages()).length, 1);
});

test('directcall_error_status: /sms/send\'s refusals under that HTTP status', async () => {
  await config({ directcall_error_status: 400 });
  assertRefused(send({ destino_csv: DEST(), texto: null }), '001', 'texto', 400);
  assertRefused(send({ destino_csv: DEST(), audio_id: '9' }), '010', 'audio_id', 400);
  assertRefused(send({ destino_csv: DEST(), texto: 'x', access_token: 'nope' }), '006', null, 400);
  await config({ directcall_error_status: 500 });
  assertRefused(send({ destino_csv: DEST(), texto: 'x', tipo: 'fax' }), '001', 'tipo', 500);
  assertSent(send({ destino_csv: DEST(), texto: 'x' }));
});

// ----- the return codes, by fault ----------------------------------------------

test('fault code: every documented code in the documented shape (simctl fault code)', async () => {
  for (const code of CODES) {
    simctl(['fault', 'code', '--code', code]);
    const res = textToSpeech();
    assertRefused(res, code);
    assert.equal(res.json.api, 'sms');
    assert.equal(res.json.modulo, 'enviar');
    assert.ok(res.json.msg.length > 6, res.text);
  }
  assert.deepEqual(await messages(), []);
  assert.deepEqual(await control(sim, 'GET', '/_sim/fault'), []);
  assertSent(textToSpeech());
});

test('fault code: status, count, process ("acted but answered an error"), format', async () => {
  simctl(['fault', 'code', '--code', '201', '--status', '402', '--count', '2']);
  assertRefused(textToSpeech(), '201', null, 402);
  assertRefused(textToSpeech(), '201', null, 402);
  assertSent(textToSpeech());
  assert.equal((await messages()).length, 1);

  simctl(['fault', 'code', '--code', '008', '--process']);
  assertRefused(textToSpeech(), '008');
  assert.equal((await messages()).length, 2); // stored all the same

  await fault({ kind: 'code', code: '007' });
  const xml = textToSpeech({ format: 'xml' });
  assert.match(xml.contentType, /^application\/xml/);
  assert.deepEqual(Object.keys(xmlElements(xml.text)), ANSWER_KEYS);
  assert.equal(xmlElements(xml.text).codigo, '007');

  // only /sms/send by default; a code fault elsewhere needs a /directcall path
  await fault({ kind: 'code', code: '006' });
  assert.equal(requestToken().status, 200);
  const bad = (spec) => request(sim.http, 'POST', '/_sim/fault', { body: spec, auth: false });
  assert.equal((await bad({ kind: 'code', code: '000' })).status, 400);
  assert.equal((await bad({ kind: 'code', code: 6 })).status, 400);
  assert.equal((await bad({ kind: 'code' })).status, 400);
  assert.equal((await bad({ kind: 'code', code: '006', path: '/v1' })).status, 400);
  assert.equal((await bad({ kind: 'status', status: 500, code: '006' })).status, 400);
  await fault({ kind: 'code', code: '006', path: '/directcall/request_token', status: 401 });
  const refused = requestToken();
  assertRefused(refused, '006', null, 401);
  assert.equal(refused.json.modulo, 'request_token');
});

test('other fault kinds on /directcall: status (Directcall shape), html, garbage, drop, delay', async () => {
  const accessToken = token();
  await fault({ kind: 'status', status: 503, path: '/directcall' });
  const unavailable = textToSpeech({ access_token: accessToken });
  assertRefused(unavailable, '005', null, 503);
  assert.match(unavailable.json.msg, /503 Service Unavailable/);
  await fault({ kind: 'status', status: 500 }); // default /v1: not Directcall's
  assertSent(textToSpeech({ access_token: accessToken }));
  await fault({ kind: 'html', status: 502, path: '/directcall' });
  const html = textToSpeech({ access_token: accessToken });
  assert.equal(html.status, 502);
  assert.match(html.contentType, /^text\/html/);
  await fault({ kind: 'garbage', path: '/directcall/sms' });
  assert.equal(textToSpeech({ access_token: accessToken }).json, undefined);
  await fault({ kind: 'drop', path: '/directcall/sms/send', process: true });
  const dropped = spawnSync('curl', ['-s', '--noproxy', '*', ...formArgs({
    origem: ORIGEM, destino_csv: DEST(), texto: 'perdida', access_token: accessToken,
  }), `${sim.http}/directcall/sms/send`]);
  assert.notEqual(dropped.status, 0); // curl: empty reply from server
  await fault({ kind: 'delay', ms: 300, path: '/directcall' });
  const started = Date.now();
  assertSent(textToSpeech({ access_token: accessToken }));
  assert.ok(Date.now() - started >= 300);
  assert.deepEqual((await messages()).map((m) => m.texto).filter((t) => t === 'perdida'), ['perdida']);
  const log = await control(sim, 'GET', '/_sim/requests');
  assert.deepEqual(log.filter((e) => e.fault).map((e) => [e.fault, e.status]),
    [['status', 503], ['html', 502], ['garbage', 200], ['drop', null], ['delay', 200]]);
});

// ----- formats, the log, rate, paths ----------------------------------------------

test('format=xml: the same keys as elements of <retorno>, refusals too', async () => {
  const res = textToSpeech({ format: 'xml' });
  assert.equal(res.status, 200);
  assert.match(res.contentType, /^application\/xml; charset=utf-8/);
  const sent = xmlElements(res.text);
  assert.deepEqual(Object.keys(sent), [...ANSWER_KEYS, 'callerid']);
  assert.deepEqual([sent.api, sent.modulo, sent.status, sent.codigo], ['sms', 'enviar', 'ok', '000']);
  assert.equal(sent.msg, `001 - Mensagem enviada com sucessso - CALLER-ID: ${sent.callerid}`);
  assert.equal(xmlElements(textToSpeech({ format: 'XML' }).text).codigo, '000');
  const refused = xmlElements(textToSpeech({ format: 'xml', tipo: 'fax' }).text);
  assert.deepEqual(Object.keys(refused), ANSWER_KEYS);
  assert.deepEqual([refused.status, refused.codigo], ['erro', '001']);
  assert.match(refused.msg, /^001 - [^:]+: tipo/);
  assert.equal(xmlElements(textToSpeech({ format: 'xml', access_token: 'x' }).text).codigo, '006');
  assert.deepEqual((await messages()).map((m) => m.format), ['xml', 'xml']);
});

test('the request log: fields and files summarised, auth, no token or secret', async () => {
  const res = requestToken();
  const accessToken = res.json.access_token;
  const csvText = '5541999990001;5541999990002\n';
  assertSent(send({ destino_csv: csv(csvText), audio: { file: TONE, type: 'audio/mpeg' } },
    { accessToken }));
  assertRefused(send({ destino_csv: DEST(), texto: 'x', access_token: null }), '006');
  assertRefused(send({ destino_csv: DEST(), texto: 'x', access_token: `${accessToken}0` }), '006');
  // the secrets elsewhere than in a form field: a query, a JSON body
  curl(`/sms/send?access_token=${accessToken}`, ['-H', 'content-type: application/json',
    '-d', JSON.stringify({ access_token: accessToken, note: `token ${accessToken}` })]);
  curl('/request_token', ['-H', 'content-type: text/plain', '-d', `client_secret=${CLIENT_SECRET}`]);

  const log = await control(sim, 'GET', '/_sim/requests');
  assert.deepEqual(log.map((e) => [e.path, e.auth, e.content_type]), [
    ['/directcall/request_token', 'ok', 'application/x-www-form-urlencoded'],
    ['/directcall/sms/send', 'ok', 'multipart/form-data'],
    ['/directcall/sms/send', 'missing', 'multipart/form-data'],
    ['/directcall/sms/send', 'bad', 'multipart/form-data'],
    ['/directcall/sms/send', 'missing', 'application/json'],
    ['/directcall/request_token', 'missing', 'text/plain'],
  ]);
  assert.deepEqual(log[0].body, { fields: { client_id: CLIENT_ID, client_secret: '***' }, files: {} });
  const mp3 = fs.readFileSync(TONE);
  assert.deepEqual(log[1].body, {
    fields: { origem: ORIGEM, access_token: '***' },
    files: {
      destino_csv: {
        filename: 'numbers.csv',
        content_type: 'text/csv',
        size: Buffer.byteLength(csvText),
        sha256: crypto.createHash('sha256').update(csvText).digest('hex'),
        text: csvText,
      },
      audio: {
        filename: 'tone.mp3',
        content_type: 'audio/mpeg',
        size: mp3.length,
        sha256: crypto.createHash('sha256').update(mp3).digest('hex'),
      },
    },
  });
  assert.equal(log[3].body.fields.access_token, '***');
  assert.equal(log[4].query.access_token, '***');
  assert.equal(log[4].body.access_token, '***');
  for (const where of ['/_sim/requests', '/_sim/config', '/_sim/directcall/messages',
    '/_sim/directcall/tokens', '/_sim/stats']) {
    const shown = JSON.stringify(await control(sim, 'GET', where));
    assert.ok(!shown.includes(accessToken), where);
    assert.ok(!shown.includes(CLIENT_SECRET), where);
  }
  assert.ok(!sim.stdout().includes(accessToken) && !sim.stderr().includes(accessToken));
  assert.ok(!simctl(['requests', '--path', '/directcall']).includes(accessToken));
});

test('directcall_rate: /sms/send requests a second, then 429 with code 005', async () => {
  await config({ directcall_rate: 2 });
  const accessToken = token();
  assertSent(textToSpeech({ access_token: accessToken }));
  assertSent(textToSpeech({ access_token: accessToken }));
  const refused = textToSpeech({ access_token: accessToken });
  assertRefused(refused, '005', null, 429);
  assert.equal(requestToken().status, 200); // the token endpoint is not limited
  await sleep(1000);
  assertSent(textToSpeech({ access_token: accessToken }));
  assert.equal((await messages()).length, 3);
});

test('unknown paths and methods under /directcall: 404 in the Directcall shape', async () => {
  assertRefused(curl('/sms/status', ['-X', 'POST']), '001', null, 404);
  assertRefused(curl('/sms/send', []), '001', null, 404); // GET
  assertRefused(curl('', []), '001', null, 404);
  const sinch = await request(sim.http, 'GET', '/directcallx');
  assert.equal(sinch.status, 404);
  assert.ok('errorCode' in sinch.json, sinch.text); // not Directcall's: Sinch's 404
});

// ----- control ----------------------------------------------------------------------

test('control: stats, config checked, reset forgets messages and tokens', async () => {
  const accessToken = token();
  assertSent(textToSpeech({ access_token: accessToken }));
  const stats = await control(sim, 'GET', '/_sim/stats');
  assert.deepEqual([stats.directcall_messages, stats.directcall_tokens_issued], [1, 1]);
  const defaults = await control(sim, 'GET', '/_sim/config');
  const own = Object.entries(defaults).filter(([k]) => k.startsWith('directcall_'));
  assert.deepEqual(Object.fromEntries(own), {
    directcall_token_ttl_s: 3600,
    directcall_token_expiry_field: 'expires_in',
    directcall_auth_status: 401,
    directcall_error_status: 200,
    directcall_rate: 0,
    directcall_audio_ids: ['1001', '1002'],
  });
  const refuse = async (changes) => {
    const res = await request(sim.http, 'POST', '/_sim/config', { body: changes, auth: false });
    assert.equal(res.status, 400, JSON.stringify(changes));
  };
  await refuse({ directcall_token_ttl_s: 0 });
  await refuse({ directcall_token_expiry_field: 'expires' });
  await refuse({ directcall_auth_status: 99 });
  await refuse({ directcall_error_status: '400' });
  await refuse({ directcall_rate: -1 });
  await refuse({ directcall_audio_ids: [1001] });
  await config({ directcall_rate: 5, directcall_auth_status: 403 });
  await control(sim, 'POST', '/_sim/reset');
  assert.deepEqual(await messages(), []);
  assert.deepEqual(await control(sim, 'GET', '/_sim/directcall/tokens'), { issued: 0, valid: 0 });
  assertRefused(textToSpeech({ access_token: accessToken }), '006');
  const restored = await control(sim, 'GET', '/_sim/config');
  assert.deepEqual([restored.directcall_rate, restored.directcall_auth_status], [0, 401]);
});

test('simctl: directcall-messages, -tokens, -revoke, config directcall_*', async () => {
  assert.equal(simctl(['config', 'directcall_token_ttl_s=60', 'directcall_audio_ids=["7"]']), '');
  const accessToken = token();
  assertSent(send({ destino: '5541999990001;5541999990002', audio_id: '7' }, { accessToken }));
  assertSent(send({ destino_csv: DEST(), texto: 'oi', tipo: 'texto' }, { accessToken }));
  assert.equal(simctl(['directcall-messages', '--fields', 'destinations,tipo,audio_id']),
    '{"audio_id": "7", "destinations": ["5541999990001", "5541999990002"], "tipo": "voz"}\n'
    + '{"audio_id": null, "destinations": ["5541999990001"], "tipo": "texto"}\n');
  assert.equal(simctl(['directcall-messages', '--count']), '2\n');
  const [first] = simctl(['directcall-messages']).trimEnd().split('\n').map(JSON.parse);
  assert.equal(first.callerid, undefined); // left out unless asked: stable output
  assert.equal(first.received_at, undefined);
  assert.equal(first.origem, ORIGEM);
  const [ids] = simctl(['directcall-messages', '--fields', 'callerid']).split('\n');
  assert.match(JSON.parse(ids).callerid, /^\d{14}$/);
  assert.equal(simctl(['directcall-tokens']), '{"issued": 1, "valid": 1}\n');
  assert.equal(simctl(['directcall-revoke']), '');
  assert.equal(simctl(['directcall-tokens']), '{"issued": 1, "valid": 0}\n');
  assertRefused(textToSpeech({ access_token: accessToken }), '006');
  const last = simctl(['requests', '--path', '/directcall/sms', '--fields', 'auth,status',
    '--last', '1']);
  assert.equal(last, '{"auth": "bad", "status": 200}\n');
});
