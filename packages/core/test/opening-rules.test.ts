/**
 * The opening rules of SPEC.md §7 (envelope/opening-rules.ts), which open,
 * openResponse and the stream opener share: each step's error code, and the
 * order in which they run when several would fail at once. The step after a
 * failing one never runs (no signature check for an untrusted key, no policy
 * answer before the signature verified, no replay lookup before the context
 * matched).
 */
import { describe, expect, test } from 'vitest';
import { pureBackend } from '../src/backend/pure.js';
import { utf8 } from '../src/bytes.js';
import { OPEN_FAILED_MESSAGE } from '../src/errors.js';
import { checkOpenOptions, type OpenArguments } from '../src/envelope/check-open.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import {
  admitHeader,
  admitSender,
  type AdmittedHeader,
  type SenderClaim,
} from '../src/envelope/opening-rules.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { contextCheck } from '../src/wire/keys.js';
import { fromBase64url } from '../src/bytes.js';
import { suiteByName } from '../src/wire/suites.js';
import { errorCode, rejection } from '@blindwire/testkit';
import { cast, NOW, trusted } from './helpers/fixtures.js';

const b = pureBackend;
const { alice, bob, mallory } = await cast(b);
const CONTEXT = 'tool:refund';
const contextKey = new Uint8Array(32).fill(9);
const goodCheck = await contextCheck(b, contextKey, utf8(CONTEXT));
const MESSAGE_ID = '00'.repeat(16);

function policy(o: Partial<OpenArguments> = {}) {
  return checkOpenOptions(
    { recipient: bob, context: CONTEXT, trustedSenders: trusted(alice), now: NOW, ...o },
    DEFAULT_LIMITS,
    b,
  );
}

/** A claim whose every check passes unless a field is overridden; records what ran. */
function claim(o: Partial<SenderClaim> & { signatureOk?: boolean } = {}) {
  const ran: string[] = [];
  const c: SenderClaim = {
    sender: alice.name,
    senderKid: fromBase64url(alice.signing.kid),
    verify: async () => {
      ran.push('verify');
      return o.signatureOk ?? true;
    },
    contextKey,
    headerCheck: goodCheck,
    messageId: MESSAGE_ID,
    times: { issuedAt: Math.floor(NOW / 1000), expiresAt: Math.floor(NOW / 1000) + 60 },
    ...o,
  };
  return { c, ran };
}

describe('admitSender: SPEC.md §7 steps 14-18, in order', () => {
  test('every step passes: the sender is admitted with its trusted key', async () => {
    const { c } = claim();
    const r = await admitSender(b, policy(), c);
    expect(r.senderKid).toBe(alice.signing.kid);
    expect(r.publicKey).toEqual(alice.signing.publicKey);
  });

  test('14 before 15: an untrusted sender is ERR_KEY_UNTRUSTED and its signature is never checked', async () => {
    const { c, ran } = claim({ sender: mallory.name, signatureOk: false });
    expect(await errorCode(() => admitSender(b, policy(), c))).toBe('ERR_KEY_UNTRUSTED');
    expect(ran).toEqual([]);
  });

  test('15 before 16: a bad signature is the fixed ERR_OPEN_FAILED, before policy answers', async () => {
    const { c } = claim({ signatureOk: false, headerCheck: new Uint8Array(16) });
    const e = await rejection(admitSender(b, policy({ allowedSenders: ['spiffe://nobody/*'] }), c));
    expect(e.code).toBe('ERR_OPEN_FAILED');
    expect(e.message).toBe(OPEN_FAILED_MESSAGE);
    expect(e.cause).toBeUndefined();
  });

  test('16 before 17: a sender outside policy is ERR_SENDER_NOT_ALLOWED, whatever the context', async () => {
    const { c } = claim({ headerCheck: new Uint8Array(16) });
    expect(
      await errorCode(() => admitSender(b, policy({ allowedSenders: ['spiffe://nobody/*'] }), c)),
    ).toBe('ERR_SENDER_NOT_ALLOWED');
  });

  test('17 before 18: a context mismatch is ERR_CONTEXT_MISMATCH and the guard is not asked', async () => {
    let asked = false;
    const replay = { has: () => ((asked = true), true), record: () => undefined };
    const { c } = claim({ headerCheck: new Uint8Array(16) });
    expect(await errorCode(() => admitSender(b, policy({ replay }), c))).toBe(
      'ERR_CONTEXT_MISMATCH',
    );
    expect(asked).toBe(false);
  });

  test('18: a processed id is ERR_REPLAY, asked with the id and the verified sender', async () => {
    const replay = createMemoryReplayStore({ perSender: true, now: () => NOW });
    await replay.record(MESSAGE_ID, Math.floor(NOW / 1000) + 60, alice.name);
    const { c } = claim();
    expect(await errorCode(() => admitSender(b, policy({ replay }), c))).toBe('ERR_REPLAY');
  });
});

describe('admitHeader: SPEC.md §7 steps 6-8, in order', () => {
  const t = Math.floor(NOW / 1000);
  const header = (o: Partial<AdmittedHeader> = {}): AdmittedHeader => ({
    suite: suiteByName('AES-256-GCM').ids,
    recipients: [{ kid: fromBase64url(bob.encryption.kid), enc: new Uint8Array(32) }],
    issuedAt: t,
    expiresAt: t + 60,
    ...o,
  });
  const stranger = [{ kid: new Uint8Array(16), enc: new Uint8Array(32) }];

  test('every step passes: the suite, the entry and our key', () => {
    const a = admitHeader(header(), policy());
    expect(a.suite.name).toBe('AES-256-GCM');
    // a copy of the caller's key pair, read once when the options were checked
    expect({ ...a.key }).toEqual({ ...bob.encryption });
  });

  test('6 before 7 before 8: suite, then times, then the recipient entry', async () => {
    const expired = { issuedAt: t - 7200, expiresAt: t - 3600 };
    const only128 = policy({ allowedSuites: ['AES-128-GCM'] });
    expect(
      await errorCode(async () =>
        admitHeader(header({ ...expired, recipients: stranger }), only128),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
    expect(
      await errorCode(async () =>
        admitHeader(header({ ...expired, recipients: stranger }), policy()),
      ),
    ).toBe('ERR_EXPIRED');
    expect(
      await errorCode(async () =>
        admitHeader(header({ issuedAt: t + 3600, expiresAt: t + 7200 }), policy()),
      ),
    ).toBe('ERR_NOT_YET_VALID');
    expect(
      await errorCode(async () => admitHeader(header({ recipients: stranger }), policy())),
    ).toBe('ERR_KEY_NOT_FOUND');
  });
});
