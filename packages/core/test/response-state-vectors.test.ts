/**
 * The exported-response-state vectors (test-vectors/response-states.json,
 * SPEC.md §11a) on every backend: each state imports to exactly its outcome
 * (the request, the response secrets and the accepted pairs it carries, or
 * the code), its responses then open in order to theirs, and an honest state
 * is re-exported byte for byte from the request, the secrets, the accepted
 * pairs, the clock and the recorded HPKE ephemeral key.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { fromBase64url, fromHex, toHex } from '../src/bytes.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { openResponse, requesterFromSecrets } from '../src/envelope/response.js';
import { exportResponseState, importResponseState } from '../src/envelope/response-state.js';
import { sealStateOf } from '../src/envelope/state.js';
import { encodeStateBody } from '../src/wire/response-state.js';
import { backends } from './helpers/backends.js';

interface KeyJson {
  kid: string;
  publicKey: string;
  privateKey: string;
}
type Outcome =
  { result: 'error'; code: string } | ({ result: 'success' } & Record<string, unknown>);
interface StateCase {
  id: number;
  name: string;
  spec: string;
  request: string;
  requester: KeyJson;
  export?: { now: number; ephemeralPrivateKey: string };
  state: string;
  keys: KeyJson[];
  now: number;
  clockSkew: number;
  expect:
    | { result: 'error'; code: string }
    | {
        result: 'success';
        requestId: string;
        issuedAt: number;
        expiresAt: number;
        responders: { kid: string; responseSecret: string }[];
        accepted: { responder: string; responseId: string }[];
      };
  responses?: { envelope: string; expect: Outcome }[];
  intermediates: { body: string };
}

const file = JSON.parse(
  readFileSync(new URL('../../../test-vectors/response-states.json', import.meta.url), 'utf8'),
) as { version: number; cases: StateCase[] };

const keyOf = (k: KeyJson) => ({
  kid: k.kid,
  publicKey: fromHex(k.publicKey),
  privateKey: fromHex(k.privateKey),
});

/** `b` with its one HPKE ephemeral key fixed (the recorded one). */
function withEphemeral(b: CryptoBackend, privateHex: string): CryptoBackend {
  return {
    ...b,
    x25519GenerateKeyPair: async () => {
      const privateKey = fromHex(privateHex);
      return { privateKey, publicKey: await b.x25519PublicKey(privateKey) };
    },
  };
}

async function outcome(p: Promise<{ payload: Uint8Array; responder: string; messageId: string }>) {
  try {
    const r = await p;
    return {
      result: 'success',
      payload: toHex(r.payload),
      responder: r.responder,
      messageId: r.messageId,
    };
  } catch {
    return { result: 'error', code: await errorCode(p) };
  }
}

describe('exported response states (test-vectors/response-states.json)', () => {
  it('covers every code the import gives', () => {
    expect(file.version).toBe(1);
    const codes = new Set(
      file.cases.map((c) => (c.expect.result === 'error' ? c.expect.code : 'ok')),
    );
    for (const code of [
      'ok',
      'ERR_ENVELOPE_MALFORMED',
      'ERR_UNSUPPORTED_SUITE',
      'ERR_EXPIRED',
      'ERR_NOT_YET_VALID',
      'ERR_KEY_NOT_FOUND',
      'ERR_OPEN_FAILED',
    ])
      expect(codes).toContain(code);
  });

  for (const b of backends) {
    it.each(file.cases.map((c) => [`${c.id} ${c.name}`, c] as const))(
      `%s (${b.name})`,
      async (_name, c) => {
        const importing = importResponseState(fromHex(c.state), {
          keys: c.keys.map(keyOf),
          now: c.now,
          clockSkew: c.clockSkew,
          backend: b,
        });
        if (c.expect.result === 'error') {
          expect(await errorCode(importing)).toBe(c.expect.code);
          return;
        }
        const handle = await importing;
        expect(handle).toEqual({
          messageId: c.expect.requestId,
          issuedAt: c.expect.issuedAt,
          expiresAt: c.expect.expiresAt,
        });
        const state = sealStateOf(handle)!;
        expect([...state.responders].map(([kid, rs]) => [kid, toHex(rs)])).toEqual(
          c.expect.responders.map((r) => [toHex(fromBase64url(r.kid)), r.responseSecret]),
        );
        const accepted = c.expect.accepted.map(
          (a) => `${toHex(fromBase64url(a.responder))}/${a.responseId}`,
        );
        expect([...state.acceptedResponses].sort()).toEqual([...accepted].sort());
        expect(
          toHex(
            encodeStateBody({
              responders: c.expect.responders.map((r) => ({
                kid: fromBase64url(r.kid),
                responseSecret: fromHex(r.responseSecret),
              })),
              accepted: c.expect.accepted.map((a) => ({
                kid: fromBase64url(a.responder),
                responseId: fromHex(a.responseId),
              })),
            }),
          ),
        ).toBe(c.intermediates.body);
        for (const r of c.responses ?? []) {
          const got = await outcome(
            openResponse(handle, fromHex(r.envelope), {
              now: c.now,
              clockSkew: c.clockSkew,
              backend: b,
            }),
          );
          expect(got).toEqual(r.expect);
        }
        if (!c.export) return;
        // Re-export: the requester's state from the file alone, sealed with the recorded ephemeral key.
        const rebuilt = requesterFromSecrets(
          fromHex(c.request),
          c.expect.responders.map((r) => ({
            kid: fromBase64url(r.kid),
            responseSecret: fromHex(r.responseSecret),
          })),
        );
        for (const a of accepted) sealStateOf(rebuilt)!.acceptedResponses.add(a);
        const again = await exportResponseState(rebuilt, {
          to: keyOf(c.requester),
          now: c.export.now,
          backend: withEphemeral(b, c.export.ephemeralPrivateKey),
        });
        expect(toHex(again)).toBe(c.state);
      },
    );
  }
});
