/* global navigator, fetch, ReadableStream -- runs in the browser (browser.test.ts) */
/**
 * Runs in headless Chromium (browser.test.ts bundles it with esbuild for the
 * `browser` condition, as an application's bundler would). Every result goes
 * back to the test's server as JSON: nothing here decides pass or fail.
 */
import * as bw from '@blindwire/core';
// The X-Wing vectors (201-210) need the opt-in entry in a browser bundle.
import '@blindwire/core/xwing';
import { webBackendSupport } from '@blindwire/core/backend/web';

const te = new TextEncoder();
const td = new TextDecoder();

async function openOptions(c, backend) {
  const trustedSenders = await Promise.all(
    c.trustedSenders.map((j) => bw.importPublicIdentity(j, { backend })),
  );
  const o = {
    recipient: c.recipient.map((k) => ({
      kid: k.kid,
      publicKey: bw.fromHex(k.publicKey),
      privateKey: bw.fromHex(k.privateKey),
    })),
    trustedSenders,
    context: bw.fromHex(c.context),
    now: c.now,
    clockSkew: c.clockSkew,
    backend,
  };
  if (c.maxAge !== undefined) o.maxAge = c.maxAge;
  if (c.allowedSenders) o.allowedSenders = c.allowedSenders;
  if (c.allowedSuites) o.allowedSuites = c.allowedSuites;
  if (c.limits) o.limits = c.limits;
  if (c.seenMessageIds) {
    const replay = bw.createMemoryReplayStore();
    for (const id of c.seenMessageIds) await replay.record(id, 0xffffffff);
    o.replay = replay;
  }
  return o;
}

/** One vector case on one backend: what came out, in the terms of its `expect`. */
async function vector(c, backend) {
  try {
    const r = await bw.open(bw.fromHex(c.envelope), await openOptions(c, backend));
    return {
      result: 'success',
      payload: bw.toHex(r.payload),
      sender: r.sender,
      senderKid: r.senderKid,
      messageId: r.messageId,
    };
  } catch (e) {
    return { result: 'error', code: e?.code ?? String(e) };
  }
}

async function run() {
  const out = {
    userAgent: navigator.userAgent,
    defaultBackend: bw.getDefaultBackend().name,
    support: await webBackendSupport(),
    checks: {},
    vectors: [],
  };
  const web = bw.webBackend;
  const pure = bw.pureBackend;

  // A signed message sealed on one backend opens on the other, both ways.
  const alice = await bw.generateIdentity('spiffe://browser.example/alice');
  const bob = await bw.generateIdentity('spiffe://browser.example/bob');
  const trusted = [bw.publicIdentity(alice)];
  for (const [from, to] of [
    [web, pure],
    [pure, web],
  ]) {
    const s = await bw.seal('hello from the browser', {
      sender: alice,
      recipients: bw.publicIdentity(bob),
      context: 'tool:echo',
      backend: from,
    });
    const o = await bw.open(s.envelope, {
      recipient: bob,
      trustedSenders: trusted,
      context: 'tool:echo',
      backend: to,
    });
    out.checks[`${from.name}->${to.name}`] = {
      payload: td.decode(o.payload),
      sender: o.sender,
      plaintextInEnvelope: new Uint8Array(s.envelope)
        .join(',')
        .includes(te.encode('hello from').join(',')),
    };
    // And the answer comes back sealed.
    const { envelope: reply } = await bw.sealResponse(o, 'pong', { backend: to });
    out.checks[`${from.name}->${to.name} response`] = td.decode(
      (await bw.openResponse(s, reply, { backend: from })).payload,
    );
  }

  // A wrong context is the stable code, in the browser too.
  const s = await bw.seal('x', { sender: alice, recipients: bw.publicIdentity(bob), context: 'a' });
  try {
    await bw.open(s.envelope, { recipient: bob, trustedSenders: trusted, context: 'b' });
    out.checks.wrongContext = 'opened';
  } catch (e) {
    out.checks.wrongContext = e.code;
  }

  // 4 MiB through sealStream / openStream (WHATWG streams), default backend.
  const size = 4 * 1024 * 1024;
  const piece = new Uint8Array(64 * 1024).map((_, i) => i * 7);
  let left = size;
  const body = new ReadableStream({
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(left, piece.length);
      left -= n;
      c.enqueue(piece.slice(0, n));
    },
  });
  const sealer = bw.sealStream({ sender: alice, recipients: bw.publicIdentity(bob) });
  const opener = bw.openStream({ recipient: bob, trustedSenders: trusted });
  let got = 0;
  let intact = true;
  for await (const chunk of body.pipeThrough(sealer).pipeThrough(opener)) {
    for (let i = 0; i < chunk.length; i += 4099) {
      if (chunk[i] !== piece[(got + i) % piece.length]) intact = false;
    }
    got += chunk.length;
  }
  out.checks.stream = { bytes: got, intact, sender: (await opener.result).sender };

  // The project's message vectors, on the web and the pure backend.
  const cases = await (await fetch('/vectors.json')).json();
  for (const { file, c } of cases) {
    out.vectors.push({ file, web: await vector(c, web), pure: await vector(c, pure) });
  }
  return out;
}

run().then(
  (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) }),
  (e) =>
    fetch('/result', { method: 'POST', body: JSON.stringify({ error: String(e?.stack ?? e) }) }),
);
