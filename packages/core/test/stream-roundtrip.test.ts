/**
 * Streams (SPEC.md §7a) round trip on every backend: body sizes around the
 * chunk boundaries, writes of any size, several recipients, every suite, the
 * exact record layout, backpressure, and the argument checks of sealStream
 * and openStream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { concat, equalBytes } from '../src/bytes.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { BlindwireError, ErrorCode } from '../src/errors.js';
import { publicIdentity } from '../src/identity/identity.js';
import { sealStream } from '../src/stream/seal-stream.js';
import type { SealStreamOptions } from '../src/stream/seal-stream-options.js';
import { openStream } from '../src/stream/open-stream.js';
import type { OpenStreamOptions } from '../src/stream/open-stream-options.js';
import { encodeMeta } from '../src/wire/stream-keys.js';
import { readHead } from '../src/wire/cbor.js';
import { fromBase64url } from '../src/bytes.js';
import { backends } from './helpers/backends.js';
import { NOW, cast, fastestBackend, trusted } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const CS = 1024; // the smallest chunk size: many chunks from small bodies

/** Splits `b` into pieces of the given sizes (cycled), the last one taking the rest. */
function split(b: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; off < b.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe.each(backends.map((b) => [b.name, b] as const))(
  'streams on the %s backend',
  (_name, backend) => {
    it('round trips bodies around the chunk boundaries, with the exact record layout', async () => {
      const { alice, bob } = await cast(backend);
      const metaLength = encodeMeta(alice.name, fromBase64url(alice.signing.kid)).length;
      const first = CS - metaLength; // body bytes that fit in chunk 0
      const sizes = [
        0,
        1,
        first - 1,
        first,
        first + 1,
        CS - 1,
        CS,
        CS + 1,
        first + CS,
        first + 3 * CS + 17,
      ];
      for (const n of sizes) {
        const b = body(n, n);
        const { sealed, done } = await sealAll(
          { sender: alice, recipients: bob, backend, now: NOW, chunkSize: CS },
          [b],
        );
        expect(done.bodyBytes).toBe(n);
        expect(done.streamBytes).toBe(sealed.length);
        // Layout: prefix, header, then n records, all but the last exactly CS + 16 bytes of ciphertext.
        const [, hlen, hhl] = readHead(sealed, 4);
        let off = 4 + hhl + hlen;
        const records: [number, number][] = [];
        while (off < sealed.length) {
          const flag = sealed[off]!;
          const [major, len, hl] = readHead(sealed, off + 1);
          expect(major).toBe(2);
          records.push([flag, len]);
          off += 1 + hl + len;
        }
        expect(off).toBe(sealed.length);
        const chunks = Math.floor((metaLength + n) / CS) + 1;
        expect(records.length).toBe(chunks);
        for (const [flag, len] of records.slice(0, -1)) expect([flag, len]).toEqual([0, CS + 16]);
        expect(records.at(-1)).toEqual([1, ((metaLength + n) % CS) + 64 + 16]);

        const { released, error, result } = await openAll(
          { recipient: bob, trustedSenders: trusted(alice), backend, now: NOW },
          [sealed],
        );
        expect(error).toBeUndefined();
        expect(released).toEqual(b);
        expect(result).toMatchObject({
          sender: alice.name,
          senderKid: alice.signing.kid,
          messageId: done.messageId,
          bodyBytes: n,
          streamBytes: sealed.length,
        });
      }
    });

    it('opens for each of several recipients, with every suite, content type and claims', async () => {
      const { alice, bob, carol } = await cast(backend);
      for (const aead of ['AES-128-GCM', 'AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
        const b = body(3 * CS + 5);
        const { sealed, done } = await sealAll(
          {
            sender: alice,
            recipients: [publicIdentity(bob), publicIdentity(carol)],
            backend,
            now: NOW,
            chunkSize: CS,
            aead,
            contentType: 'application/octet-stream',
            claims: { tenant: 'acme', priority: 3 },
            context: 'tool:upload',
          },
          split(b, [100, 2000, 1]),
        );
        for (const recipient of [bob, carol]) {
          const { released, result } = await openAll(
            {
              recipient,
              trustedSenders: trusted(alice),
              backend,
              now: NOW,
              context: 'tool:upload',
            },
            split(sealed, [7, 1500, 3]),
          );
          expect(released).toEqual(b);
          expect(result).toMatchObject({
            sender: alice.name,
            contentType: 'application/octet-stream',
            header: {
              kind: 'stream',
              suite: { name: aead },
              chunkSize: CS,
              claims: { tenant: 'acme', priority: 3 },
              messageId: done.messageId,
              recipients: [{ kid: bob.encryption.kid }, { kid: carol.encryption.kid }],
            },
          });
        }
      }
    });
  },
);

describe('streams: writes and reads of any size', () => {
  const backend = fastestBackend();

  it('round trips any body written and read in any pieces (property)', async () => {
    const { alice, bob } = await cast(backend);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 * CS }),
        fc.array(fc.integer({ min: 0, max: 3 * CS }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 3 * CS }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 255 }),
        async (n, writeSizes, readSizes, seed) => {
          const b = body(n, seed);
          const writes =
            n === 0
              ? [new Uint8Array(0)]
              : split(
                  b,
                  writeSizes.map((x) => x || 1),
                );
          const { sealed } = await sealAll(
            { sender: alice, recipients: bob, backend, chunkSize: CS },
            writes,
          );
          const { released, error } = await openAll(
            { recipient: bob, trustedSenders: trusted(alice), backend },
            split(sealed, readSizes),
          );
          expect(error).toBeUndefined();
          expect(released).toEqual(b);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes empty writes, and an empty stream, as zero bytes of body', async () => {
    const { alice, bob } = await cast(backend);
    const { sealed } = await sealAll({ sender: alice, recipients: bob, backend }, [
      new Uint8Array(0),
      body(5),
      new Uint8Array(0),
    ]);
    const { released } = await openAll(
      { recipient: bob, trustedSenders: trusted(alice), backend },
      [new Uint8Array(0), sealed, new Uint8Array(0)],
    );
    expect(released).toEqual(body(5));
  });

  it('works with pipeThrough, with the default chunk size and a 1 MiB one', async () => {
    const { alice, bob } = await cast(backend);
    for (const chunkSize of [undefined, 1024 * 1024]) {
      const b = body(2 * 1024 * 1024 + 3);
      const s = sealStream({
        sender: alice,
        recipients: bob,
        backend,
        ...(chunkSize ? { chunkSize } : {}),
      });
      const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend });
      const source = new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of split(b, [300_000])) c.enqueue(p);
          c.close();
        },
      });
      const parts: Uint8Array[] = [];
      for await (const c of source
        .pipeThrough(s)
        .pipeThrough(o) as unknown as AsyncIterable<Uint8Array>) {
        parts.push(c);
      }
      expect(equalBytes(concat(...parts), b)).toBe(true); // toEqual is slow on megabytes
      expect((await s.result).chunkSize).toBe(chunkSize ?? 65536);
      expect((await o.result).bodyBytes).toBe(b.length);
    }
  });

  it('honours backpressure: a write waits while the reader takes nothing', async () => {
    const { alice, bob } = await cast(backend);
    const s = sealStream({ sender: alice, recipients: bob, backend, chunkSize: CS });
    const w = s.writable.getWriter();
    let resolved = false;
    const big = w.write(body(64 * CS)).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false); // 64 chunks do not pile up in the readable
    const reader = s.readable.getReader();
    const parts: Uint8Array[] = [];
    const closing = big.then(() => w.close());
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    await closing;
    expect(resolved).toBe(true);
    const { released } = await openAll(
      { recipient: bob, trustedSenders: trusted(alice), backend },
      [concat(...parts)],
    );
    expect(released).toEqual(body(64 * CS));
  });

  it('answers the sender name that fills chunk 0 exactly (a meta record of chunkSize bytes)', async () => {
    const { alice, bob } = await cast(backend);
    const name = `spiffe://acme.example/${'x'.repeat(CS - 90 - 22)}`; // meta = 90 + name bytes
    const sender = { name, signing: alice.signing };
    expect(encodeMeta(name, fromBase64url(alice.signing.kid)).length).toBe(CS);
    const trustedSenders = [
      { name, signing: { kid: alice.signing.kid, publicKey: alice.signing.publicKey } },
    ];
    for (const n of [0, 1, CS]) {
      const { sealed } = await sealAll({ sender, recipients: bob, backend, chunkSize: CS }, [
        body(n),
      ]);
      const { released, result } = await openAll({ recipient: bob, trustedSenders, backend }, [
        sealed,
      ]);
      expect(released).toEqual(body(n));
      expect(result).toMatchObject({ sender: name });
    }
    expect(
      await errorCode(async () =>
        sealStream({
          sender: { name: `${name}y`, signing: alice.signing },
          recipients: bob,
          backend,
          chunkSize: CS,
        }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('streams: argument checks', () => {
  const backend = fastestBackend();

  it('sealStream checks its options before anything runs', async () => {
    const { alice, bob } = await cast(backend);
    const base = { sender: alice, recipients: bob, backend };
    const code = (o: object) =>
      errorCode(async () => sealStream({ ...base, ...o } as SealStreamOptions));
    expect(await code({ chunkSize: 1023 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ chunkSize: 1024 * 1024 + 1 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ chunkSize: 1.5 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ chunkSize: 4096, limits: { maxChunkBytes: 4095 } })).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(await code({ limits: { maxChunkBytes: 0 } })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ limits: { maxStreamBytes: 2 ** 53 } })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ limits: { maxNonsense: 1 } })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ recipients: [] })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ sender: { name: '', signing: alice.signing } })).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await code({ aead: 'AES-512' })).toBe('ERR_UNSUPPORTED_SUITE');
    expect(await code({ ttl: -1 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ contentType: '' })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ messageId: new Uint8Array(15) })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ context: new Uint8Array(4097) })).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('sealStream rejects a write that is not a Uint8Array, and errors the stream', async () => {
    const { alice, bob } = await cast(backend);
    const s = sealStream({ sender: alice, recipients: bob, backend });
    const w = s.writable.getWriter();
    const write = w.write('text' as unknown as Uint8Array);
    await expect(write).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(s.result).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(s.readable.getReader().read()).rejects.toBeInstanceOf(BlindwireError);
  });

  it('openStream checks its options before anything runs', async () => {
    const { alice, bob } = await cast(backend);
    const base = { recipient: bob, trustedSenders: trusted(alice), backend };
    const code = (o: object) =>
      errorCode(async () => openStream({ ...base, ...o } as OpenStreamOptions));
    expect(await code({ trustedSenders: undefined })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ recipient: undefined })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ revokedKids: [''] })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ maxAge: -1 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ clockSkew: 1.5 })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ allowedSenders: [''] })).toBe('ERR_INVALID_ARGUMENT');
    expect(await code({ limits: { maxChunkBytes: 1024 * 1024 + 1 } })).toBe('ERR_INVALID_ARGUMENT');
  });

  it('cancelling the readable errors the writable and the result: ERR_TRANSPORT, the reason as cause', async () => {
    const { alice, bob } = await cast(backend);
    const s = sealStream({ sender: alice, recipients: bob, backend, chunkSize: CS });
    const reason = new Error('consumer went away');
    await s.readable.cancel(reason);
    const e = await s.writable
      .getWriter()
      .write(body(10))
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ERR_TRANSPORT', cause: reason });
    await expect(s.result).rejects.toBe(e);
  });

  it('aborting the writable errors the readable and the result with one BlindwireError', async () => {
    const { alice, bob } = await cast(backend);
    for (const reason of [new Error('upstream failed'), undefined, null, 'a string']) {
      const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend });
      await o.writable.abort(reason);
      const e = await o.result.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BlindwireError);
      expect((e as BlindwireError).code).toBe('ERR_TRANSPORT');
      expect((e as BlindwireError).cause).toBe(reason ?? undefined);
      await expect(o.readable.getReader().read()).rejects.toBe(e);
    }
    // A BlindwireError goes through as it is.
    const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend });
    const own = new BlindwireError(ErrorCode.LimitExceeded, 'quota');
    await o.writable.abort(own);
    await expect(o.result).rejects.toBe(own);
  });
});

describe('streams: a failure during the key schedule', () => {
  const backend = fastestBackend();
  const label = new TextEncoder().encode('blindwire/v1 stream key');

  /** A backend that hands out the stream key (the slice taken of its HMAC) and calls `hook` as it does. */
  function spying(hook: () => void) {
    const keys: Uint8Array[] = [];
    class Watched extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        const k = Uint8Array.prototype.slice.call(this, start, end) as Uint8Array<ArrayBuffer>;
        keys.push(k);
        return k;
      }
    }
    const b: CryptoBackend = {
      ...backend,
      hmacSha256: async (k, d) => {
        const t = await backend.hmacSha256(k, d);
        if (d.length !== label.length + 1 || !label.every((x, i) => d[i] === x)) return t;
        hook();
        const w = new Watched(t.length);
        w.set(t);
        t.fill(0);
        return w;
      },
    };
    return { b, keys };
  }

  it('a reader that cancels while the opener derives its keys leaves no stream key behind', async () => {
    const { alice, bob } = await cast(backend);
    const { sealed } = await sealAll({ sender: alice, recipients: bob, backend, chunkSize: CS }, [
      body(5000),
    ]);
    const hold: { reader?: ReadableStreamDefaultReader<Uint8Array> } = {};
    const { b, keys } = spying(() => void hold.reader!.cancel());
    const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend: b });
    hold.reader = o.readable.getReader();
    await o.writable
      .getWriter()
      .write(sealed)
      .catch(() => undefined);
    await expect(o.result).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.every((x) => x === 0)).toBe(true);
  });

  it('a reader that cancels while the sealer derives its keys leaves no stream key behind', async () => {
    const { alice, bob } = await cast(backend);
    const hold: { reader?: ReadableStreamDefaultReader<Uint8Array> } = {};
    const { b, keys } = spying(() => void hold.reader!.cancel());
    const s = sealStream({ sender: alice, recipients: bob, backend: b, chunkSize: CS });
    hold.reader = s.readable.getReader();
    await expect(s.result).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.every((x) => x === 0)).toBe(true);
  });
});

describe('streams: what a stalled peer costs', () => {
  it('a record announced at 1 MiB of which one byte arrived holds KiB, not 1 MiB (200 streams)', async () => {
    const backend = fastestBackend();
    const { alice, bob } = await cast(backend);
    const MiB = 1024 * 1024;
    const { sealed } = await sealAll({ sender: alice, recipients: bob, backend, chunkSize: MiB }, [
      body(MiB + 10),
    ]);
    // The prefix, the header and record 0's flag and head, then one byte of its ciphertext.
    const [, headerLength, headerHead] = readHead(sealed, 4);
    const start = 4 + headerHead + headerLength;
    expect(sealed[start]).toBe(0); // record 0's flag
    const [, recordLength, recordHead] = readHead(sealed, start + 1);
    expect(recordLength).toBe(MiB + 16);
    const piece = sealed.subarray(0, start + 1 + recordHead + 1);
    const before = process.memoryUsage().arrayBuffers;
    const stalled = [];
    for (let i = 0; i < 200; i++) {
      const o = openStream({ recipient: bob, trustedSenders: trusted(alice), backend });
      void o.result.catch(() => undefined);
      const w = o.writable.getWriter();
      await w.write(piece);
      stalled.push({ o, w });
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(40 * MiB); // was 200 MiB: a full record buffer each
    for (const { w } of stalled) await w.abort();
  });
});
