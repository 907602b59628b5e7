'use strict';
// A Reach request signer written from the documentation alone
// (shared/reference/other-providers.md, section Reach), to check the
// simulator's verification from the outside. It shares no code with the
// simulator or the extension.
//
//   canonical = api key + Date header + sorted query string + body bytes
//   signature = base64(HMAC-SHA1(api secret, canonical))
//   headers:  Date: <RFC 1123, GMT>   Authorization: IM <api key>:<signature>
//
// The sorted query string: parameters sorted by name (stable for equal
// names), name=value each URL-encoded with spaces as '+', joined by '&';
// only A-Z a-z 0-9 - _ . ~ are left as they are.

const crypto = require('node:crypto');

// One name or value, encoded: like encodeURIComponent, but also escaping
// ! ' ( ) * and writing spaces as '+'.
function encodePart(text) {
  return encodeURIComponent(String(text))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

// params: an object or an array of [name, value] pairs (to repeat a name).
function pairsOf(params) {
  if (!params) return [];
  return Array.isArray(params) ? params.map(([n, v]) => [String(n), String(v)])
    : Object.entries(params).map(([n, v]) => [n, String(v)]);
}

// The canonical (sorted) query string.
function sortedQuery(params) {
  const pairs = pairsOf(params);
  // Array.prototype.sort is stable: equal names keep their order.
  pairs.sort((a, b) => {
    if (a[0] < b[0]) return -1;
    return a[0] > b[0] ? 1 : 0;
  });
  return pairs.map(([n, v]) => `${encodePart(n)}=${encodePart(v)}`).join('&');
}

// The query string as a client puts it in the URL, in the given order.
function urlQuery(params) {
  return pairsOf(params).map(([n, v]) => `${encodePart(n)}=${encodePart(v)}`).join('&');
}

// RFC 1123 in GMT, e.g. "Mon, 11 Jun 2014 17:33:23 GMT".
function httpDate(when = new Date()) {
  return new Date(when).toUTCString();
}

function signature({ apiSecret, apiKey, date, query = '', body = Buffer.alloc(0) }) {
  const bodyBytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const canonical = Buffer.concat([Buffer.from(apiKey + date + query, 'utf8'), bodyBytes]);
  return crypto.createHmac('sha1', apiSecret).update(canonical).digest('base64');
}

// The two headers for one request. params: the query parameters; body:
// the exact bytes (Buffer or string) that will be sent.
function signedHeaders({
  apiKey, apiSecret, params, body, date = httpDate(),
}) {
  const sig = signature({
    apiSecret, apiKey, date, query: sortedQuery(params), body: body === undefined ? '' : body,
  });
  return { Date: date, Authorization: `IM ${apiKey}:${sig}` };
}

module.exports = {
  encodePart, sortedQuery, urlQuery, httpDate, signature, signedHeaders,
};
