/**
 * The project's stream vectors (SPEC.md §7a and §12, test-vectors/README.md
 * "Stream cases"), checked against the source on every backend: each case is
 * fed to `openStream` whole, cut at its `splits` and one byte per write, and
 * must open to exactly its body and sender, or fail with exactly its code
 * having released nothing but a prefix of `releasable` (all of it when fed
 * byte by byte, as SPEC.md §7a.5 prescribes). The intermediate values of the
 * success cases are recomputed with core's own stream pieces (the generator
 * derives them from the SPEC text instead).
 */
import { describe, expect, it } from 'vitest';
import { feedOpener, feedings, type StreamCase } from '@blindwire/testkit';
import {
  DEFAULT_LIMITS,
  OPEN_FAILED_MESSAGE,
  fromBase64url,
  fromHex,
  importPublicIdentity,
  inspect,
  isBlindwireError,
  toHex,
  type AeadName,
  type CryptoBackend,
  type OpenStreamOptions,
} from '../src/index.js';
import { concat } from '../src/bytes.js';
import { readHead } from '../src/wire/cbor.js';
import { decodeStreamHeader } from '../src/wire/header.js';
import { LABEL } from '../src/wire/keys.js';
import { hpkeSuite, suiteByName } from '../src/wire/suites.js';
import {
  chunkNonce,
  decodeMeta,
  deriveStreamKeys,
  encodeMeta,
  streamHeaderSignatureInput,
  streamSignatureInput,
} from '../src/wire/stream-keys.js';
import { openStream } from '../src/stream/open-stream.js';
import { backends } from './helpers/backends.js';
import {
  OPEN_CODES,
  caseOpenOptions,
  streamCases,
  vectorIndex,
  type Trust,
} from './helpers/vector-inputs.js';

const cases = streamCases;
const index = vectorIndex;

async function openOptions(
  c: StreamCase,
  backend: CryptoBackend,
  trust: Trust,
): Promise<OpenStreamOptions> {
  return caseOpenOptions<OpenStreamOptions>(c, backend, trust);
}

/** README "Feeding": whole, cut at every offset of `splits`, one byte per write. */
const feedingsOf = (c: StreamCase) => feedings(fromHex(c.stream), c.splits);

/** Writes the pieces, ends the input and reads the plaintext meanwhile (the kit's `feedOpener`): what came out, as hex, and how it ended. */
async function feed(pieces: Uint8Array[], options: OpenStreamOptions) {
  const { released, result, error } = await feedOpener(openStream(options), pieces);
  return { released: toHex(released), result, error };
}

/** The records of a stream whose framing parses: flag and ciphertext of each. */
function records(stream: Uint8Array) {
  const [, hlen, hl] = readHead(stream, 4);
  const header = stream.subarray(4 + hl, 4 + hl + hlen);
  const out: { final: boolean; ct: Uint8Array }[] = [];
  for (let off = 4 + hl + hlen; off < stream.length;) {
    const [, clen, cl] = readHead(stream, off + 1);
    out.push({ final: stream[off] === 1, ct: stream.subarray(off + 1 + cl, off + 1 + cl + clen) });
    off += 1 + cl + clen;
  }
  return { prefix: stream.subarray(0, 4), header, records: out };
}

describe('test-vectors/cases, streams', () => {
  it('holds the stream cases, each listed in index.json as a stream with its outcome', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const { file, c } of cases) {
      const e = index.cases.find((x) => x.file === file);
      expect(e, file).toBeDefined();
      expect({ kind: e!.kind, result: e!.result, code: e!.code }, file).toEqual({
        kind: 'stream',
        result: c.expect.result,
        code: c.expect.result === 'error' ? c.expect.code : undefined,
      });
    }
  });

  it('covers success on every suite and every rejection code openStream can give', () => {
    const codes = new Set(
      cases.flatMap(({ c }) => (c.expect.result === 'error' ? [c.expect.code] : [])),
    );
    expect([...codes].sort()).toEqual([...OPEN_CODES].sort());
    const ok = cases.filter(({ c }) => c.expect.result === 'success');
    const suites = new Set(ok.map(({ c }) => inspect(fromHex(c.stream)).suite.name));
    expect([...suites].sort()).toEqual(['AES-128-GCM', 'AES-256-GCM', 'ChaCha20-Poly1305']);
  });

  it('covers one-record and multi-record streams, an empty body and an empty final part', () => {
    const ok = cases.filter(({ c }) => c.expect.result === 'success').map(({ c }) => c);
    const shapes = ok.map((c) => records(fromHex(c.stream)).records);
    expect(shapes.some((r) => r.length === 1)).toBe(true);
    expect(shapes.some((r) => r.length >= 4)).toBe(true);
    // an empty final part: the final record is the signature and the tag alone
    expect(shapes.some((r) => r.length > 1 && r[r.length - 1]!.ct.length === 80)).toBe(true);
    expect(ok.some((c) => c.expect.result === 'success' && c.expect.payload === '')).toBe(true);
    // the rejection cases that release something before they fail
    expect(
      cases.some(({ c }) => c.expect.result === 'error' && c.expect.releasable.length > 0),
    ).toBe(true);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))(
  'stream vectors on the %s backend',
  (_name, backend) => {
    it.each(cases.map(({ file, c }) => [file, c] as const))('%s', async (file, c) => {
      for (const trust of ['trustedSenders', 'resolveSender'] as const) {
        for (const [how, pieces] of feedingsOf(c)) {
          const where = `${file} [${trust}, ${how}]`;
          const { released, result, error } = await feed(
            pieces,
            await openOptions(c, backend, trust),
          );
          const e = c.expect;
          if (e.result === 'error') {
            expect(result, where).toBeUndefined();
            expect(isBlindwireError(error), `${where}: ${String(error)}`).toBe(true);
            const be = error as Error & { code: string };
            expect(be.code, where).toBe(e.code);
            if (e.code === 'ERR_OPEN_FAILED') {
              expect(be.message, where).toBe(OPEN_FAILED_MESSAGE);
              expect(be.cause, where).toBeUndefined();
            }
            // SPEC.md §7a.5: only verified non-final chunks, in order, and never the final part.
            expect(e.releasable.startsWith(released), `${where}: released`).toBe(true);
            if (how === 'bytes') expect(released, `${where}: released`).toBe(e.releasable);
            continue;
          }
          expect(error, where).toBeUndefined();
          const r = result!;
          expect(released, where).toBe(e.payload);
          expect(r.sender, where).toBe(e.sender);
          expect(r.senderKid, where).toBe(e.senderKid);
          expect(r.messageId, where).toBe(e.messageId);
          expect(r.contentType, where).toBe(e.contentType);
          expect(r.header.claims, where).toEqual(e.claims);
          expect(r.bodyBytes, where).toBe(e.payload.length / 2);
          expect(r.streamBytes, where).toBe(c.stream.length / 2);
        }
      }
    });

    it.each(cases.filter(({ c }) => c.intermediates).map(({ file, c }) => [file, c] as const))(
      '%s: intermediate values',
      async (_file, c) => {
        const im = c.intermediates!;
        const e = c.expect;
        if (e.result !== 'success') throw new Error('intermediates in an error case');
        const { prefix, header, records: recs } = records(fromHex(c.stream));
        const h = decodeStreamHeader(header, DEFAULT_LIMITS);
        expect(h.chunkSize).toBe(c.chunkSize);
        const suite = suiteByName(inspect(fromHex(c.stream)).suite.name as AeadName);
        const key = c.recipient.find((k) =>
          h.recipients.some((x) => toHex(x.kid) === toHex(fromBase64url(k.kid))),
        )!;
        const entry = h.recipients.find((x) => toHex(x.kid) === toHex(fromBase64url(key.kid)))!;
        const ctx = await hpkeSuite(suite, backend).setupRecipient({
          enc: entry.enc,
          recipientKey: { privateKey: fromHex(key.privateKey), publicKey: fromHex(key.publicKey) },
          info: LABEL.hpkeInfo,
        });
        const ms = entry.wrapped
          ? await ctx.open(entry.wrapped, entry.kid)
          : await ctx.export(LABEL.exportMessageSecret, 32);
        expect(toHex(ms)).toBe(im.messageSecret);
        const keys = await deriveStreamKeys(backend, ms, suite.keyLength);
        expect(toHex(keys.streamKey)).toBe(im.streamKey);
        expect(toHex(keys.commitment)).toBe(toHex(h.commitment));
        const hh = await backend.sha256(concat(prefix, header));
        expect(toHex(hh)).toBe(im.headerHash);
        const pts: Uint8Array[] = [];
        for (const [i, r] of recs.entries()) {
          const pt = await backend.aeadOpen(
            suite.algorithm,
            keys.streamKey,
            chunkNonce(i, r.final),
            r.ct,
            hh,
          );
          expect(pt, `record ${i}`).toBeDefined();
          pts.push(pt!);
        }
        const p = concat(...pts);
        const signature = p.subarray(p.length - 64);
        const meta = decodeMeta(p.subarray(0, p.length - 64), DEFAULT_LIMITS);
        expect(toHex(encodeMeta(meta.sender, meta.senderKid, meta.headerSignature))).toBe(im.meta);
        expect(toHex(p.subarray(meta.length, p.length - 64))).toBe(e.payload);
        expect(toHex(signature)).toBe(im.signature);
        const bodyHash = await backend.sha256(fromHex(e.payload));
        expect(toHex(bodyHash)).toBe(im.bodyHash);
        const signer = (
          await Promise.all(c.trustedSenders.map((j) => importPublicIdentity(j, { backend })))
        ).find((i) => i.name === e.sender)!;
        const tbs = streamSignatureInput(
          hh,
          new TextEncoder().encode(meta.sender),
          meta.senderKid,
          bodyHash,
        );
        expect(await backend.ed25519Verify(signer.signing.publicKey, tbs, signature)).toBe(true);
        // SPEC.md §7a.4: the header signature in meta, over hh, the sender and the kid.
        const tbs0 = streamHeaderSignatureInput(
          hh,
          new TextEncoder().encode(meta.sender),
          meta.senderKid,
        );
        expect(
          await backend.ed25519Verify(signer.signing.publicKey, tbs0, meta.headerSignature),
        ).toBe(true);
      },
    );
  },
);
