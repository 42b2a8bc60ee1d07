/**
 * Cases 062-086 and 099: streams that fail in their records (SPEC.md §7a.5 steps
 * 7-12), each with the exact code and `releasable`, the body of the records
 * that authenticate before the failure: an opener may release a prefix of it
 * and nothing else (never the final record's part). Each differs from a valid
 * stream (most from case 051's) or from valid open inputs in one thing.
 */
import { fromBase64url, toHex } from '@blindwire/core';
import { concat, equalBytes, utf8 } from '@blindwire/core/internal';
import { flipBit, rawMap } from './craft.mjs';
import { deterministicBackend, messageIdFor } from './fixtures.mjs';
import { CHUNK_SIZE, TAG, craftStream, frameStream, parseStream, record } from './stream-craft.mjs';
import {
  BASE,
  BASE_BODY,
  authenticated,
  baseStream,
  bodyInChunks,
  craftedBase,
  failStream,
  fromBase,
  honestStream,
  openedBase,
  textBody,
  withReasons,
} from './stream-fixtures.mjs';

/** The 3 full records of case 051 keep their bytes when only the final one changes. */
async function sameFullRecords(c, bytes) {
  const a = parseStream(await baseStream(c)).records;
  const b = parseStream(bytes).records;
  return [0, 1, 2].every((i) => equalBytes(a[i].ct, b[i].ct));
}

const CASES = [
  // --- Truncation, reordering, splicing, extension (§7a.3) -----------------------
  fromBase(
    62,
    'stream-truncated-after-middle-chunk',
    "Case 051's stream cut after record 1: two full records, no final record. The input ends without a verified final record.",
    '§7a.5 step 12, §7a.3',
    'ERR_OPEN_FAILED',
    2,
    (s) => ({ stream: frameStream(s.start, s.records.slice(0, 2)) }),
  ),
  fromBase(
    63,
    'stream-final-record-dropped',
    "Case 051's stream without its final record: the three full records end at a record boundary.",
    '§7a.5 step 12, §7a.3',
    'ERR_OPEN_FAILED',
    3,
    (s) => ({ stream: frameStream(s.start, s.records.slice(0, 3)) }),
  ),
  fromBase(
    64,
    'stream-truncated-in-final-record',
    "Case 051's stream without its last byte: the input ends inside the final record.",
    '§7a.5 step 12',
    'ERR_OPEN_FAILED',
    3,
    (s) => {
      const full = frameStream(s.start, s.records);
      return { stream: full.subarray(0, full.length - 1) };
    },
  ),
  fromBase(
    65,
    'stream-chunk-dropped',
    "Case 051's stream without record 1: record 2 arrives in position 1 and fails its tag under nonce(1, 0).",
    '§7a.5 step 8, §7a.3',
    'ERR_OPEN_FAILED',
    1,
    (s) => {
      s.records.splice(1, 1);
    },
  ),
  fromBase(
    66,
    'stream-chunks-swapped',
    "Case 051's stream with records 1 and 2 swapped: record 2 fails its tag in position 1.",
    '§7a.5 step 8, §7a.3',
    'ERR_OPEN_FAILED',
    1,
    (s) => {
      [s.records[1], s.records[2]] = [s.records[2], s.records[1]];
    },
  ),
  fromBase(
    67,
    'stream-chunk-repeated',
    "Case 051's stream with record 1 sent twice: the copy fails its tag in position 2.",
    '§7a.5 step 8, §7a.3',
    'ERR_OPEN_FAILED',
    2,
    (s) => {
      s.records.splice(1, 0, s.records[1]);
    },
  ),
  fromBase(
    68,
    'stream-chunk-spliced',
    "Case 051's stream with record 1 replaced by record 1 of another stream from alice to bob (same suite, chunk size and body; its own HPKE setup and message id): another stream key and header.",
    '§7a.5 step 8, §7a.3',
    'ERR_OPEN_FAILED',
    1,
    async (s, c) => {
      const id = messageIdFor('stream-splice-donor');
      const donor = await honestStream(c, 'stream-splice-donor', id, {}, BASE_BODY);
      s.records[1] = parseStream(donor).records[1];
    },
  ),
  fromBase(
    69,
    'stream-chunk-spliced-same-key',
    "Case 051's stream with record 1 replaced by record 1 of a stream with the same HPKE ephemeral key, hence the same message secret and stream key, and the same body, but another message id: the two records differ only in the tag, which covers the header hash.",
    '§7a.5 step 8, §7a.2, §7a.3',
    'ERR_OPEN_FAILED',
    1,
    async (s, c) => {
      const donor = await craftStream(deterministicBackend(BASE), c, {
        messageId: messageIdFor('stream-splice-donor'),
        body: BASE_BODY,
      });
      const d = donor.records[1].ct;
      const mine = s.records[1].ct;
      if (!equalBytes(d.subarray(0, -TAG), mine.subarray(0, -TAG)) || equalBytes(d, mine))
        throw new Error('stream-chunk-spliced-same-key: the donor does not share the stream key');
      s.records[1] = donor.records[1];
    },
  ),
  fromBase(
    70,
    'stream-final-flag-on-middle-chunk',
    "Case 051's stream with record 1's flag set to 0x01: its length (cs + 16) is valid for a final record, and it fails its tag under nonce(1, 1).",
    '§7a.5 steps 7-8, §7a.3',
    'ERR_OPEN_FAILED',
    1,
    (s) => {
      s.records[1] = { ...s.records[1], flag: 1 };
    },
  ),
  {
    id: 71,
    name: 'stream-final-flag-cleared',
    kind: 'stream',
    description:
      'A valid stream of a 1859-byte body (one full record, then a final record of exactly cs + 16 ciphertext bytes) with the final flag changed to 0x00: the framing accepts a full-length record, and it fails its tag under nonce(1, 0).',
    spec: '§7a.5 steps 7-8, §7a.3',
    build: async ({ c, messageId }) => {
      const body = textBody(1859);
      const s = parseStream(
        await honestStream(c, 'stream-final-flag-cleared', messageId, {}, body),
      );
      if (s.records.length !== 2 || s.records[1].ct.length !== CHUNK_SIZE + TAG)
        throw new Error('stream-final-flag-cleared: the final record is not cs + 16 bytes');
      s.records[1] = { ...s.records[1], flag: 0 };
      return {
        stream: frameStream(s.start, s.records),
        expect: failStream('ERR_OPEN_FAILED', bodyInChunks(c, body, 1)),
      };
    },
  },
  fromBase(
    72,
    'stream-trailing-byte',
    "Case 051's stream followed by one zero byte: after the final record nothing may follow. The final record verified, and its body part must not be released.",
    '§7a.5 step 11',
    'ERR_ENVELOPE_MALFORMED',
    3,
    (s) => ({ stream: concat(frameStream(s.start, s.records), Uint8Array.of(0)) }),
  ),

  // --- Tags, meta record, signature (§7a.3, §7a.4) ------------------------------
  fromBase(
    73,
    'stream-ciphertext-bit-flipped',
    "Case 051's stream with one bit of record 1's ciphertext flipped (byte 100).",
    '§7a.5 step 8',
    'ERR_OPEN_FAILED',
    1,
    (s) => {
      s.records[1] = { ...s.records[1], ct: flipBit(s.records[1].ct, 100) };
    },
  ),
  fromBase(
    74,
    'stream-header-tampered',
    "Case 051's stream with one bit of the message id in the header flipped: the commitment still matches, and record 0 fails its tag (the header hash is every record's associated data).",
    '§7a.5 step 8, §7a.2',
    'ERR_OPEN_FAILED',
    0,
    (s) => {
      const at = Buffer.from(s.start).indexOf(Buffer.from(messageIdFor(BASE)));
      s.start = flipBit(s.start, at + 15);
    },
  ),
  craftedBase(
    75,
    'stream-meta-unordered',
    "Case 051's stream with the meta record's first two keys in the wrong order ({2: kid, 1: sender, 3: header signature}, same length), otherwise valid and authenticated: meta breaks SPEC.md §3.1 rule 6.",
    '§7a.5 step 9, §7a.4, §3.1',
    'ERR_OPEN_FAILED',
    0,
    (c) => ({
      meta: (headerSignature) =>
        rawMap([
          [2, fromBase64url(c.alice.signing.kid)],
          [1, c.alice.name],
          [3, headerSignature],
        ]),
    }),
  ),
  {
    id: 76,
    name: 'stream-bad-signature',
    kind: 'stream',
    description:
      "Case 051's stream with its final signature made with mallory's key (alice's name and trusted kid, alice's header signature): every record's tag and the header signature verify, the final record's signature does not. Records 0-2 are byte for byte those of case 051. What a co-recipient who re-seals the final record could send.",
    spec: '§7a.5 step 10, §7a.4',
    messageIdLabel: BASE,
    build: async ({ c }) => {
      const crafted = await craftStream(deterministicBackend(BASE), c, {
        messageId: messageIdFor(BASE),
        body: BASE_BODY,
        signer: c.mallory,
        headerSigner: c.alice,
      });
      if (!(await sameFullRecords(c, crafted.bytes)))
        throw new Error('stream-bad-signature: the full records differ from case 051');
      await authenticated(c, 'stream-bad-signature', crafted.bytes);
      return {
        stream: crafted.bytes,
        expect: failStream('ERR_OPEN_FAILED', bodyInChunks(c, BASE_BODY, 3)),
      };
    },
  },

  // --- Record 0: trust, header signature, policy, context, replay (§7a.5 step 9) --
  craftedBase(
    99,
    'stream-header-signed-by-another-key',
    "Mallory, who needs only bob's public key, seals a stream to bob that names alice and alice's trusted kid, signed (header and body) with her own key: record 0's tag verifies, its header signature does not, so nothing is released and no policy question is answered.",
    '§7a.5 step 9, §7a.4',
    'ERR_OPEN_FAILED',
    0,
    (c) => ({ signer: c.mallory }),
  ),
  openedBase(
    77,
    'stream-wrong-context',
    "Case 051's stream; the recipient expects context 'tool:transfer', the sender bound 'tool:refund'.",
    '§7a.5 step 9',
    'ERR_CONTEXT_MISMATCH',
    { context: utf8('tool:transfer') },
  ),
  openedBase(
    78,
    'stream-sender-not-trusted',
    "Case 051's stream from alice; the recipient trusts only carol.",
    '§7a.5 step 9',
    'ERR_KEY_UNTRUSTED',
    (c) => ({ trustedSenders: [c.carol] }),
  ),
  craftedBase(
    79,
    'stream-untrusted-sender-key',
    "Mallory's stream names alice as the sender but carries mallory's kid in the meta record and her signature: there is no trusted key for (alice's name, mallory's kid).",
    '§7a.5 step 9',
    'ERR_KEY_UNTRUSTED',
    0,
    (c) => ({ senderKid: c.mallory.signing.kid, signer: c.mallory }),
  ),
  openedBase(
    80,
    'stream-sender-not-allowed',
    "Case 051's stream; allowedSenders ['spiffe://acme.example/tools/*'] does not match 'spiffe://acme.example/agents/planner'.",
    '§7a.5 step 9',
    'ERR_SENDER_NOT_ALLOWED',
    { allowedSenders: ['spiffe://acme.example/tools/*'] },
  ),
  openedBase(
    81,
    'stream-replay',
    "Case 051's stream; the recipient's replay guard already holds its message id as processed.",
    '§7a.5 step 9',
    'ERR_REPLAY',
    { seenMessageIds: [toHex(messageIdFor(BASE))] },
  ),

  // --- Record framing (§7a.5 step 7) ---------------------------------------------
  craftedBase(
    82,
    'stream-chunk-too-long',
    "Case 051's inputs chunked with one byte too many in record 1 (cs + 1 plaintext bytes, a ciphertext of cs + 17), otherwise valid and authenticated: a non-final record must be exactly cs + 16 bytes.",
    '§7a.5 step 7, §7a.3',
    'ERR_ENVELOPE_MALFORMED',
    1,
    () => ({
      pieces: (p, cs) => [
        p.subarray(0, cs),
        p.subarray(cs, 2 * cs + 1),
        p.subarray(2 * cs + 1, 3 * cs + 1),
        p.subarray(3 * cs + 1),
      ],
    }),
  ),
  {
    id: 83,
    name: 'stream-final-chunk-too-long',
    kind: 'stream',
    description:
      "Case 054's inputs (meta || body exactly three chunks) with the third full chunk sealed as the final record with the signature (cs + 80 bytes) instead of an empty final record after it: a final record is at most cs + 79 bytes.",
    spec: '§7a.5 step 7, §7a.3',
    messageIdLabel: 'stream-chunks-filled-exactly',
    build: async ({ c, messageId }) => {
      const body = textBody(3 * CHUNK_SIZE - 125);
      const crafted = await craftStream(deterministicBackend('stream-chunks-filled-exactly'), c, {
        messageId,
        body,
        pieces: (p, cs) => [p.subarray(0, cs), p.subarray(cs, 2 * cs), p.subarray(2 * cs)],
      });
      await authenticated(c, 'stream-final-chunk-too-long', crafted.bytes);
      return {
        stream: crafted.bytes,
        expect: failStream('ERR_ENVELOPE_MALFORMED', bodyInChunks(c, body, 2)),
      };
    },
  },
  fromBase(
    84,
    'stream-bad-chunk-flag',
    "Case 051's stream with record 1's flag byte 0x02.",
    '§7a.5 step 7, §7a.1',
    'ERR_ENVELOPE_MALFORMED',
    1,
    (s) => {
      s.records[1] = { ...s.records[1], flag: 2 };
    },
  ),
  fromBase(
    85,
    'stream-chunk-head-not-shortest',
    "Case 051's stream with record 1's byte-string head in a 4-byte form (0x5a 00 00 04 10) instead of the shortest (0x59 04 10).",
    '§7a.5 step 7, §3.1 rule 2',
    'ERR_ENVELOPE_MALFORMED',
    1,
    (s) => {
      s.records[1] = record(0, s.records[1].ct, Uint8Array.of(0x5a, 0, 0, 0x04, 0x10));
    },
  ),
  fromBase(
    86,
    'stream-chunk-not-a-byte-string',
    "Case 051's stream with record 1's ciphertext head of major type 3 (a text string, 0x79 04 10) instead of 2.",
    '§7a.5 step 7, §7a.1',
    'ERR_ENVELOPE_MALFORMED',
    1,
    (s) => {
      s.records[1] = record(0, s.records[1].ct, Uint8Array.of(0x79, 0x04, 0x10));
    },
  ),
];

const WHY = {
  'stream-trailing-byte': /trailing bytes after the final chunk/,
  'stream-chunk-too-long': /chunk record of 1041 bytes/,
  'stream-final-chunk-too-long': /chunk record of 1104 bytes/,
  'stream-bad-chunk-flag': /chunk flag must be 0 or 1/,
  'stream-chunk-head-not-shortest': /non-shortest/,
  'stream-chunk-not-a-byte-string': /chunk must be a byte string/,
};

export const STREAM_INVALID_CASES = withReasons(CASES, WHY);
