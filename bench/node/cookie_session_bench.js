#!/usr/bin/env node
// Peer benchmark: Express/Connect `cookie-session` encode/decode for the three session
// shapes of bench/src/shapes.rs, through the package's real middleware code path.
//
// Why a fake req/res: cookie-session only touches `req.headers.cookie`, `req.socket`
// (to allow Secure cookies), `res.getHeader`/`res.setHeader` and `res.writeHead` (which
// on-headers wraps to save the session). A minimal object with exactly those keeps Node's
// HTTP machinery out of the numbers, just as the Rust peers run without a server.
//
//   encode             new request without a cookie, middleware, assign the session's
//                      fields, writeHead -> Set-Cookie for `session` and `session.sig`
//   decode             request carrying both cookies, middleware, read `req.session`
//                      (keygrip verify, base64, JSON.parse)
//   decode_then_headers  decode plus writeHead: what a read-only request really costs,
//                      because cookie-session re-serializes the session there to see if
//                      it changed
//
// Prints one JSON document: median ns per operation, plus cookie sizes.
// Usage: node cookie_session_bench.js [--warmup-ms 1000] [--measure-ms 3000]
'use strict'

const assert = require('assert')

function loadPackages () {
  try {
    return {
      cookieSession: require('cookie-session'),
      Keygrip: require('keygrip'),
      versions: {
        'cookie-session': require('cookie-session/package.json').version,
        cookies: require('cookies/package.json').version,
        keygrip: require('keygrip/package.json').version
      }
    }
  } catch (err) {
    return { error: err.message }
  }
}

// ---- fixtures: the same formulas as src/shapes.rs, field order included, so that
// JSON.stringify produces exactly the bytes serde_json produces there.
const NAME24 = 'Alexandra Montgomery-Fox'
const csrf = () => Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)
const cart = (n) => Array.from({ length: n }, (_, i) => [100000 + i * 7919, (i % 5) + 1])
const SHAPES = {
  small: { user_id: 1234567890, csrf: csrf(), flash: null },
  medium: {
    user_id: 1234567890,
    name: NAME24,
    roles: [1, 7, 42, 300, 1024],
    csrf: csrf(),
    cart: cart(10),
    locale: 'en-GB',
    last_seen: 1767225600
  },
  large: {
    user_id: 1234567890,
    name: (NAME24 + ' ').repeat(20),
    roles: [1, 7, 42, 300, 1024],
    csrf: csrf(),
    cart: cart(150),
    locale: 'en-GB',
    last_seen: 1767225600
  }
}
// serde_json lengths printed by `cargo run --bin cookie_sizes`; a mismatch means the
// two sides are not encoding the same session.
const SERDE_JSON_LEN = { small: 157, medium: 363, large: 2415 }

// The first 32 bytes of the bench crate's MASTER_KEY ((i * 7 + 1) mod 256): the floor's key.
const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff))

function noop () {}

function fakeRes () {
  const headers = Object.create(null)
  return {
    statusCode: 200,
    headers,
    getHeader (name) { return headers[name.toLowerCase()] },
    setHeader (name, value) { headers[name.toLowerCase()] = value },
    writeHead () { return this }
  }
}

function fakeReq (cookieHeader) {
  const headers = cookieHeader === undefined ? {} : { cookie: cookieHeader }
  // `socket.encrypted` is how `cookies` decides a Secure cookie may be set.
  return { headers, socket: { encrypted: true } }
}

function encodeOnce (middleware, shape) {
  const req = fakeReq()
  const res = fakeRes()
  middleware(req, res, noop)
  // What a handler does: set the session's fields one by one.
  const session = req.session
  for (const key in shape) session[key] = shape[key]
  res.writeHead(200)
  return res.headers['set-cookie']
}

function decodeOnce (middleware, header) {
  const req = fakeReq(header)
  middleware(req, fakeRes(), noop)
  return req.session
}

function decodeThenHeadersOnce (middleware, header) {
  const req = fakeReq(header)
  const res = fakeRes()
  middleware(req, res, noop)
  const session = req.session
  res.writeHead(200)
  return session
}

// A browser sends back `name=value` of each Set-Cookie.
const cookieHeader = (setCookies) => setCookies.map((c) => c.split(';')[0]).join('; ')

function sizes (setCookies) {
  const pairs = setCookies.map((c) => c.split(';')[0])
  return {
    session_name_value: Buffer.byteLength(pairs[0]),
    sig_name_value: Buffer.byteLength(pairs[1]),
    total_name_value: pairs.reduce((n, p) => n + Buffer.byteLength(p), 0),
    set_cookie_total: setCookies.reduce((n, c) => n + Buffer.byteLength(c), 0)
  }
}

// Median of per-op times over batches sized to ~2 ms, for `measureMs` after `warmupMs`.
function measure (fn, warmupMs, measureMs) {
  let sink
  const warmEnd = process.hrtime.bigint() + BigInt(warmupMs) * 1000000n
  let batch = 1
  while (process.hrtime.bigint() < warmEnd) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) sink = fn()
    const dt = Number(process.hrtime.bigint() - t0)
    if (dt < 2e6) batch = Math.max(batch + 1, Math.floor(batch * 2e6 / Math.max(dt, 1)))
  }
  const samples = []
  const end = process.hrtime.bigint() + BigInt(measureMs) * 1000000n
  while (process.hrtime.bigint() < end) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) sink = fn()
    samples.push(Number(process.hrtime.bigint() - t0) / batch)
  }
  assert.ok(sink !== undefined)
  samples.sort((a, b) => a - b)
  return { median_ns: Math.round(samples[samples.length >> 1]), samples: samples.length, batch }
}

function main () {
  const pkgs = loadPackages()
  if (pkgs.error) {
    // Clean skip: the comparison is optional and must not fail the caller.
    console.log(JSON.stringify({ skipped: `node packages unavailable (${pkgs.error}); run npm ci in bench/node` }))
    return
  }
  const args = process.argv.slice(2)
  const opt = (name, dflt) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : dflt
  }
  const warmupMs = opt('--warmup-ms', 1000)
  const measureMs = opt('--measure-ms', 3000)

  // keygrip's default is HMAC-SHA1, and cookie-session re-creates the Keygrip from the
  // key array on every request. sha256 (a Keygrip instance) is what matches the Rust
  // peers' HMAC-SHA256; both are reported.
  const variants = {
    'cookie-session-sha1-default': pkgs.cookieSession({ keys: [SECRET], sameSite: 'lax', secure: true }),
    'cookie-session-sha256': pkgs.cookieSession({
      keys: new pkgs.Keygrip([SECRET], 'sha256'),
      sameSite: 'lax',
      secure: true
    })
  }

  const out = { node: process.version, packages: pkgs.versions, results: [], sizes: [] }
  for (const [variant, middleware] of Object.entries(variants)) {
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      assert.strictEqual(Buffer.byteLength(JSON.stringify(shape)), SERDE_JSON_LEN[shapeName],
        `${shapeName}: fixture differs from src/shapes.rs`)

      // Round trip once, outside the timed loops.
      const setCookies = encodeOnce(middleware, shape)
      assert.strictEqual(setCookies.length, 2, 'expected session and session.sig cookies')
      const header = cookieHeader(setCookies)
      assert.deepStrictEqual({ ...decodeOnce(middleware, header) }, shape, `${variant}/${shapeName}: round trip`)
      // A tampered signature must yield a fresh, empty session.
      const tampered = header.replace(/session\.sig=(.)/, (_, c) => 'session.sig=' + (c === 'A' ? 'B' : 'A'))
      assert.deepStrictEqual({ ...decodeOnce(middleware, tampered) }, {}, `${variant}/${shapeName}: tamper accepted`)

      out.sizes.push({ variant, shape: shapeName, ...sizes(setCookies) })
      out.results.push({ variant, shape: shapeName, op: 'encode', ...measure(() => encodeOnce(middleware, shape), warmupMs, measureMs) })
      out.results.push({ variant, shape: shapeName, op: 'decode', ...measure(() => decodeOnce(middleware, header), warmupMs, measureMs) })
      out.results.push({ variant, shape: shapeName, op: 'decode_then_headers', ...measure(() => decodeThenHeadersOnce(middleware, header), warmupMs, measureMs) })
    }
  }
  console.log(JSON.stringify(out, null, 2))
}

main()
