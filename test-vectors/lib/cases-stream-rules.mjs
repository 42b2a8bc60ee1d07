/**
 * Cases 130-135: streams that pin the rules cases 100-121 pin for messages
 * where a stream has them too (SPEC.md §7a.5): the header's byte-string head,
 * a limit before the end of the input, the meta record's keys and limits,
 * the time range. Nothing is released: each fails before or at record 0.
 * The shape of a case is described in cases-stream-valid.mjs.
 */
import { fromBase64url } from '@blindwire/core';
import { concat, readHead } from '@blindwire/core/internal';
import { rawMap, widerHead } from './craft.mjs';
import { craftedBase, failStream, fromOne, honestStream, withReasons } from './stream-fixtures.mjs';

/** A stream with its header head replaced by `head(length)`, the header bytes and records unchanged. */
const withHeaderHead = (head) => (s) => {
  const [, hlen, hl] = readHead(s, 4);
  return concat(s.subarray(0, 4), head(hlen, s.subarray(4, 4 + hl)), s.subarray(4 + hl));
};

/** Case 059's stream: erin, whose 934-byte name makes a 1024-byte meta record. */
const ERIN = 'stream-meta-fills-first-chunk';

const CASES = [
  fromOne(
    130,
    'stream-header-head-not-shortest',
    "Case 049's stream with its header byte-string head one size wider than the shortest form (same length); the header bytes, hence hh, are unchanged.",
    '§7a.5 step 3, §3.1 rule 2',
    'ERR_ENVELOPE_MALFORMED',
    { mutate: withHeaderHead((n) => widerHead(n)) },
  ),
  fromOne(
    131,
    'stream-header-indefinite-length',
    "Case 049's stream with its header written as an indefinite-length byte string (0x5f, one definite chunk of the header bytes, 0xff).",
    '§7a.5 step 3, §3.1 rule 1',
    'ERR_ENVELOPE_MALFORMED',
    {
      mutate: (s) => {
        const [, hlen, hl] = readHead(s, 4);
        const end = 4 + hl + hlen;
        return concat(
          s.subarray(0, 4),
          Uint8Array.of(0x5f),
          s.subarray(4, end),
          Uint8Array.of(0xff),
          s.subarray(end),
        );
      },
    },
  ),
  fromOne(
    132,
    'stream-header-length-over-limit',
    "Case 049's stream with its header head saying 65537 bytes (0x5a 00 01 00 01), one over the default maxHeaderBytes: refused when the head is read, before the header's bytes.",
    '§7a.5 step 3, §3.1, §8',
    'ERR_LIMIT_EXCEEDED',
    { mutate: withHeaderHead(() => Uint8Array.of(0x5a, 0x00, 0x01, 0x00, 0x01)) },
  ),
  craftedBase(
    133,
    'stream-meta-extra-key',
    "Case 051's stream with a fourth key, 4 => 0, in the meta record after keys 1-3 (in order), otherwise valid and authenticated: the meta record has exactly keys 1-3.",
    '§7a.5 step 9, §7a.4',
    'ERR_OPEN_FAILED',
    0,
    (c) => ({
      meta: (headerSignature) =>
        rawMap([
          [1, c.alice.name],
          [2, fromBase64url(c.alice.signing.kid)],
          [3, headerSignature],
          [4, 0],
        ]),
    }),
  ),
  {
    id: 134,
    name: 'stream-sender-name-over-max-string-bytes',
    kind: 'stream',
    description:
      "Case 059's stream (erin, a 934-byte name) opened with maxStringBytes lowered to 933: the meta record is decoded under the header's limits, and a failure there is ERR_OPEN_FAILED.",
    spec: '§7a.5 step 9, §7a.4, §8',
    messageIdLabel: ERIN,
    build: async ({ c, messageId }) => ({
      stream: await honestStream(c, ERIN, messageId, { from: c.erin }),
      open: { trustedSenders: [c.erin], limits: { maxStringBytes: 933 } },
      expect: failStream('ERR_OPEN_FAILED'),
    }),
  },
  craftedBase(
    135,
    'stream-expires-at-over-32-bits',
    "Case 051's inputs with the header's expires-at 2^32 (one past the largest time), otherwise valid and authenticated.",
    '§7a.5 step 4, §7a.1, §1',
    'ERR_ENVELOPE_MALFORMED',
    0,
    () => ({ expiresAt: 2 ** 32 }),
  ),
];

const WHY = {
  'stream-header-head-not-shortest': /non-shortest/,
  'stream-header-indefinite-length': /indefinite length/,
  'stream-header-length-over-limit': /header of 65537 bytes exceeds maxHeaderBytes/,
  'stream-expires-at-over-32-bits': /expires-at must be an unsigned integer up to 4294967295/,
};

export const STREAM_RULE_CASES = withReasons(CASES, WHY);
