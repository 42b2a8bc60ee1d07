/**
 * Streams (SPEC.md §7a.5): every way a stream can be cut, reordered,
 * spliced, extended or corrupted, every policy refusal, and every limit at
 * its maximum and one past it. Each case checks the exact error code and
 * that no plaintext of the bad chunk, nor of any chunk after it, came out.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, fromBase64url } from '../src/bytes.js';
import { decodeCbor, encodeCbor, encodeHead, readHead, type CborMap } from '../src/wire/cbor.js';
import { decodeStreamHeader } from '../src/wire/header.js';
import { LABEL, SECRET_LENGTH } from '../src/wire/keys.js';
import { open } from '../src/envelope/open.js';
import { inspect } from '../src/envelope/inspect.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { hpkeSuite, suiteByName } from '../src/wire/suites.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { publicIdentity, type Identity } from '../src/identity/identity.js';
import { chunkNonce, deriveStreamKeys, encodeMeta } from '../src/wire/stream-keys.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { openStream } from '../src/stream/open-stream.js';
import type { OpenStreamOptions } from '../src/stream/open-stream-options.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const backend = fastestBackend();
const CS = 1024;

/** Opens `pieces` (one write each): what was released, the error's code, and the result's. */
async function openCodes(options: OpenStreamOptions, pieces: Uint8Array[]) {
  const { released, error, result } = await openAll(options, pieces);
  const codeOfError = (e: unknown) =>
    e === undefined ? undefined : ((e as { code?: string }).code ?? String(e));
  return {
    released,
    code: codeOfError(error),
    resultCode: (result as { code?: string }).code,
  };
}

interface Parsed {
  /** Prefix and header byte string. */
  start: Uint8Array;
  header: Uint8Array;
  /** Whole records: flag, head, ciphertext. */
  records: Uint8Array[];
}

function parse(sealed: Uint8Array): Parsed {
  const [, hlen, hhl] = readHead(sealed, 4);
  const startLength = 4 + hhl + hlen;
  const records: Uint8Array[] = [];
  let off = startLength;
  while (off < sealed.length) {
    const [, len, hl] = readHead(sealed, off + 1);
    records.push(sealed.subarray(off, off + 1 + hl + len));
    off += 1 + hl + len;
  }
  return {
    start: sealed.subarray(0, startLength),
    header: sealed.subarray(4 + hhl, startLength),
    records,
  };
}

/** A stream with a new header (not re-authenticated: the checks under test run first). */
function withHeader(p: Parsed, edit: (m: CborMap) => void): Uint8Array {
  const m = decodeCbor(p.header, { maxDepth: 8, maxItems: 64, maxStringBytes: 1024 }) as CborMap;
  edit(m);
  const sorted: CborMap = new Map([...m].sort((a, b) => Number(a[0]) - Number(b[0])));
  const h = encodeCbor(sorted);
  return concat(p.start.subarray(0, 4), encodeHead(2, h.length), h, ...p.records);
}

let c: Cast;
let metaLength: number;
/** 5 chunks: 4 full ones and a final one with 100 bytes of body. */
let B: Uint8Array;
let sealed: Uint8Array;
let p: Parsed;
let opts: OpenStreamOptions;

/** Body bytes carried by chunks 0 .. k-1. */
const before = (k: number) => (k === 0 ? 0 : CS - metaLength + (k - 1) * CS);

beforeAll(async () => {
  c = await cast(backend);
  metaLength = encodeMeta(c.alice.name, fromBase64url(c.alice.signing.kid)).length;
  B = body(before(4) + 100);
  sealed = (
    await sealAll(
      { sender: c.alice, recipients: c.bob, backend, now: NOW, chunkSize: CS, context: 'ctx' },
      [B],
    )
  ).sealed;
  p = parse(sealed);
  opts = { recipient: c.bob, trustedSenders: trusted(c.alice), backend, now: NOW, context: 'ctx' };
});

/** Opens `bytes`; expects `code` and exactly the body of chunks 0 .. k-1. */
async function expectFailure(
  pieces: Uint8Array[],
  code: string,
  k: number,
  o: OpenStreamOptions = opts,
) {
  const r = await openCodes(o, pieces);
  expect(r.code).toBe(code);
  expect(r.resultCode).toBe(code);
  expect(r.released).toEqual(B.subarray(0, before(k)));
}

describe('streams: the reference stream', () => {
  it('has 5 records and opens', async () => {
    expect(p.records.map((r) => r[0])).toEqual([0, 0, 0, 0, 1]);
    const r = await openCodes(opts, [sealed]);
    expect(r.code).toBeUndefined();
    expect(r.released).toEqual(B);
  });
});

describe('streams: truncation', () => {
  it('an end at any record boundary before the final chunk is ERR_OPEN_FAILED', async () => {
    for (let k = 0; k <= 4; k++) {
      await expectFailure([concat(p.start, ...p.records.slice(0, k))], 'ERR_OPEN_FAILED', k);
    }
  });

  it('an end inside the header is ERR_ENVELOPE_MALFORMED; empty input too', async () => {
    for (const n of [0, 1, 3, 4, 5, p.start.length - 1]) {
      await expectFailure([sealed.subarray(0, n)], 'ERR_ENVELOPE_MALFORMED', 0);
    }
  });

  it('an end at any byte after the header releases only the chunks before it (property)', async () => {
    const ends: number[] = [];
    let off = p.start.length;
    for (const r of p.records) ends.push((off += r.length));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: p.start.length, max: sealed.length - 1 }),
        fc.integer({ min: 1, max: 2000 }),
        async (cut, piece) => {
          const k = ends.filter((e) => e <= cut).length; // whole records before the cut
          const pieces: Uint8Array[] = [];
          for (let o = 0; o < cut; o += piece)
            pieces.push(sealed.subarray(o, Math.min(cut, o + piece)));
          await expectFailure(pieces, 'ERR_OPEN_FAILED', k);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('streams: order, duplication and splicing', () => {
  const R = () => p.records;

  it('a dropped middle chunk is ERR_OPEN_FAILED after the chunks before it', async () => {
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      2,
    );
    await expectFailure(
      [concat(p.start, R()[1]!, R()[2]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      0,
    );
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[2]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      3,
    );
  });

  it('swapped chunks are ERR_OPEN_FAILED', async () => {
    await expectFailure(
      [concat(p.start, R()[0]!, R()[2]!, R()[1]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      1,
    );
    await expectFailure(
      [concat(p.start, R()[1]!, R()[0]!, R()[2]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      0,
    );
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[2]!, R()[4]!, R()[3]!)],
      'ERR_OPEN_FAILED',
      3,
    );
  });

  it('a duplicated chunk is ERR_OPEN_FAILED', async () => {
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[1]!, R()[2]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      2,
    );
    await expectFailure(
      [concat(p.start, R()[0]!, R()[0]!, R()[1]!, R()[2]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      1,
    );
  });

  it('a chunk of another stream (same sender, recipient, body and position) is ERR_OPEN_FAILED', async () => {
    const other = parse(
      (
        await sealAll(
          { sender: c.alice, recipients: c.bob, backend, now: NOW, chunkSize: CS, context: 'ctx' },
          [B],
        )
      ).sealed,
    );
    const O = other.records;
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, O[2]!, R()[3]!, R()[4]!)],
      'ERR_OPEN_FAILED',
      2,
    );
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[2]!, R()[3]!, O[4]!)],
      'ERR_OPEN_FAILED',
      4,
    );
    await expectFailure([concat(other.start, ...R())], 'ERR_OPEN_FAILED', 0);
    await expectFailure([concat(p.start, ...O)], 'ERR_OPEN_FAILED', 0);
  });

  it('a chunk marked final early is ERR_OPEN_FAILED', async () => {
    const early = R()[2]!.slice();
    early[0] = 1;
    await expectFailure([concat(p.start, R()[0]!, R()[1]!, early)], 'ERR_OPEN_FAILED', 2);
  });

  it('the final chunk marked non-final is ERR_ENVELOPE_MALFORMED (its length is not a full chunk)', async () => {
    const last = R()[4]!.slice();
    last[0] = 0;
    await expectFailure(
      [concat(p.start, R()[0]!, R()[1]!, R()[2]!, R()[3]!, last)],
      'ERR_ENVELOPE_MALFORMED',
      4,
    );
  });
});

describe('streams: bytes after the final chunk', () => {
  it('are ERR_ENVELOPE_MALFORMED, in the same write or a later one, and the final body stays unreleased', async () => {
    await expectFailure([concat(sealed, Uint8Array.of(0))], 'ERR_ENVELOPE_MALFORMED', 4);
    await expectFailure([sealed, Uint8Array.of(0)], 'ERR_ENVELOPE_MALFORMED', 4);
    await expectFailure([sealed, p.records[4]!], 'ERR_ENVELOPE_MALFORMED', 4);
    await expectFailure([concat(sealed, sealed)], 'ERR_ENVELOPE_MALFORMED', 4);
  });
});

describe('streams: corruption', () => {
  /** [record index, offset in the stream] of every byte of every record. */
  function recordOf(offset: number): number {
    let off = p.start.length;
    for (let k = 0; k < p.records.length; k++) {
      off += p.records[k]!.length;
      if (offset < off) return k;
    }
    throw new Error('past the end');
  }

  it('a flipped bit in a ciphertext or tag is ERR_OPEN_FAILED, with nothing of that chunk or later', async () => {
    let off = p.start.length;
    for (let k = 0; k < p.records.length; k++) {
      const hl = p.records[k]!.length - (k < 4 ? CS + 16 : 100 + 80);
      for (const at of [
        hl,
        hl + 1,
        hl + 500 > p.records[k]!.length - 1 ? hl + 2 : hl + 500,
        p.records[k]!.length - 1,
      ]) {
        const bad = sealed.slice();
        bad[off + at]! ^= 0x80;
        await expectFailure([bad], 'ERR_OPEN_FAILED', k);
      }
      off += p.records[k]!.length;
    }
  });

  it('any flipped bit after the header fails, with nothing of its chunk or later (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: p.start.length, max: sealed.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (at, bit) => {
          const bad = sealed.slice();
          bad[at]! ^= 1 << bit;
          const r = await openCodes(opts, [bad]);
          expect(['ERR_OPEN_FAILED', 'ERR_ENVELOPE_MALFORMED']).toContain(r.code);
          expect(r.released).toEqual(B.subarray(0, before(recordOf(at))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any flipped bit in the prefix or header fails before any plaintext (property)', async () => {
    const codes = [
      'ERR_ENVELOPE_MALFORMED',
      'ERR_UNSUPPORTED_VERSION',
      'ERR_UNSUPPORTED_SUITE',
      'ERR_LIMIT_EXCEEDED',
      'ERR_EXPIRED',
      'ERR_NOT_YET_VALID',
      'ERR_KEY_NOT_FOUND',
      'ERR_OPEN_FAILED',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: p.start.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (at, bit) => {
          const bad = sealed.slice();
          bad[at]! ^= 1 << bit;
          const r = await openCodes(opts, [bad]);
          expect(codes).toContain(r.code);
          expect(r.released.length).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('streams: record framing', () => {
  const R = () => p.records;
  const withRecord = (k: number, rec: Uint8Array) =>
    concat(p.start, ...R().slice(0, k), rec, ...R().slice(k + 1));

  it('a flag other than 0 or 1 is ERR_ENVELOPE_MALFORMED', async () => {
    for (const f of [2, 0x40, 0xff]) {
      const rec = R()[1]!.slice();
      rec[0] = f;
      await expectFailure([withRecord(1, rec)], 'ERR_ENVELOPE_MALFORMED', 1);
    }
  });

  it('a record that is not a definite, shortest byte string is ERR_ENVELOPE_MALFORMED', async () => {
    const ct = R()[1]!.subarray(3); // flag, 0x59, 2 length bytes
    expect(R()[1]![1]).toBe(0x59);
    const cases = [
      concat(Uint8Array.of(0, 0x5f), ct), // indefinite length
      concat(Uint8Array.of(0, 0x5a, 0, 0, 0x04, 0x10), ct), // 1040 in 4 bytes: not shortest
      concat(Uint8Array.of(0, 0x79, 0x04, 0x10), ct), // a text string
      concat(Uint8Array.of(0, 0x5c), ct), // reserved additional information
    ];
    for (const rec of cases) await expectFailure([withRecord(1, rec)], 'ERR_ENVELOPE_MALFORMED', 1);
  });

  it('a non-final record of any length but chunkSize + 16 is ERR_ENVELOPE_MALFORMED', async () => {
    const ct = R()[1]!.subarray(3);
    for (const len of [CS + 15, CS + 17, 16, 0]) {
      const rec = concat(
        Uint8Array.of(0),
        encodeHead(2, len),
        len <= ct.length ? ct.subarray(0, len) : concat(ct, new Uint8Array(len - ct.length)),
      );
      await expectFailure([withRecord(1, rec)], 'ERR_ENVELOPE_MALFORMED', 1);
    }
  });

  it('a final record shorter than tag + signature, or longer than chunkSize - 1 + 80, is ERR_ENVELOPE_MALFORMED', async () => {
    const ok = R()[4]!.subarray(3); // 180 bytes
    expect(ok.length).toBe(180);
    for (const len of [79, 0, CS + 80, CS + 81]) {
      const ct =
        len <= ok.length ? ok.subarray(0, len) : concat(ok, new Uint8Array(len - ok.length));
      await expectFailure(
        [withRecord(4, concat(Uint8Array.of(1), encodeHead(2, len), ct))],
        'ERR_ENVELOPE_MALFORMED',
        4,
      );
    }
  });

  it('framing at the limits of a final record: 80 and chunkSize + 79 bytes frame, then fail their tag', async () => {
    const ok = R()[4]!.subarray(3);
    for (const len of [80, CS + 79]) {
      const ct =
        len <= ok.length ? ok.subarray(0, len) : concat(ok, new Uint8Array(len - ok.length));
      await expectFailure(
        [withRecord(4, concat(Uint8Array.of(1), encodeHead(2, len), ct))],
        'ERR_OPEN_FAILED',
        4,
      );
    }
  });
});

describe('streams: prefix and header', () => {
  it('bad magic, another version, another kind: the codes of §7 steps 2', async () => {
    const at = (i: number, v: number) => {
      const b = sealed.slice();
      b[i] = v;
      return b;
    };
    await expectFailure([at(0, 0x43)], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure([at(2, 2)], 'ERR_UNSUPPORTED_VERSION', 0);
    await expectFailure([at(3, 1)], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure([at(4, 0x79)], 'ERR_ENVELOPE_MALFORMED', 0); // header as a text string
  });

  it('a message envelope is not a stream, and a stream is not a message', async () => {
    const { seal } = await import('../src/envelope/seal.js');
    const { envelope } = await seal('hi', {
      sender: c.alice,
      recipients: c.bob,
      backend,
      now: NOW,
      context: 'ctx',
    });
    await expectFailure([envelope], 'ERR_ENVELOPE_MALFORMED', 0);
    await expect(open(sealed, opts)).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    // inspect reads either kind, and says which.
    expect(inspect(sealed).kind).toBe('stream');
    expect(inspect(envelope).kind).toBe('message');
  });

  it('a header with no chunk size, a chunk size under 1024 or an unknown field is ERR_ENVELOPE_MALFORMED', async () => {
    await expectFailure([withHeader(p, (m) => m.delete(12))], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure([withHeader(p, (m) => m.set(12, 1023))], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure([withHeader(p, (m) => m.set(12, 'big'))], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure([withHeader(p, (m) => m.set(13, 1))], 'ERR_ENVELOPE_MALFORMED', 0);
    await expectFailure(
      [withHeader(p, (m) => m.set(10, new Uint8Array(16)))],
      'ERR_ENVELOPE_MALFORMED',
      0,
    );
    // A header edit that still parses fails authentication at chunk 0.
    await expectFailure([withHeader(p, (m) => m.set(6, 'text/plain'))], 'ERR_OPEN_FAILED', 0);
  });

  it('decodeStreamHeader reads what sealStream wrote', () => {
    const h = decodeStreamHeader(p.header, DEFAULT_LIMITS);
    expect(h.chunkSize).toBe(CS);
    expect(h.recipients.length).toBe(1);
  });
});

describe('streams: policy', () => {
  it('a stream for someone else is ERR_KEY_NOT_FOUND', async () => {
    await expectFailure([sealed], 'ERR_KEY_NOT_FOUND', 0, { ...opts, recipient: c.carol });
  });

  it('another bound context is ERR_CONTEXT_MISMATCH before any plaintext', async () => {
    await expectFailure([sealed], 'ERR_CONTEXT_MISMATCH', 0, { ...opts, context: 'other' });
    await expectFailure([sealed], 'ERR_CONTEXT_MISMATCH', 0, { ...opts, context: undefined });
  });

  it('an untrusted sender is ERR_KEY_UNTRUSTED; a resolver is asked for (name, kid)', async () => {
    await expectFailure([sealed], 'ERR_KEY_UNTRUSTED', 0, {
      ...opts,
      trustedSenders: trusted(c.carol),
    });
    const asked: string[] = [];
    const resolveSender = (name: string, kid: string) => {
      asked.push(`${name} ${kid}`);
      return name === c.alice.name ? c.alice.signing.publicKey : undefined;
    };
    const r = await openCodes({ ...opts, trustedSenders: undefined, resolveSender }, [sealed]);
    expect(r.code).toBeUndefined();
    expect(asked).toEqual([`${c.alice.name} ${c.alice.signing.kid}`]);
    await expectFailure([sealed], 'ERR_KEY_UNTRUSTED', 0, {
      ...opts,
      trustedSenders: undefined,
      resolveSender: () => null,
    });
  });

  it('a sender outside allowedSenders is ERR_SENDER_NOT_ALLOWED', async () => {
    await expectFailure([sealed], 'ERR_SENDER_NOT_ALLOWED', 0, {
      ...opts,
      allowedSenders: ['spiffe://acme.example/tools/*'],
    });
    const r = await openCodes({ ...opts, allowedSenders: ['spiffe://acme.example/agents/*'] }, [
      sealed,
    ]);
    expect(r.code).toBeUndefined();
  });

  it('a processed message id is ERR_REPLAY', async () => {
    const replay = createMemoryReplayStore();
    const first = await openCodes({ ...opts, replay }, [sealed]);
    expect(first.code).toBeUndefined();
    await replay.record(parseId(), 2 ** 32 - 1);
    await expectFailure([sealed], 'ERR_REPLAY', 0, { ...opts, replay });
  });

  it('an id recorded while the stream was arriving is ERR_REPLAY at its end; the final part is withheld', async () => {
    // A copy started, held back after record 0 until the original was processed, then let through.
    // (A guard: a replay store's reservation at record 0 leaves no such window.)
    const store = createMemoryReplayStore();
    const replay = { has: store.has, record: store.record };
    const o = openStream({ ...opts, replay });
    const reader = o.readable.getReader();
    const got: Uint8Array[] = [];
    const drained = (async () => {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) return;
        got.push(r.value!);
      }
    })();
    const writer = o.writable.getWriter();
    await writer.write(sealed);
    await store.record(parseId(), 2 ** 32 - 1, c.alice.name);
    await writer.close().catch(() => undefined);
    await drained;
    await expect(o.result).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    expect(concat(...got)).toEqual(B.subarray(0, before(4)));
  });

  it('keyed per sender, the id recorded for another sender does not block the stream', async () => {
    const replay = createMemoryReplayStore({ perSender: true });
    await replay.record(parseId(), 2 ** 32 - 1, c.mallory.name);
    expect((await openCodes({ ...opts, replay }, [sealed])).code).toBeUndefined();
    await replay.record(parseId(), 2 ** 32 - 1, c.alice.name);
    await expectFailure([sealed], 'ERR_REPLAY', 0, { ...opts, replay });
  });

  it('times: ERR_EXPIRED, ERR_NOT_YET_VALID; suites: ERR_UNSUPPORTED_SUITE', async () => {
    await expectFailure([sealed], 'ERR_EXPIRED', 0, { ...opts, now: NOW + 3600_000 + 61_000 });
    await expectFailure([sealed], 'ERR_EXPIRED', 0, {
      ...opts,
      now: NOW + 11_000,
      maxAge: 10,
      clockSkew: 0,
    });
    await expectFailure([sealed], 'ERR_NOT_YET_VALID', 0, { ...opts, now: NOW - 61_000 });
    await expectFailure([sealed], 'ERR_UNSUPPORTED_SUITE', 0, {
      ...opts,
      allowedSuites: ['ChaCha20-Poly1305'],
    });
  });

  it('a stream started by anyone but the named sender fails at record 0: no policy answer, nothing released', async () => {
    // Mallory needs only Bob's public key to seal a stream to him; she names
    // Alice (and Alice's trusted kid) but signs with her own key.
    const impostor = {
      name: c.alice.name,
      signing: { kid: c.alice.signing.kid, privateKey: c.mallory.signing.privateKey },
    };
    const forge = async (context: string) =>
      (
        await sealAll(
          { sender: impostor, recipients: c.bob, backend, now: NOW, chunkSize: CS, context },
          [B],
        )
      ).sealed;
    const forged = await forge('ctx');
    await expectFailure([forged], 'ERR_OPEN_FAILED', 0);
    // Nor does she learn the bound context, the allowed senders or the replay state.
    await expectFailure([await forge('a guess')], 'ERR_OPEN_FAILED', 0);
    await expectFailure([forged], 'ERR_OPEN_FAILED', 0, {
      ...opts,
      allowedSenders: ['spiffe://acme.example/tools/*'],
    });
    const replay = createMemoryReplayStore();
    await replay.record(
      [...decodeStreamHeader(parse(forged).header, DEFAULT_LIMITS).messageId]
        .map((x) => x.toString(16).padStart(2, '0'))
        .join(''),
      2 ** 32 - 1,
    );
    await expectFailure([forged], 'ERR_OPEN_FAILED', 0, { ...opts, replay });
  });

  it("a co-recipient who rewrites a chunk (it holds the stream key) cannot make the sender's signature verify", async () => {
    const s = (
      await sealAll(
        {
          sender: c.alice,
          recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
          backend,
          now: NOW,
          chunkSize: CS,
        },
        [B],
      )
    ).sealed;
    const q = parse(s);
    const forged = await rewriteChunk(q, c.carol, 1, (pt) => pt.fill(0x41));
    const r = await openCodes(
      { recipient: c.bob, trustedSenders: trusted(c.alice), backend, now: NOW },
      [forged],
    );
    expect(r.code).toBe('ERR_OPEN_FAILED');
    expect(r.resultCode).toBe('ERR_OPEN_FAILED');
    // The rewritten chunk authenticated and was released: only the result tells it apart.
    expect(r.released.length).toBe(before(4));
    expect(r.released.subarray(before(1), before(2)).every((x) => x === 0x41)).toBe(true);
  });

  function parseId(): string {
    return [...decodeStreamHeader(p.header, DEFAULT_LIMITS).messageId]
      .map((x) => x.toString(16).padStart(2, '0'))
      .join('');
  }
});

/** What a recipient of a multi-recipient stream can do: re-encrypt chunk `k` under the stream key. */
async function rewriteChunk(q: Parsed, who: Identity, k: number, edit: (pt: Uint8Array) => void) {
  const h = decodeStreamHeader(q.header, DEFAULT_LIMITS);
  const suite = suiteByName(undefined);
  const entry = h.recipients.find((e) =>
    e.kid.every((x, i) => x === fromBase64url(who.encryption.kid)[i]),
  )!;
  const ctx = await hpkeSuite(suite, backend).setupRecipient({
    enc: entry.enc,
    recipientKey: { privateKey: who.encryption.privateKey, publicKey: who.encryption.publicKey },
    info: LABEL.hpkeInfo,
  });
  const ms = entry.wrapped
    ? await ctx.open(entry.wrapped, entry.kid)
    : await ctx.export(LABEL.exportMessageSecret, SECRET_LENGTH);
  const { streamKey } = await deriveStreamKeys(backend, ms, suite.keyLength);
  const aad = await backend.sha256(concat(q.start.subarray(0, 4), q.header));
  const rec = q.records[k]!;
  const [, len, hl] = readHead(rec, 1);
  const nonce = chunkNonce(k, rec[0] === 1);
  const pt = (await backend.aeadOpen(
    suite.algorithm,
    streamKey,
    nonce,
    rec.subarray(1 + hl, 1 + hl + len),
    aad,
  ))!;
  edit(pt);
  const ct = await backend.aeadSeal(suite.algorithm, streamKey, nonce, pt, aad);
  return concat(
    q.start,
    ...q.records.slice(0, k),
    rec.subarray(0, 1 + hl),
    ct,
    ...q.records.slice(k + 1),
  );
}

describe('streams: limits at their maximum and one past it', () => {
  it('maxHeaderBytes (open and seal)', async () => {
    const n = p.header.length;
    expect(
      (await openCodes({ ...opts, limits: { maxHeaderBytes: n } }, [sealed])).code,
    ).toBeUndefined();
    await expectFailure([sealed], 'ERR_LIMIT_EXCEEDED', 0, {
      ...opts,
      limits: { maxHeaderBytes: n - 1 },
    });
    const s = sealStream({
      sender: c.alice,
      recipients: c.bob,
      backend,
      now: NOW,
      chunkSize: CS,
      context: 'ctx',
      limits: { maxHeaderBytes: n - 1 },
    });
    await expect(s.result).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' });
    await expect(s.readable.getReader().read()).rejects.toMatchObject({
      code: 'ERR_LIMIT_EXCEEDED',
    });
  });

  it('a header length over maxHeaderBytes is refused at its head, even 2^63 (SPEC.md §3.1, §7a.5 step 3)', async () => {
    const prefix = sealed.subarray(0, 4);
    for (const head of [
      [0x5a, 0x00, 0x01, 0x00, 0x01],
      [0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0],
    ]) {
      const r = await openCodes(opts, [concat(prefix, Uint8Array.from(head), Uint8Array.of(0xa0))]);
      expect([r.code, r.released.length]).toEqual(['ERR_LIMIT_EXCEEDED', 0]);
    }
  });

  it('maxChunkBytes (open and seal)', async () => {
    const s = (
      await sealAll({ sender: c.alice, recipients: c.bob, backend, now: NOW, chunkSize: 4096 }, [
        body(10_000),
      ])
    ).sealed;
    const o = { recipient: c.bob, trustedSenders: trusted(c.alice), backend, now: NOW };
    expect((await openCodes({ ...o, limits: { maxChunkBytes: 4096 } }, [s])).released).toEqual(
      body(10_000),
    );
    const r = await openCodes({ ...o, limits: { maxChunkBytes: 4095 } }, [s]);
    expect([r.code, r.released.length]).toEqual(['ERR_LIMIT_EXCEEDED', 0]);
    // Above the 1 MiB ceiling a header is refused by every receiver.
    const huge = withHeader(parse(s), (m) => m.set(12, 1024 * 1024 + 1));
    expect((await openCodes(o, [huge])).code).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('maxStreamBytes (open and seal)', async () => {
    const n = sealed.length;
    expect(
      (await openCodes({ ...opts, limits: { maxStreamBytes: n } }, [sealed])).code,
    ).toBeUndefined();
    await expectFailure([sealed], 'ERR_LIMIT_EXCEEDED', 0, {
      ...opts,
      limits: { maxStreamBytes: n - 1 },
    });
    // Checked on arrival: the chunks before the write that crosses it are out.
    await expectFailure([p.start, ...p.records], 'ERR_LIMIT_EXCEEDED', 4, {
      ...opts,
      limits: { maxStreamBytes: n - 1 },
    });
    const sealOpts = {
      sender: c.alice,
      recipients: c.bob,
      backend,
      now: NOW,
      chunkSize: CS,
      context: 'ctx',
    };
    expect((await sealAll({ ...sealOpts, limits: { maxStreamBytes: n } }, [B])).sealed.length).toBe(
      n,
    );
    await expect(
      sealAll({ ...sealOpts, limits: { maxStreamBytes: n - 1 } }, [B]),
    ).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' });
  });

  it('maxRecipients and maxContextBytes', async () => {
    const s = (
      await sealAll(
        {
          sender: c.alice,
          recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
          backend,
          now: NOW,
        },
        [body(1)],
      )
    ).sealed;
    const o = { recipient: c.bob, trustedSenders: trusted(c.alice), backend, now: NOW };
    expect((await openCodes({ ...o, limits: { maxRecipients: 2 } }, [s])).code).toBeUndefined();
    expect((await openCodes({ ...o, limits: { maxRecipients: 1 } }, [s])).code).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    const ctx = new Uint8Array(4096);
    const s2 = (
      await sealAll({ sender: c.alice, recipients: c.bob, backend, now: NOW, context: ctx }, [
        body(1),
      ])
    ).sealed;
    expect((await openCodes({ ...o, context: ctx }, [s2])).code).toBeUndefined();
    expect(() => openStream({ ...o, context: new Uint8Array(4097) })).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }),
    );
  });
});
