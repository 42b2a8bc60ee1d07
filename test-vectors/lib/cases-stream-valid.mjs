/**
 * Cases 049-061: streams (SPEC.md §7a) that open. A stream case has the
 * shape of cases-valid.mjs with `kind: 'stream'`; `build` returns { stream,
 * open?, expect }. Honest streams come from the public `sealStream` and are
 * checked byte for byte against lib/stream-craft.mjs, which builds them from
 * the SPEC's formulas. Every stream uses the smallest chunk size, 1024 bytes.
 */
import { PAYLOAD, ok } from './fixtures.mjs';
import { CHUNK_SIZE } from './stream-craft.mjs';
import {
  BASE_BODY,
  baseStream,
  honestStream,
  oneChunkStream,
  textBody,
} from './stream-fixtures.mjs';

/** An honest stream on the case's own DRBG, opened as is. */
const sealedCase = (id, name, description, spec, o = {}, body = PAYLOAD, extraExpect = {}) => ({
  id,
  name,
  kind: 'stream',
  description,
  spec,
  build: async ({ c, messageId }) => ({
    stream: await honestStream(c, name, messageId, o, body),
    open: o.context ? { context: o.context } : undefined,
    expect: ok(c, { payload: body, ...extraExpect }),
  }),
});

const suiteCase = (id, aead, name) =>
  sealedCase(
    id,
    name,
    `A stream in suite X25519 / HKDF-SHA256 / ${aead}: a 2500-byte body in 1024-byte chunks, so two full records, then a final record of the last 577 bytes of meta || body and the signature.`,
    '§7a.5 step 8, §7a.1-§7a.4, §5',
    { aead },
    textBody(2500),
  );

export const STREAM_VALID_CASES = [
  sealedCase(
    49,
    'stream-one-chunk',
    "A body shorter than the chunk size: the stream is one final record holding the meta record, the body and the signature. Bound to the context 'tool:refund', as every stream case unless it says otherwise.",
    '§7a.5 step 12, §7a.1-§7a.4',
  ),
  suiteCase(50, 'AES-128-GCM', 'stream-aes-128-gcm'),
  sealedCase(
    51,
    'stream-aes-256-gcm',
    'A 3500-byte body in 1024-byte chunks (not a multiple): three full records, then a final one. The valid stream that most rejection cases change in one place.',
    '§7a.5 step 8, §7a.1-§7a.4, §5',
    {},
    BASE_BODY,
  ),
  suiteCase(52, 'ChaCha20-Poly1305', 'stream-chacha20-poly1305'),
  sealedCase(
    53,
    'stream-body-multiple-of-chunk-size',
    'A 2048-byte body (twice the chunk size); chunking runs over meta || body, so there are two full records, then a final record of the last 125 body bytes and the signature.',
    '§7a.5 step 7, §7a.3',
    {},
    textBody(2 * CHUNK_SIZE),
  ),
  sealedCase(
    54,
    'stream-chunks-filled-exactly',
    'meta || body is exactly three chunks (125 + 2947 = 3072 bytes): three full records, then a final record with an empty plaintext part (80 bytes: the signature and the tag).',
    '§7a.5 step 7, §7a.3',
    {},
    textBody(3 * CHUNK_SIZE - 125),
  ),
  sealedCase(
    55,
    'stream-empty-body',
    'An empty body: one final record holding the meta record and the signature.',
    '§7a.5 steps 9-10, §7a.3, §7a.4',
    {},
    new Uint8Array(0),
  ),
  sealedCase(
    56,
    'stream-empty-context',
    'No bound context on either side: the context is the empty byte string.',
    '§7a.5 step 9, §4.3, §7a.2',
    { context: new Uint8Array(0) },
  ),
  sealedCase(
    57,
    'stream-claims-and-content-type',
    'A stream header with a content type and public claims (text, positive and negative integers).',
    '§7a.5 step 4, §7a.1, §4.1',
    {
      contentType: 'application/x-ndjson',
      claims: { tenant: 'acme', priority: 5, 'x-route': 'eu-west-1', n: -7 },
    },
    textBody(1500),
    {
      contentType: 'application/x-ndjson',
      claims: { tenant: 'acme', priority: 5, 'x-route': 'eu-west-1', n: -7 },
    },
  ),
  {
    id: 58,
    name: 'stream-three-recipients-carol',
    kind: 'stream',
    description:
      'A stream to three recipients (bob, carol, dave), each entry with a wrapped message secret; opened by carol.',
    spec: '§7a.5 step 6, §7a.2, §4.3',
    build: async ({ c, messageId }) => {
      const recipients = [c.bob, c.carol, c.dave].map((i) => i.encryption);
      const body = textBody(1500);
      return {
        stream: await honestStream(
          c,
          'stream-three-recipients-carol',
          messageId,
          { recipients },
          body,
        ),
        open: { recipient: [c.carol.encryption] },
        expect: ok(c, { payload: body }),
      };
    },
  },
  {
    id: 59,
    name: 'stream-meta-fills-first-chunk',
    kind: 'stream',
    description:
      'A sender with a 934-byte name, so its meta record is exactly 1024 bytes: chunk 0 is a full record holding only the meta record (no body), and the body is in the final record.',
    spec: '§7a.5 steps 9-10, §7a.3, §7a.4',
    build: async ({ c, messageId }) => ({
      stream: await honestStream(c, 'stream-meta-fills-first-chunk', messageId, { from: c.erin }),
      open: { trustedSenders: [c.erin] },
      expect: ok(c, { sender: c.erin.name, senderKid: c.erin.signing.kid }),
    }),
  },
  {
    id: 60,
    name: 'stream-max-chunk-bytes-boundary',
    kind: 'stream',
    description:
      "Case 049's stream opened with maxChunkBytes lowered to its chunk size, 1024: opens.",
    spec: '§7a.5 step 4, §7a.7',
    messageIdLabel: 'stream-one-chunk',
    build: async ({ c }) => ({
      stream: await oneChunkStream(c),
      open: { limits: { maxChunkBytes: CHUNK_SIZE } },
      expect: ok(c),
    }),
  },
  {
    id: 61,
    name: 'stream-max-stream-bytes-boundary',
    kind: 'stream',
    description:
      "Case 051's stream opened with maxStreamBytes lowered to exactly its length: opens.",
    spec: '§7a.5 step 1, §7a.7',
    messageIdLabel: 'stream-aes-256-gcm',
    build: async ({ c }) => {
      const stream = await baseStream(c);
      return {
        stream,
        open: { limits: { maxStreamBytes: stream.length } },
        expect: ok(c, { payload: BASE_BODY }),
      };
    },
  },
];
