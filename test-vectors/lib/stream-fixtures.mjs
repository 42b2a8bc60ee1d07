/**
 * What the stream cases share: honest streams through the public
 * `sealStream`, each checked byte for byte against craftStream; case 049's
 * one-record stream and case 051's four-record stream, which most rejection
 * cases change in one place; `releasable`, the body in a stream's first
 * records; and the builders of the rejection cases. The shape of a case is
 * described in cases-stream-valid.mjs.
 */
import { fromBase64url, pureBackend } from '@blindwire/core';
import { utf8 } from '@blindwire/core/internal';
import { PAYLOAD, deterministicBackend, messageIdFor } from './fixtures.mjs';
import {
  CHUNK_SIZE,
  craftStream,
  frameStream,
  metaRecord,
  openRecords,
  parseStream,
  sealStreamHonest,
} from './stream-craft.mjs';

/** `n` bytes of numbered text lines. */
export function textBody(n) {
  let s = '';
  for (let i = 1; s.length < n; i++) s += `line ${String(i).padStart(4, '0')} of the stream body\n`;
  return utf8(s.slice(0, n));
}

/** alice's meta record (SPEC.md §7a.4): 125 bytes at the start of chunk 0 (its length does not depend on the signature). */
export const metaLength = (c) =>
  metaRecord(c.alice.name, fromBase64url(c.alice.signing.kid), new Uint8Array(64)).length;

/** The body bytes in the first `chunks` non-final chunks of alice's stream of `body`. */
export function bodyInChunks(c, body, chunks) {
  return body.subarray(0, Math.max(0, chunks * CHUNK_SIZE - metaLength(c)));
}

/**
 * An honest stream through the public `sealStream`, on the DRBG of `label`;
 * it must equal craftStream's from the same inputs. `o`: aead, recipients,
 * context, contentType, claims, from (the sending identity, default alice).
 */
export async function honestStream(c, label, messageId, o = {}, body = PAYLOAD) {
  const from = o.from ?? c.alice;
  const extra = { sender: from };
  for (const k of ['aead', 'recipients', 'context', 'contentType', 'claims']) {
    if (o[k] !== undefined) extra[k] = o[k];
  }
  const sealed = await sealStreamHonest(c, deterministicBackend(label), messageId, extra, body);
  const crafted = await craftStream(deterministicBackend(label), c, {
    ...o,
    messageId,
    body,
    sender: from.name,
    senderKid: from.signing.kid,
    signer: from,
  });
  if (Buffer.compare(sealed, crafted.bytes) !== 0)
    throw new Error(`${label}: sealStream and craftStream disagree`);
  return sealed;
}

/** The DRBG and message-id labels of case 051's and case 049's streams (their case names). */
export const BASE = 'stream-aes-256-gcm';
export const ONE = 'stream-one-chunk';
/** The body of case 051, the multi-chunk stream most rejection cases change: 3 full chunks and a final one. */
export const BASE_BODY = textBody(3500);
/** Case 051's stream (AES-256-GCM, 4 records). */
export const baseStream = (c) => honestStream(c, BASE, messageIdFor(BASE), {}, BASE_BODY);
/** Case 049's stream (one final record). */
export const oneChunkStream = (c) => honestStream(c, ONE, messageIdFor(ONE));

/** A rejection: the code, and the body bytes an opener may have released before it (SPEC.md §7a.5). */
export const failStream = (code, releasable = new Uint8Array(0)) => ({
  result: 'error',
  code,
  releasable,
});

/**
 * Case 051's stream, changed by `change({ start, records }, c)`, which edits
 * the records in place or returns { stream?, open? }. `released`: how many of
 * its chunks authenticate before the failure.
 */
export const fromBase = (id, name, description, spec, code, released, change) => ({
  id,
  name,
  kind: 'stream',
  description,
  spec,
  messageIdLabel: BASE,
  build: async ({ c }) => {
    const s = parseStream(await baseStream(c));
    const r = (await change(s, c)) ?? {};
    return {
      stream: r.stream ?? frameStream(s.start, s.records),
      open: r.open,
      expect: failStream(code, bodyInChunks(c, BASE_BODY, released)),
    };
  },
});

/** Case 051's stream opened with other inputs; it fails at record 0 with nothing released. */
export const openedBase = (id, name, description, spec, code, open) =>
  fromBase(id, name, description, spec, code, 0, (_s, c) => ({
    open: typeof open === 'function' ? open(c) : open,
  }));

/** Case 049's stream, its bytes changed by `mutate`, or opened with `open`; nothing is released. */
export const fromOne = (id, name, description, spec, code, { mutate, open }) => ({
  id,
  name,
  kind: 'stream',
  description,
  spec,
  messageIdLabel: ONE,
  build: async ({ c }) => {
    const stream = await oneChunkStream(c);
    return {
      stream: mutate ? mutate(stream) : stream,
      open: typeof open === 'function' ? open(c) : open,
      expect: failStream(code),
    };
  },
});

/** Case 051's inputs, built by craftStream on its DRBG with the attacker's `choices`. */
export const craftedBase = (id, name, description, spec, code, released, choices) => ({
  id,
  name,
  kind: 'stream',
  description,
  spec,
  messageIdLabel: BASE,
  build: async ({ c }) => {
    const crafted = await craftStream(deterministicBackend(BASE), c, {
      messageId: messageIdFor(BASE),
      body: BASE_BODY,
      ...choices(c),
    });
    await authenticated(c, name, crafted.bytes);
    return {
      stream: crafted.bytes,
      expect: failStream(code, bodyInChunks(c, BASE_BODY, released)),
    };
  },
});

/** A crafted stream claimed "otherwise valid and authenticated": bob verifies every record's tag. */
export async function authenticated(c, name, bytes) {
  const { plaintexts } = await openRecords(pureBackend, bytes, [c.bob.encryption]);
  if (plaintexts.some((p) => p === undefined)) throw new Error(`${name}: a record's tag fails`);
}

/**
 * Where a code has several causes, the generator also matches the opener's
 * message (`why`, not written to the files: messages are not specified), so
 * that each case fails for the reason its description gives. ERR_OPEN_FAILED
 * cases are pinned by `releasable` instead, and crafted ones by `authenticated`.
 */
export const withReasons = (cases, why) =>
  cases.map((d) => (why[d.name] ? { ...d, why: why[d.name] } : d));
