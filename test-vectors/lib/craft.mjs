/**
 * Envelopes a key-holding attacker could build, from the internal pieces of
 * the built core: `craft` mirrors seal() step by step (SPEC.md §4.5) and lets
 * a case change one thing. `recipientView` is the recipient's side of
 * SPEC.md §7 steps 9-12, for the intermediate values recorded in the files.
 */
import { DEFAULT_LIMITS, fromBase64url, pureBackend } from '@blindwire/core';
import {
  Kind,
  LABEL,
  ZERO_NONCE,
  concat,
  contextCheck,
  decodeMessageHeader,
  deriveMessageKeys,
  encodeCbor,
  encodeHead,
  encodeInner,
  encodeMessageHeader,
  equalBytes,
  hpkeSuite,
  parseFrame,
  prefixFor,
  readHead,
  signatureInput,
  suiteByName,
  suiteFromIds,
  utf8,
  writeFrame,
} from '@blindwire/core/internal';
import { CONTEXT, PAYLOAD, T, TTL } from './fixtures.mjs';

/** Header fields as [key, value] pairs in ascending key order (SPEC.md §4.1). */
export function headerPairs(h) {
  const pairs = [
    [1, [h.suite.kem, h.suite.kdf, h.suite.aead]],
    [2, h.recipients.map((r) => (r.wrapped ? [r.kid, r.enc, r.wrapped] : [r.kid, r.enc]))],
    [3, h.messageId],
    [4, h.issuedAt],
    [5, h.expiresAt],
  ];
  if (h.contentType !== undefined) pairs.push([6, h.contentType]);
  pairs.push([7, h.contextCheck], [8, h.commitment]);
  if (h.claims) pairs.push([9, h.claims]);
  return pairs;
}

/** A CBOR map written pair by pair in the order given, duplicates included (fewer than 24 pairs). */
export function rawMap(pairs) {
  if (pairs.length >= 24) throw new Error('rawMap: too many pairs');
  const items = pairs.flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)]);
  return concat(Uint8Array.of(0xa0 | pairs.length), ...items);
}

/** A claims map {"x": v} whose deepest item is at `depth` (header map 1, claims map 2, "x"'s value 3). */
export function nestedClaim(depth) {
  let v = 0;
  for (let d = depth; d > 3; d--) v = [v];
  return new Map([['x', v]]);
}

/** A well-formed envelope's frame (SPEC.md §3) in its parts: prefix, heads and contents. */
export function frameParts(envelope) {
  const [, hlen, hl] = readHead(envelope, 4);
  const off = 4 + hl + hlen;
  const [, , cl] = readHead(envelope, off);
  return {
    prefix: envelope.subarray(0, 4),
    headerHead: envelope.subarray(4, 4 + hl),
    header: envelope.subarray(4 + hl, off),
    /** Everything after the header: the ciphertext's head and the ciphertext. */
    rest: envelope.subarray(off),
    ciphertextHead: envelope.subarray(off, off + cl),
    ciphertext: envelope.subarray(off + cl),
  };
}

/** A byte-string head for `length` one size wider than the shortest (SPEC.md §3.1 rule 2 broken). */
export function widerHead(length) {
  const shortest = encodeHead(2, length);
  const ai = { 1: 24, 2: 25, 3: 26, 5: 27 }[shortest.length];
  const bytes = { 24: 1, 25: 2, 26: 4, 27: 8 }[ai];
  const out = new Uint8Array(1 + bytes);
  out[0] = 0x40 | ai;
  for (let i = bytes, v = length; i >= 1; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

export function flipBit(bytes, index, bit = 0) {
  const out = bytes.slice();
  out[index] ^= 1 << bit;
  return out;
}

export function withByte(bytes, index, value) {
  const out = bytes.slice();
  out[index] = value;
  return out;
}

/**
 * A message envelope built from the internal pieces. A real sender's steps are
 * all done (HPKE, commitment, context check, signature, AEAD over the header
 * bytes as given); the options say what the attacker changes:
 * recipients, sender, senderKid, signer (whose key signs), signature (pasted
 * in), sign ((tbs) -> signature, in place of Ed25519 signing), body,
 * kem ('X25519' default, or 'X-Wing': the recipients' keys must be of it),
 * secretFor (per-recipient message secret; the commitment and content key
 * come from recipient 0's), rewriteHeader, inner ((record) -> the whole AEAD
 * plaintext, in place of encodeInner).
 */
export async function craft(b, c, o) {
  const suite = suiteByName(o.aead ?? 'AES-256-GCM', o.kem ?? 'X25519');
  const hpke = hpkeSuite(suite, b);
  const recipients = o.recipients ?? [c.bob.encryption];
  const body = o.body ?? PAYLOAD;
  const sender = o.sender ?? c.alice.name;
  const senderKid = fromBase64url(o.senderKid ?? c.alice.signing.kid);
  const multi = recipients.length > 1;
  const shared = multi ? b.randomBytes(32) : undefined;
  const entries = [];
  let messageSecret;
  for (const [i, r] of recipients.entries()) {
    const { enc, context: ctx } = await hpke.setupSender({
      recipientPublicKey: r.publicKey,
      info: LABEL.hpkeInfo,
    });
    const kid = fromBase64url(r.kid);
    if (multi) {
      const secret = o.secretFor ? o.secretFor(i, shared) : shared;
      entries.push({ kid, enc, wrapped: await ctx.seal(secret, kid) });
      messageSecret ??= secret;
    } else {
      entries.push({ kid, enc });
      messageSecret = await ctx.export(LABEL.exportMessageSecret, 32);
    }
  }
  const keys = await deriveMessageKeys(b, messageSecret, suite.keyLength);
  const h = {
    suite: suite.ids,
    recipients: entries,
    messageId: o.messageId,
    issuedAt: T,
    expiresAt: T + TTL,
    contextCheck: await contextCheck(b, keys.contextKey, CONTEXT),
    commitment: keys.commitment,
  };
  const header = o.rewriteHeader ? o.rewriteHeader(h) : encodeMessageHeader(h);
  const aad = concat(prefixFor(Kind.Message), header);
  const tbs = await signatureInput(b, aad, utf8(sender), senderKid, body);
  const signer = (o.signer ?? c.alice).signing.privateKey;
  const signature = o.signature ?? (o.sign ? await o.sign(tbs) : await b.ed25519Sign(signer, tbs));
  const record = { sender, senderKid, signature, body };
  const inner = o.inner ? o.inner(record) : encodeInner(record, 'none');
  const ciphertext = await b.aeadSeal(suite.algorithm, keys.contentKey, ZERO_NONCE, inner, aad);
  return writeFrame(Kind.Message, header, ciphertext);
}

/** What the holder of `keys` (one of which is listed) derives from a message envelope. */
export async function recipientView(envelope, keys) {
  const b = pureBackend;
  const frame = parseFrame(envelope, Kind.Message, DEFAULT_LIMITS);
  const h = decodeMessageHeader(frame.header, DEFAULT_LIMITS);
  const suite = suiteFromIds(h.suite, undefined);
  let key;
  let entry;
  for (const k of keys) {
    entry = h.recipients.find((e) => equalBytes(e.kid, fromBase64url(k.kid)));
    if (entry) {
      key = k;
      break;
    }
  }
  const ctx = await hpkeSuite(suite, b).setupRecipient({
    enc: entry.enc,
    recipientKey: { privateKey: key.privateKey, publicKey: key.publicKey },
    info: LABEL.hpkeInfo,
  });
  const messageSecret = entry.wrapped
    ? await ctx.open(entry.wrapped, entry.kid)
    : await ctx.export(LABEL.exportMessageSecret, 32);
  const responseSecret = await ctx.export(LABEL.exportResponseSecret, 32);
  const mk = await deriveMessageKeys(b, messageSecret, suite.keyLength);
  const aad = concat(frame.prefix, frame.header);
  const inner = await b.aeadOpen(suite.algorithm, mk.contentKey, ZERO_NONCE, frame.ciphertext, aad);
  return { suite, messageSecret, responseSecret, contentKey: mk.contentKey, inner };
}
