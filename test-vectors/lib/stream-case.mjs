/**
 * Stream cases (SPEC.md §7a, test-vectors/README.md "Stream cases"): builds a
 * case file from its definition, after opening the stream with the public
 * `openStream` (pure backend) in each of the three feedings the README
 * prescribes (the test kit's `feedings` and `feedOpener`) and checking the
 * outcome: the exact code or the released body, and on failure a release
 * that is a prefix of `releasable` (exactly
 * `releasable` when fed one byte per write, which pins where the stream
 * fails).
 */
import {
  createMemoryReplayStore,
  exportPublicIdentity,
  isBlindwireError,
  openStream,
  pureBackend,
  toHex,
} from '@blindwire/core';
import { equalBytes } from '@blindwire/core/internal';
import { feedOpener, feedings, sameClaims } from '@blindwire/testkit';
import { CONTEXT, NOW, OPTIONAL, SKEW, keyJson } from './fixtures.mjs';
import { headerChunkSize, sha256, splitOffsets, streamView } from './stream-craft.mjs';

async function openOptions(o) {
  const options = { backend: pureBackend };
  for (const k of ['recipient', 'trustedSenders', 'context', 'now', 'clockSkew', ...OPTIONAL]) {
    if (o[k] !== undefined) options[k] = o[k];
  }
  delete options.seenMessageIds;
  if (o.seenMessageIds) {
    options.replay = createMemoryReplayStore();
    for (const id of o.seenMessageIds) await options.replay.record(id, 0xffffffff);
  }
  return options;
}

/** The public `openStream` must give exactly the expected outcome, in every feeding. */
async function selfCheck(def, built, o, splits, messageId) {
  const want = built.expect;
  for (const [how, pieces] of feedings(built.stream, splits)) {
    const fail = (why) => {
      throw new Error(`case ${def.id} ${def.name} (${how}): ${why}`);
    };
    const { released, result, error } = await feedOpener(openStream(await openOptions(o)), pieces);
    if (error !== undefined && !isBlindwireError(error)) throw error;
    if (want.result === 'error') {
      if (error?.code !== want.code)
        fail(`expected ${want.code}, got ${error?.code ?? 'a result'}`);
      if (def.why && !def.why.test(error.message))
        fail(`failed for another reason: ${error.message}`);
      const allowed = want.releasable;
      if (!equalBytes(released, allowed.subarray(0, released.length)))
        fail('released bytes that are not a prefix of releasable');
      if (how === 'bytes' && released.length !== allowed.length)
        fail(`fed byte by byte, released ${released.length} bytes, not ${allowed.length}`);
      continue;
    }
    if (error !== undefined) fail(`expected success, got ${error.code}`);
    if (
      !equalBytes(released, want.payload) ||
      result.sender !== want.sender ||
      result.senderKid !== want.senderKid ||
      result.messageId !== toHex(messageId) ||
      result.contentType !== want.contentType ||
      !sameClaims(result.header.claims, want.claims)
    ) {
      fail('opened to something other than expected');
    }
  }
}

function expectJson(e, messageId) {
  if (e.result === 'error')
    return { result: 'error', code: e.code, releasable: toHex(e.releasable) };
  const out = {
    result: 'success',
    payload: toHex(e.payload),
    sender: e.sender,
    senderKid: e.senderKid,
    messageId: toHex(messageId),
  };
  if (e.contentType !== undefined) out.contentType = e.contentType;
  if (e.claims !== undefined) out.claims = e.claims;
  return out;
}

/** One stream case file (README "Stream cases"), checked before it is returned. */
export async function buildStreamCase(def, c, b, messageId) {
  const built = await def.build({ c, b, messageId });
  const o = {
    recipient: [c.bob.encryption],
    trustedSenders: [c.alice],
    context: CONTEXT,
    now: NOW,
    clockSkew: SKEW,
    ...built.open,
  };
  const splits = splitOffsets(built.stream);
  await selfCheck(def, built, o, splits, messageId);
  const file = {
    description: def.description,
    spec: def.spec,
    kind: 'stream',
    stream: toHex(built.stream),
    chunkSize: headerChunkSize(built.stream),
    splits,
    recipient: o.recipient.map(keyJson),
    trustedSenders: o.trustedSenders.map((i) => exportPublicIdentity(i)),
    context: toHex(o.context),
    now: o.now,
    clockSkew: o.clockSkew,
  };
  for (const k of OPTIONAL) if (o[k] !== undefined) file[k] = o[k];
  file.expect = expectJson(built.expect, messageId);
  if (built.expect.result === 'success') {
    const view = await streamView(pureBackend, built.stream, o.recipient);
    file.intermediates = {
      messageSecret: toHex(view.messageSecret),
      streamKey: toHex(view.streamKey),
      headerHash: toHex(view.headerHash),
      meta: toHex(view.plaintext.subarray(0, view.plaintext.length - built.expect.payload.length)),
      bodyHash: toHex(sha256(built.expect.payload)),
      signature: toHex(view.signature),
    };
  }
  return file;
}
