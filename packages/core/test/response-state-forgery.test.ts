/**
 * An exported response state (SPEC.md §11a) is authenticated by the
 * requester's own private key, not only sealed to its public key: a response
 * is authenticated by rs_i alone (§6), so whoever can write a state that
 * imports chooses the rs_i and forges every response. The requester's
 * encryption public key is public (its identity, the directory), so a state
 * sealed to it in HPKE Base mode, or authenticated by any other key, must not
 * import.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { concat, fromBase64url, fromHex, utf8 } from '../src/bytes.js';
import { inspect } from '../src/envelope/inspect.js';
import type { OpenResult } from '../src/envelope/open-options.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { exportResponseState, importResponseState } from '../src/envelope/response-state.js';
import { seal } from '../src/envelope/seal.js';
import type { SealResult } from '../src/envelope/seal-options.js';
import { rememberOpenState } from '../src/envelope/state.js';
import { publicIdentity } from '../src/identity/identity.js';
import type { KeyPair } from '../src/hpke/types.js';
import { writeFrame } from '../src/wire/frame.js';
import { StateKind, prefixFor } from '../src/wire/kinds.js';
import {
  STATE_INFO_LABEL,
  encodeStateBody,
  encodeStateHeader,
} from '../src/wire/response-state.js';
import { hpkeSuite, suiteFromIds } from '../src/wire/suites.js';
import { NOW, cast, fastestBackend, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const LATER = NOW + 5_000;
let c: Cast;
let request: SealResult;

beforeAll(async () => {
  c = await cast(backend);
  request = await seal('{"refund":"A-1"}', {
    sender: c.alice,
    recipients: [publicIdentity(c.bob)],
    now: NOW,
    ttl: 600,
    backend,
  });
});

/**
 * Mallory's state for alice's request, from public facts only (the request's
 * header, alice's public encryption key): bob's kid with an rs of her choice.
 */
async function forgedState(rs: Uint8Array, senderKey?: KeyPair): Promise<Uint8Array> {
  const info = inspect(request.envelope);
  const suite = suiteFromIds(info.suite, undefined);
  const alice = publicIdentity(c.alice).encryption;
  const { enc, context } = await hpkeSuite(suite, backend).setupSender({
    recipientPublicKey: alice.publicKey,
    info: utf8(STATE_INFO_LABEL),
    ...(senderKey ? { senderKey } : {}),
  });
  const header = encodeStateHeader({
    suite: info.suite,
    issuedAt: info.issuedAt,
    expiresAt: info.expiresAt,
    requestId: fromHex(info.messageId),
    kid: fromBase64url(alice.kid),
    enc,
  });
  const body = encodeStateBody({
    responders: [{ kid: fromBase64url(info.recipients[0]!.kid), responseSecret: rs }],
    accepted: [],
  });
  const aad = concat(prefixFor(StateKind.ResponseState), header);
  const sealed = writeFrame(StateKind.ResponseState, header, await context.seal(body, aad));
  context.dispose();
  return sealed;
}

describe('an exported response state is authenticated by its owner (SPEC.md §11a)', () => {
  it("a state sealed to alice's public key by someone else does not import", async () => {
    const rs = new Uint8Array(32).fill(7);
    const forged = await forgedState(rs);
    const imported = importResponseState(forged, { keys: c.alice, now: LATER, backend });
    await expectCode(imported, 'ERR_OPEN_FAILED');
    // What it would give mallory: a "response from bob" she sealed herself.
    const handle = await imported.catch(() => undefined);
    if (handle) {
      const fake = { messageId: request.messageId } as unknown as OpenResult;
      const h = inspect(request.envelope);
      rememberOpenState(fake, {
        suite: suiteFromIds(h.suite, undefined),
        requestId: fromHex(h.messageId),
        responder: fromBase64url(h.recipients[0]!.kid),
        responseSecret: rs,
        expiresAt: h.expiresAt,
        responseIds: new Set(),
      });
      const reply = await sealResponse(fake, '{"refund":"approved"}', { now: LATER, backend });
      await expectCode(
        openResponse(handle, reply.envelope, { now: LATER, backend }),
        'ERR_OPEN_FAILED',
      );
    }
  });

  it('a state authenticated by another key pair (mallory) does not import', async () => {
    const forged = await forgedState(new Uint8Array(32).fill(9), c.mallory.encryption);
    await expectCode(
      importResponseState(forged, { keys: c.alice, now: LATER, backend }),
      'ERR_OPEN_FAILED',
    );
  });

  it("export needs the requester's own key pair: a public key alone is ERR_INVALID_ARGUMENT", async () => {
    await expectCode(
      exportResponseState(request, {
        to: publicIdentity(c.alice) as never,
        now: LATER,
        backend,
      }),
      'ERR_INVALID_ARGUMENT',
    );
    const mismatched = { ...c.alice.encryption, publicKey: c.mallory.encryption.publicKey };
    await expectCode(
      exportResponseState(request, { to: mismatched, now: LATER, backend }),
      'ERR_INVALID_ARGUMENT',
    );
    const bytes = await exportResponseState(request, { to: c.alice, now: LATER, backend });
    const handle = await importResponseState(bytes, { keys: c.alice, now: LATER, backend });
    expect(handle.messageId).toBe(request.messageId);
  });
});
