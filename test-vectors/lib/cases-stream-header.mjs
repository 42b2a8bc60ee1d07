/**
 * Cases 087-098: streams that fail before their records are read, in the
 * prefix, the header, the limits, the times or the addressing (SPEC.md
 * §7a.5 steps 1-6), each with the exact code. Nothing is released, except in
 * case 093, whose limit can end the stream after records were opened. Each
 * differs from case 049's or case 051's stream or inputs in one thing.
 */
import { withByte } from './craft.mjs';
import { SKEW, T, TTL, deterministicBackend } from './fixtures.mjs';
import { CHUNK_SIZE, craftStream, frameStream, parseStream } from './stream-craft.mjs';
import {
  ONE,
  authenticated,
  failStream,
  fromBase,
  fromOne,
  withReasons,
} from './stream-fixtures.mjs';

const CASES = [
  fromOne(
    87,
    'stream-truncated-in-header',
    "Case 049's stream cut in the middle of its header.",
    '§7a.5 step 12',
    'ERR_ENVELOPE_MALFORMED',
    { mutate: (s) => s.subarray(0, 64) },
  ),
  fromOne(
    88,
    'stream-header-only',
    "Case 049's stream cut right after its header: the header is complete, and no record follows.",
    '§7a.5 step 12',
    'ERR_OPEN_FAILED',
    { mutate: (s) => parseStream(s).start },
  ),
  fromOne(
    89,
    'stream-wrong-kind',
    "Case 049's stream with kind byte 0x01 (message).",
    '§7a.5 step 2',
    'ERR_ENVELOPE_MALFORMED',
    {
      mutate: (s) => withByte(s, 3, 0x01),
    },
  ),
  fromOne(
    90,
    'stream-bad-version',
    "Case 049's stream with version byte 0x02.",
    '§7a.5 step 2',
    'ERR_UNSUPPORTED_VERSION',
    {
      mutate: (s) => withByte(s, 2, 0x02),
    },
  ),
  {
    id: 91,
    name: 'stream-chunk-size-below-minimum',
    kind: 'stream',
    description:
      "Case 049's inputs with a header naming chunk size 512, below the floor of 1024, otherwise valid and authenticated.",
    spec: '§7a.5 step 4, §7a.1',
    messageIdLabel: ONE,
    build: async ({ c, messageId }) => {
      const crafted = await craftStream(deterministicBackend(ONE), c, {
        messageId,
        chunkSize: 512,
      });
      await authenticated(c, 'stream-chunk-size-below-minimum', crafted.bytes);
      return { stream: crafted.bytes, expect: failStream('ERR_ENVELOPE_MALFORMED') };
    },
  },
  fromOne(
    92,
    'stream-chunk-size-over-limit',
    "Case 049's stream (chunk size 1024) opened with maxChunkBytes lowered to 1023 (case 060 is the boundary).",
    '§7a.5 step 4, §7a.7',
    'ERR_LIMIT_EXCEEDED',
    { open: { limits: { maxChunkBytes: CHUNK_SIZE - 1 } } },
  ),
  fromBase(
    93,
    'stream-too-large',
    "Case 051's stream opened with maxStreamBytes lowered to one byte less than its length (case 061 is the boundary). The opener counts every piece as it arrives, so how much is released depends on the writes; never the final record's part.",
    '§7a.5 step 1, §7a.7',
    'ERR_LIMIT_EXCEEDED',
    3,
    (s) => ({ open: { limits: { maxStreamBytes: frameStream(s.start, s.records).length - 1 } } }),
  ),
  fromOne(
    94,
    'stream-expired',
    "Case 049's stream opened one second after expires-at + clockSkew.",
    '§7a.5 step 5',
    'ERR_EXPIRED',
    {
      open: { now: (T + TTL + SKEW + 1) * 1000 },
    },
  ),
  fromOne(
    95,
    'stream-not-yet-valid',
    "Case 049's stream opened with a clock clockSkew + 1 seconds before issued-at.",
    '§7a.5 step 5',
    'ERR_NOT_YET_VALID',
    { open: { now: (T - SKEW - 1) * 1000 } },
  ),
  fromOne(
    96,
    'stream-not-a-recipient',
    "Case 049's stream opened with carol's key; only bob is a recipient.",
    '§7a.5 step 5',
    'ERR_KEY_NOT_FOUND',
    {
      open: (c) => ({ recipient: [c.carol.encryption] }),
    },
  ),
  fromOne(
    97,
    'stream-wrong-private-key',
    "Case 049's stream opened with carol's private key under bob's kid: decapsulation yields another secret, and the commitment differs.",
    '§7a.5 step 6',
    'ERR_OPEN_FAILED',
    { open: (c) => ({ recipient: [{ ...c.carol.encryption, kid: c.bob.encryption.kid }] }) },
  ),
  fromOne(
    98,
    'stream-suite-not-allowed',
    "Case 049's stream (AES-256-GCM); the recipient allows only ChaCha20-Poly1305.",
    '§7a.5 step 5',
    'ERR_UNSUPPORTED_SUITE',
    { open: { allowedSuites: ['ChaCha20-Poly1305'] } },
  ),
];

const WHY = {
  'stream-truncated-in-header': /truncated/,
  'stream-wrong-kind': /expected kind 3, got 1/,
  'stream-chunk-size-below-minimum': /chunk size must be at least 1024/,
  'stream-chunk-size-over-limit': /chunk size 1024 exceeds maxChunkBytes 1023/,
  'stream-too-large': /exceeds maxStreamBytes/,
};

export const STREAM_HEADER_CASES = withReasons(CASES, WHY);
