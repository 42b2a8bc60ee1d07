/**
 * The project's own envelope vectors (SPEC.md §12, test-vectors/README.md),
 * checked against the source on every backend: each case opens to exactly its
 * expected payload and sender, or fails with exactly its error code and
 * returns nothing. The intermediate values in success cases are recomputed
 * with the internal pieces, and response cases are re-sealed byte for byte
 * and opened from the caller's side with the recorded response secret.
 * Stream cases (`"kind": "stream"`) are checked by stream-vectors.test.ts.
 * (`node test-vectors/generate.mjs --check` proves the files are current; it
 * runs on the built package, outside this test.)
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import { describe, expect, it } from 'vitest';
import type { MessageCase } from '@blindwire/testkit';
import {
  DEFAULT_LIMITS,
  OPEN_FAILED_MESSAGE,
  fromBase64url,
  fromHex,
  inspect,
  isBlindwireError,
  open,
  toHex,
  type CryptoBackend,
  type OpenOptions,
  type OpenResult,
} from '../src/index.js';
import { sealResponseWithId } from '../src/envelope/response.js';
import {
  Kind,
  LABEL,
  ZERO_NONCE,
  concat,
  decodeInner,
  decodeMessageHeader,
  deriveMessageKeys,
  deriveResponseKey,
  equalBytes,
  hpkeSuite,
  parseFrame,
  suiteFromIds,
} from '../src/internal.js';
import { backends } from './helpers/backends.js';
import {
  OPEN_CODES,
  allCases,
  caseFiles,
  caseOpenOptions,
  messageCases,
  vectorIndex,
  type Trust,
} from './helpers/vector-inputs.js';

type VectorCase = MessageCase;

const files = caseFiles;
const all = allCases;
const index = vectorIndex;
/** Messages and responses; streams have their own test. */
const cases = messageCases;

async function openOptions(
  c: VectorCase,
  backend: CryptoBackend,
  trust: Trust,
): Promise<OpenOptions> {
  return caseOpenOptions<OpenOptions>(c, backend, trust);
}

/** Opens the case; returns the result or the thrown error, never both. */
async function attempt(c: VectorCase, backend: CryptoBackend, trust: Trust) {
  try {
    return { result: await open(fromHex(c.envelope), await openOptions(c, backend, trust)) };
  } catch (error) {
    return { error };
  }
}

/** SPEC.md §4.3 and §7 steps 9-12 with the internal pieces: the values the recipient derives. */
async function recipientView(c: VectorCase, backend: CryptoBackend) {
  const envelope = fromHex(c.envelope);
  const frame = parseFrame(envelope, Kind.Message, DEFAULT_LIMITS);
  const h = decodeMessageHeader(frame.header, DEFAULT_LIMITS);
  const suite = suiteFromIds(h.suite, undefined);
  const key = c.recipient.find((k) =>
    h.recipients.some((e) => toHex(e.kid) === toHex(fromBase64url(k.kid))),
  );
  const entry = h.recipients.find((e) => key && toHex(e.kid) === toHex(fromBase64url(key.kid)));
  if (!key || !entry) throw new Error('no recipient entry for the case key');
  const ctx = await hpkeSuite(suite, backend).setupRecipient({
    enc: entry.enc,
    recipientKey: { privateKey: fromHex(key.privateKey), publicKey: fromHex(key.publicKey) },
    info: LABEL.hpkeInfo,
  });
  const messageSecret = entry.wrapped
    ? await ctx.open(entry.wrapped, entry.kid)
    : await ctx.export(LABEL.exportMessageSecret, 32);
  const responseSecret = await ctx.export(LABEL.exportResponseSecret, 32);
  const mk = await deriveMessageKeys(backend, messageSecret, suite.keyLength);
  const inner = await backend.aeadOpen(
    suite.algorithm,
    mk.contentKey,
    ZERO_NONCE,
    frame.ciphertext,
    concat(frame.prefix, frame.header),
  );
  return { suite, messageSecret, responseSecret, contentKey: mk.contentKey, inner };
}

describe('test-vectors/cases', () => {
  it('holds at least 25 envelope cases; index.json lists every case file with its outcome', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(index.count).toBe(all.length);
    expect(index.cases.map((e) => e.file).sort()).toEqual(files);
    for (const { file, c } of all) {
      const e = index.cases.find((x) => x.file === file)!;
      expect({ kind: e.kind, result: e.result, code: e.code }, file).toEqual({
        kind: c.kind,
        result: c.expect.result,
        code: c.expect.result === 'error' ? c.expect.code : undefined,
      });
    }
  });

  it('covers success on every suite and every rejection code open() can give', () => {
    const codes = new Set(
      cases.flatMap(({ c }) => (c.expect.result === 'error' ? [c.expect.code] : [])),
    );
    expect([...codes].sort()).toEqual([...OPEN_CODES].sort());
    const suites = new Set(
      cases
        .filter(({ c }) => c.expect.result === 'success')
        .map(({ c }) => inspect(fromHex(c.envelope)).suite.name),
    );
    expect([...suites].sort()).toEqual([
      'AES-128-GCM',
      'AES-256-GCM',
      'ChaCha20-Poly1305',
      'X-Wing/AES-256-GCM',
      'X-Wing/ChaCha20-Poly1305',
    ]);
    expect(cases.some(({ c }) => c.kind === 'response')).toBe(true);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))(
  'vectors on the %s backend',
  (_name, backend) => {
    it.each(cases.map(({ file, c }) => [file, c] as const))('%s', async (file, c) => {
      for (const trust of ['trustedSenders', 'resolveSender'] as const) {
        const where = `${file} [${trust}]`;
        const { result, error } = await attempt(c, backend, trust);
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
          continue;
        }
        expect(error, where).toBeUndefined();
        const r = result as OpenResult;
        expect(toHex(r.payload), where).toBe(e.payload);
        expect(r.sender, where).toBe(e.sender);
        expect(r.senderKid, where).toBe(e.senderKid);
        expect(r.messageId, where).toBe(e.messageId);
        expect(r.contentType, where).toBe(e.contentType);
        expect(r.header.claims, where).toEqual(e.claims);
        if (c.response) {
          const { envelope: sealed } = await sealResponseWithId(r, fromHex(c.response.payload), {
            now: c.response.now,
            ttl: c.response.ttl,
            messageId: fromHex(c.response.messageId),
            ...(c.response.contentType !== undefined
              ? { contentType: c.response.contentType }
              : {}),
            ...(c.response.padding !== undefined ? { padding: c.response.padding } : {}),
            backend,
          });
          expect(toHex(sealed), `${where}: re-sealed response`).toBe(c.response.envelope);
        }
      }
    });

    it.each(cases.filter(({ c }) => c.intermediates).map(({ file, c }) => [file, c] as const))(
      '%s: intermediate values',
      async (_file, c) => {
        const view = await recipientView(c, backend);
        expect(toHex(view.messageSecret)).toBe(c.intermediates!.messageSecret);
        expect(toHex(view.contentKey)).toBe(c.intermediates!.contentKey);
        expect(view.inner && toHex(view.inner)).toBe(c.intermediates!.inner);
        expect(toHex(decodeInner(view.inner!, true).body)).toBe(
          c.expect.result === 'success' ? c.expect.payload : '',
        );
        if (!c.response) return;
        // The caller's side (SPEC.md §6.3), from the recorded response secret alone.
        const rs = fromHex(c.response.responseSecret);
        expect(equalBytes(view.responseSecret, rs)).toBe(true);
        const envelope = fromHex(c.response.envelope);
        const frame = parseFrame(envelope, Kind.Response, DEFAULT_LIMITS);
        const key = await deriveResponseKey(
          backend,
          rs,
          fromHex(c.response.messageId),
          view.suite.keyLength,
        );
        expect(toHex(key)).toBe(c.response.responseKey);
        const pt = await backend.aeadOpen(
          view.suite.algorithm,
          key,
          ZERO_NONCE,
          frame.ciphertext,
          concat(frame.prefix, frame.header),
        );
        expect(pt && toHex(decodeInner(pt, false).body)).toBe(c.response.payload);
      },
    );
  },
);
