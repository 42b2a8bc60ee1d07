/**
 * Streams (SPEC.md §7a) for the vectors. `craftStream` mirrors the stream
 * sealer step by step (§7a.2-§7a.4, sealing in the order of §4.5) and lets a
 * case change one thing; the stream's own formulas (stream key, nonce,
 * signature input, chunking, record framing) are written here from the SPEC
 * text rather than imported, and the generator checks that an honest crafted
 * stream equals the public `sealStream`'s byte for byte. `streamView` is the
 * recipient's side of §7a.5 steps 6-10, for the intermediate values recorded
 * in the files.
 */
import { createHash, createHmac } from 'node:crypto';
import { fromBase64url, sealStream } from '@blindwire/core';
import {
  Kind,
  LABEL,
  concat,
  contextCheck,
  decodeCbor,
  deriveMessageKeys,
  encodeCbor,
  encodeHead,
  equalBytes,
  hpkeSuite,
  prefixFor,
  readHead,
  suiteByName,
  utf8,
} from '@blindwire/core/internal';
import { CONTEXT, NOW, PAYLOAD, T, TTL } from './fixtures.mjs';

/** The chunk size of every stream case: the format's floor (SPEC.md §7a.1). */
export const CHUNK_SIZE = 1024;
export const TAG = 16;
export const SIGNATURE = 64;
const HEADER_LIMITS = { maxDepth: 8, maxItems: 1024, maxStringBytes: 65535 };

export const sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

/** RFC 5869 §2.3 HKDF-Expand with SHA-256. */
function hkdfExpand(prk, info, length) {
  const out = [];
  let t = new Uint8Array(0);
  for (let i = 1; out.length * 32 < length; i++) {
    t = new Uint8Array(
      createHmac('sha256', prk)
        .update(concat(t, info, Uint8Array.of(i)))
        .digest(),
    );
    out.push(t);
  }
  return concat(...out).slice(0, length);
}

/** SPEC.md §7a.2: sk = HKDF-Expand(ms, "blindwire/v1 stream key", Nk). */
export function streamKey(messageSecret, keyLength) {
  return hkdfExpand(messageSecret, utf8('blindwire/v1 stream key'), keyLength);
}

/** SPEC.md §7a.3: nonce(i, f) = u88(i) || u8(f). */
export function nonce(index, final) {
  const n = new Uint8Array(12);
  for (let i = 10, v = index; v > 0; i--, v = Math.floor(v / 256)) n[i] = v % 256;
  n[11] = final ? 1 : 0;
  return n;
}

/** SPEC.md §7a.4: meta = {1: sender, 2: sender kid, 3: header signature}. */
export function metaRecord(sender, senderKid, headerSignature) {
  return encodeCbor(
    new Map([
      [1, sender],
      [2, senderKid],
      [3, headerSignature],
    ]),
  );
}

/** SPEC.md §7a.4: label || hh || u16(len(sender)) || sender || u8(len(kid)) || kid || tail. */
function transcript(label, headerHash, sender, senderKid, tail) {
  const name = utf8(sender);
  return concat(
    utf8(label),
    headerHash,
    Uint8Array.of(name.length >> 8, name.length & 0xff),
    name,
    Uint8Array.of(senderKid.length),
    senderKid,
    tail,
  );
}

/** SPEC.md §7a.4: the header signature input (the stream signature's, without a body hash). */
export function headerSignatureInput(headerHash, sender, senderKid) {
  return transcript(
    'blindwire/v1 stream header signature\0',
    headerHash,
    sender,
    senderKid,
    new Uint8Array(0),
  );
}

/** SPEC.md §7a.4: the stream signature input. */
export function signatureInput(headerHash, sender, senderKid, bodyHash) {
  return transcript('blindwire/v1 stream signature\0', headerHash, sender, senderKid, bodyHash);
}

/** SPEC.md §7a.3: P cut into full chunks of `cs` bytes, then the rest (0 to cs - 1 bytes) as the final one. */
export function cutChunks(plaintext, cs) {
  const pieces = [];
  let off = 0;
  for (; plaintext.length - off >= cs; off += cs) pieces.push(plaintext.subarray(off, off + cs));
  pieces.push(plaintext.subarray(off));
  return pieces;
}

/** RFC 8949 §4.2.1 order for text keys: shorter first, then bytewise. */
function sortedClaims(claims) {
  const keys = Object.keys(claims).sort((a, b) => {
    const ea = utf8(a);
    const eb = utf8(b);
    if (ea.length !== eb.length) return ea.length - eb.length;
    return Buffer.compare(ea, eb);
  });
  return new Map(keys.map((k) => [k, claims[k]]));
}

/** SPEC.md §7a.1: the stream header, keys in ascending order. */
function encodeHeader(h) {
  const m = new Map();
  m.set(1, [h.suite.kem, h.suite.kdf, h.suite.aead]);
  m.set(
    2,
    h.recipients.map((r) => (r.wrapped ? [r.kid, r.enc, r.wrapped] : [r.kid, r.enc])),
  );
  m.set(3, h.messageId);
  m.set(4, h.issuedAt);
  m.set(5, h.expiresAt);
  if (h.contentType !== undefined) m.set(6, h.contentType);
  m.set(7, h.contextCheck);
  m.set(8, h.commitment);
  if (h.claims) m.set(9, sortedClaims(h.claims));
  m.set(12, h.chunkSize);
  return encodeCbor(m);
}

/** One chunk record: the flag, then the ciphertext as a CBOR byte string (`head` overrides its head). */
export function record(flag, ciphertext, head = encodeHead(2, ciphertext.length)) {
  return concat(Uint8Array.of(flag), head, ciphertext);
}

/** The stream bytes: the start (prefix and header byte string), then the records. */
export function frameStream(start, records) {
  return concat(start, ...records.map((r) => (r instanceof Uint8Array ? r : record(r.flag, r.ct))));
}

/**
 * A stream built from the pieces, as the sealer builds it (SPEC.md §7a.2-§7a.4).
 * A real sender's steps are all done; the options say what the attacker changes:
 * aead, recipients, body, sender, senderKid, signer (whose key signs the body),
 * headerSigner (whose key signs the header; default the signer), context,
 * contentType, claims, chunkSize (the header's), expiresAt, meta (the meta record's bytes,
 * or a function of the header signature that gives them), pieces ((P, cs) -> the chunk
 * plaintexts; the last is sealed as the final one with the signature).
 * Returns { bytes, start, records: [{ flag, ct }], and the values behind them }.
 */
export async function craftStream(b, c, o) {
  const suite = suiteByName(o.aead ?? 'AES-256-GCM');
  const hpke = hpkeSuite(suite, b);
  const recipients = o.recipients ?? [c.bob.encryption];
  const body = o.body ?? PAYLOAD;
  const sender = o.sender ?? c.alice.name;
  const senderKid = fromBase64url(o.senderKid ?? c.alice.signing.kid);
  const cs = o.chunkSize ?? CHUNK_SIZE;
  // §4.3, in the sealer's order: every HPKE setup, then (several recipients) the random secret.
  const setups = [];
  for (const r of recipients) {
    setups.push(await hpke.setupSender({ recipientPublicKey: r.publicKey, info: LABEL.hpkeInfo }));
  }
  const multi = recipients.length > 1;
  const messageSecret = multi
    ? b.randomBytes(32)
    : await setups[0].context.export(LABEL.exportMessageSecret, 32);
  const entries = [];
  for (const [i, s] of setups.entries()) {
    const kid = fromBase64url(recipients[i].kid);
    entries.push(
      multi
        ? { kid, enc: s.enc, wrapped: await s.context.seal(messageSecret, kid) }
        : { kid, enc: s.enc },
    );
  }
  const keys = await deriveMessageKeys(b, messageSecret, suite.keyLength);
  const sk = streamKey(messageSecret, suite.keyLength);
  const header = encodeHeader({
    suite: suite.ids,
    recipients: entries,
    messageId: o.messageId,
    issuedAt: T,
    expiresAt: o.expiresAt ?? T + TTL,
    contentType: o.contentType,
    contextCheck: await contextCheck(b, keys.contextKey, o.context ?? CONTEXT),
    commitment: keys.commitment,
    claims: o.claims,
    chunkSize: cs,
  });
  const prefix = prefixFor(Kind.Stream);
  const start = concat(prefix, encodeHead(2, header.length), header);
  const headerHash = sha256(concat(prefix, header)); // §7a.2 hh
  const headerSignature = await b.ed25519Sign(
    (o.headerSigner ?? o.signer ?? c.alice).signing.privateKey,
    headerSignatureInput(headerHash, sender, senderKid),
  );
  const meta =
    typeof o.meta === 'function'
      ? o.meta(headerSignature)
      : (o.meta ?? metaRecord(sender, senderKid, headerSignature));
  const tbs = signatureInput(headerHash, sender, senderKid, sha256(body));
  const signature = await b.ed25519Sign((o.signer ?? c.alice).signing.privateKey, tbs);
  const pieces = (o.pieces ?? cutChunks)(concat(meta, body), cs);
  const records = [];
  for (const [i, p] of pieces.entries()) {
    const final = i === pieces.length - 1;
    const pt = final ? concat(p, signature) : p;
    const ct = await b.aeadSeal(suite.algorithm, sk, nonce(i, final), pt, headerHash);
    records.push({ flag: final ? 1 : 0, ct });
  }
  return {
    bytes: frameStream(start, records),
    start,
    records,
    messageSecret,
    streamKey: sk,
    headerHash,
    meta,
    headerSignature,
    signature,
  };
}

/** An honest stream from alice to bob through the public `sealStream`; `extra` overrides any option. */
export async function sealStreamHonest(c, b, messageId, extra = {}, body = PAYLOAD) {
  const s = sealStream({
    sender: c.alice,
    recipients: c.bob.encryption,
    context: CONTEXT,
    now: NOW,
    ttl: TTL,
    messageId,
    chunkSize: CHUNK_SIZE,
    backend: b,
    ...extra,
  });
  const parts = [];
  const reading = (async () => {
    for await (const p of s.readable) parts.push(p);
  })();
  const w = s.writable.getWriter();
  if (body.length > 0) await w.write(body);
  await w.close();
  await reading;
  await s.result;
  return concat(...parts);
}

/** Splits a well-formed stream into its start and its records ({ flag, ct }). */
export function parseStream(bytes) {
  const [, hlen, hl] = readHead(bytes, 4);
  let off = 4 + hl + hlen;
  const start = bytes.slice(0, off);
  const records = [];
  while (off < bytes.length) {
    const [, clen, cl] = readHead(bytes, off + 1);
    records.push({ flag: bytes[off], ct: bytes.slice(off + 1 + cl, off + 1 + cl + clen) });
    off += 1 + cl + clen;
  }
  return { start, records };
}

/**
 * Where the split feeding cuts a stream (test-vectors/README.md): inside the
 * prefix and the header's head, in the middle and at the end of the header,
 * and for each record after its flag, inside its head, in the middle of its
 * ciphertext and at its end; then one byte before the end. A malformed part
 * ends the walk.
 */
export function splitOffsets(bytes) {
  const out = new Set([1, 3, 5, bytes.length - 1]);
  try {
    const [, hlen, hl] = readHead(bytes, 4);
    let off = 4 + hl;
    out.add(off + (hlen >> 1));
    off += hlen;
    out.add(off);
    while (off + 2 < bytes.length) {
      out.add(off + 1).add(off + 2);
      const [, clen, cl] = readHead(bytes, off + 1);
      off += 1 + cl;
      out.add(off + (clen >> 1));
      off += clen;
      out.add(off);
    }
  } catch {
    // the rest is not framed: the fixed offsets suffice
  }
  return [...out].filter((o) => o > 0 && o < bytes.length).sort((x, y) => x - y);
}

/** The chunk size (key 12) of the header, or undefined when the header does not decode. */
export function headerChunkSize(bytes) {
  try {
    const [, hlen, hl] = readHead(bytes, 4);
    const h = decodeCbor(bytes.subarray(4 + hl, 4 + hl + hlen), HEADER_LIMITS);
    return h.get(12);
  } catch {
    return undefined;
  }
}

/**
 * What the holder of `keys` (one of which is listed) derives from a stream
 * whose framing parses: the secrets, and each record's plaintext (undefined
 * where its tag fails).
 */
export async function openRecords(b, bytes, keys) {
  const { start, records } = parseStream(bytes);
  const [, hlen, hl] = readHead(start, 4);
  const header = start.subarray(4 + hl, 4 + hl + hlen);
  const h = decodeCbor(header, HEADER_LIMITS);
  const suite = suiteByName(
    { 1: 'AES-128-GCM', 2: 'AES-256-GCM', 3: 'ChaCha20-Poly1305' }[h.get(1)[2]],
  );
  let key;
  let entry;
  for (const k of keys) {
    entry = h.get(2).find((e) => equalBytes(e[0], fromBase64url(k.kid)));
    if (entry) {
      key = k;
      break;
    }
  }
  const ctx = await hpkeSuite(suite, b).setupRecipient({
    enc: entry[1],
    recipientKey: { privateKey: key.privateKey, publicKey: key.publicKey },
    info: LABEL.hpkeInfo,
  });
  const messageSecret = entry[2]
    ? await ctx.open(entry[2], entry[0])
    : await ctx.export(LABEL.exportMessageSecret, 32);
  const sk = streamKey(messageSecret, suite.keyLength);
  const headerHash = sha256(concat(start.subarray(0, 4), header));
  const plaintexts = [];
  for (const [i, r] of records.entries()) {
    plaintexts.push(
      await b.aeadOpen(suite.algorithm, sk, nonce(i, r.flag === 1), r.ct, headerHash),
    );
  }
  return { messageSecret, streamKey: sk, headerHash, plaintexts };
}

/** The intermediate values of a valid stream: secrets, meta || body, the signature. */
export async function streamView(b, bytes, keys) {
  const v = await openRecords(b, bytes, keys);
  const p = concat(...v.plaintexts);
  return {
    ...v,
    plaintext: p.subarray(0, p.length - SIGNATURE),
    signature: p.subarray(p.length - SIGNATURE),
  };
}
