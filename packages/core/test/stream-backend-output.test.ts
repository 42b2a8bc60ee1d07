/**
 * A caller's backend whose outputs have the wrong length: the stream sealer
 * fails with a BlindwireError (ERR_INVALID_ARGUMENT) and never emits a
 * record built from them (SPEC.md §7a.3: every chunk record is its
 * ciphertext and 16-byte tag; §7a.4: the final chunk ends with the 64-byte
 * signature). What went out before the failure is whole records only, which
 * open as a clean prefix and then fail as a truncated stream.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeBackend } from '../src/backend/node.js';
import { aeadSealInto } from '../src/backend/checks.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { concat, equalBytes } from '../src/bytes.js';
import { BlindwireError } from '../src/errors.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { NOW, cast, trusted, type Cast } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const CS = 1024;
const BODY = body(4 * CS + 100, 3);
/** Write sizes that straddle chunk boundaries. */
const WRITES = [BODY.subarray(0, 700), BODY.subarray(700, 3000), BODY.subarray(3000)];

let c: Cast;
/** The reader chunks of a good stream of the same body: one for the start, then one per record. */
let reference: number[];

beforeAll(async () => {
  c = await cast(nodeBackend);
  const good = await sealAll(options(nodeBackend), WRITES);
  reference = good.parts.map((p) => p.length);
});

function options(backend: CryptoBackend) {
  return { sender: c.alice, recipients: c.bob, backend, now: NOW, chunkSize: CS };
}

/** A copy of the node backend without `aeadSealParts`: the sealer concatenates and calls `aeadSeal`. */
function withoutSealParts(overrides: Partial<CryptoBackend>): CryptoBackend {
  const b: CryptoBackend = { ...nodeBackend, ...overrides };
  delete b.aeadSealParts;
  return b;
}

/** `aeadSeal` that answers correctly for its first `good` calls, then with `bad(ct)`. */
function badCiphertext(good: number, bad: (ct: Uint8Array) => Uint8Array): CryptoBackend {
  let calls = 0;
  return withoutSealParts({
    aeadSeal: async (alg, key, nonce, pt, aad) => {
      const ct = await nodeBackend.aeadSeal(alg, key, nonce, pt, aad);
      return calls++ < good ? ct : bad(ct);
    },
  });
}

/** `ed25519Sign` that signs the header correctly, then gives `bad(signature)` for the final chunk. */
function badFinalSignature(bad: (sig: Uint8Array) => unknown): CryptoBackend {
  let calls = 0;
  return {
    ...nodeBackend,
    ed25519Sign: async (key, message) => {
      const sig = await nodeBackend.ed25519Sign(key, message);
      return (calls++ === 0 ? sig : bad(sig)) as Uint8Array;
    },
  };
}

/** Seals BODY through `backend`: the chunks read, the readable's error and the result's. */
async function sealWith(backend: CryptoBackend) {
  const s = sealStream(options(backend));
  const parts: Uint8Array[] = [];
  let readError: unknown;
  const reading = (async () => {
    const r = s.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await r.read();
        if (done) return;
        parts.push(value);
      }
    } catch (e) {
      readError = e;
    }
  })();
  const w = s.writable.getWriter();
  let writeError: unknown;
  try {
    for (const x of WRITES) await w.write(x);
    await w.close();
  } catch (e) {
    writeError = e;
  }
  await reading;
  const result = await s.result.catch((e: unknown) => e);
  return { parts, readError, writeError, result };
}

async function expectRefused(backend: CryptoBackend, goodRecords: number) {
  const { parts, readError, writeError, result } = await sealWith(backend);
  expect(result).toBeInstanceOf(BlindwireError);
  expect((result as BlindwireError).code).toBe('ERR_INVALID_ARGUMENT');
  expect((result as BlindwireError).message).toMatch(/the backend returned a malformed/);
  expect(readError).toBe(result);
  expect(writeError).toBe(result);
  // Only the start and the records sealed before the bad output went out, each whole.
  expect(parts.map((p) => p.length)).toEqual(reference.slice(0, 1 + goodRecords));
  const opened = await openAll(
    { recipient: c.bob, trustedSenders: trusted(c.alice), backend: nodeBackend, now: NOW },
    parts,
  );
  expect((opened.result as BlindwireError).code).toBe('ERR_OPEN_FAILED');
  expect(equalBytes(opened.released, BODY.subarray(0, opened.released.length))).toBe(true);
  if (goodRecords > 0) expect(opened.released.length).toBeGreaterThan(0);
}

describe('stream sealing with a backend that returns the wrong lengths', () => {
  it('the good stream has a start and five records (the cases below cut it)', () => {
    expect(reference.length).toBe(6);
  });

  for (const good of [0, 2, 4]) {
    const which = good === 4 ? 'the final chunk' : `chunk ${good}`;
    it(`a ciphertext one byte too long for ${which} is ERR_INVALID_ARGUMENT`, async () => {
      await expectRefused(
        badCiphertext(good, (ct) => {
          const x = new Uint8Array(ct.length + 1);
          x.set(ct);
          return x;
        }),
        good,
      );
    });

    it(`a ciphertext one byte too short for ${which} is ERR_INVALID_ARGUMENT`, async () => {
      await expectRefused(
        badCiphertext(good, (ct) => ct.subarray(1)),
        good,
      );
    });
  }

  it('a ciphertext that is not a Uint8Array is ERR_INVALID_ARGUMENT', async () => {
    await expectRefused(
      badCiphertext(1, (ct) => Array.from(ct) as unknown as Uint8Array),
      1,
    );
  });

  it('a final signature of 65, 63 or 0 bytes, or not bytes at all, is ERR_INVALID_ARGUMENT', async () => {
    const bads: ((sig: Uint8Array) => unknown)[] = [
      (sig) => {
        const x = new Uint8Array(65);
        x.set(sig);
        return x;
      },
      (sig) => sig.subarray(1),
      () => new Uint8Array(0),
      (sig) => Array.from(sig),
    ];
    for (const bad of bads) await expectRefused(badFinalSignature(bad), 4);
  });
});

describe('aeadSealInto, on a backend without aeadSealParts', () => {
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12).fill(9);
  const aad = new Uint8Array(3);
  const parts = [new Uint8Array(10).fill(1), new Uint8Array(5).fill(2)];

  it('copies a ciphertext of the right length', async () => {
    const out = new Uint8Array(40).fill(0xee);
    await aeadSealInto(withoutSealParts({}), 'aes-256-gcm', key, nonce, parts, aad, out, 4);
    const ct = await nodeBackend.aeadSeal('aes-256-gcm', key, nonce, concat(...parts), aad);
    expect(equalBytes(out.subarray(4, 35), ct)).toBe(true);
    expect(out.subarray(0, 4).every((x) => x === 0xee)).toBe(true);
    expect(out.subarray(35).every((x) => x === 0xee)).toBe(true);
  });

  it('refuses a ciphertext of any other length and writes nothing into out', async () => {
    for (const delta of [-17, -1, 1, 16]) {
      const b = badCiphertext(0, (ct) => {
        const x = new Uint8Array(ct.length + delta);
        x.set(ct.subarray(0, x.length));
        return x;
      });
      const out = new Uint8Array(64).fill(0xee);
      let error: unknown;
      try {
        await aeadSealInto(b, 'aes-256-gcm', key, nonce, parts, aad, out, 4);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BlindwireError);
      expect((error as BlindwireError).code).toBe('ERR_INVALID_ARGUMENT');
      expect(out.every((x) => x === 0xee)).toBe(true);
    }
  });
});
