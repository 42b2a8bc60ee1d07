/**
 * Replies across processes (SPEC.md §11a): `exportResponseState` seals the
 * requester's state of SPEC.md §6.3 (the request's suite, message id and
 * times, each recipient's response secret, the responses accepted so far) to
 * the requester's own X25519 key with HPKE in Auth mode, the same key pair
 * as sender and recipient, so it is never plaintext at rest and only the
 * holder of that private key can write one that imports (a response is
 * authenticated by its response secret alone, SPEC.md §6, so a state anyone
 * could write would let anyone forge responses);
 * `importResponseState` opens it in another process, until the request
 * expires, into a handle that `openResponse` accepts.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, equalBytes, fromHex, toHex, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, openFailed } from '../errors.js';
import type { RecipientContext } from '../hpke/types.js';
import type { EncryptionKey } from '../identity/identity.js';
import { parseFrame, writeFrame } from '../wire/frame.js';
import { StateKind, prefixFor } from '../wire/kinds.js';
import {
  MAX_ACCEPTED_RESPONSES,
  STATE_INFO_LABEL,
  decodeStateBody,
  decodeStateHeader,
  encodeStateBody,
  encodeStateHeader,
  type StateBody,
} from '../wire/response-state.js';
import { hpkeSuite, suiteFromIds } from '../wire/suites.js';
import { checkClock } from './check-open.js';
import { backendOf, limitsOf, type CommonOptions } from './common-options.js';
import type { RecipientKey } from './open-options.js';
import { checkTimes } from './opening-rules.js';
import type { PendingRequest } from './response-options.js';
import { rememberSealState, sealStateOf, type SealState } from './state.js';
import { kidBytes, nowMs } from './values.js';

const INFO = utf8(STATE_INFO_LABEL);

/** Options of `exportResponseState` (SPEC.md §11a). */
export interface ExportResponseStateOptions extends CommonOptions {
  /**
   * The requester's own encryption key pair (or identity, with its private
   * key): the state is sealed to it and authenticated with it (HPKE Auth
   * mode), so that only its holder can write a state that imports. A public
   * key alone is ERR_INVALID_ARGUMENT.
   */
  to: EncryptionKey | { encryption: EncryptionKey };
  /** The requester's clock, ms or Date (default `Date.now()`). */
  now?: number | Date;
  /** Clock tolerance in seconds (default 60). */
  clockSkew?: number;
}

/** Options of `importResponseState` (SPEC.md §11a). */
export interface ImportResponseStateOptions extends CommonOptions {
  /** The requester's encryption key pair(s); the one whose kid the state names is used. */
  keys: RecipientKey | RecipientKey[];
  /** The requester's clock, ms or Date (default `Date.now()`). */
  now?: number | Date;
  /** Clock tolerance in seconds (default 60). */
  clockSkew?: number;
}

/**
 * SPEC.md §11a.2: the state `openResponse` keeps for `request`, sealed to and
 * authenticated by the requester's own key pair `to`. The state carries the responses accepted so far;
 * one accepted after the export (here or in the importing process) is known
 * only where it was accepted. A request past its expiry plus the skew is
 * ERR_EXPIRED; more than 4096 accepted responses ERR_LIMIT_EXCEEDED.
 */
export async function exportResponseState(
  request: PendingRequest,
  options: ExportResponseStateOptions,
): Promise<Uint8Array> {
  const state = typeof request === 'object' && request !== null ? sealStateOf(request) : undefined;
  if (!state) throw invalidArgument('request', 'the result of seal() or importResponseState()');
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object with to');
  const b = backendOf(options);
  limitsOf(options); // checked as every verb checks them; a state is far below them
  const to = await checkTo(options.to, b);
  const { skew } = checkClock({ now: options.now, clockSkew: options.clockSkew });
  if (Math.floor(nowMs(options.now) / 1000) > state.expiresAt + skew)
    throw new BlindwireError(ErrorCode.Expired, 'the request has expired');
  if (state.acceptedResponses.size > MAX_ACCEPTED_RESPONSES) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `more than ${MAX_ACCEPTED_RESPONSES} accepted responses`,
    );
  }
  if (state.suite.kem !== 'X25519') {
    // SPEC.md §11a.1: Auth mode, which X-Wing does not define (§5.4).
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      'the response state of an X-Wing request cannot be exported (HPKE Auth mode is not defined for X-Wing)',
    );
  }
  // SPEC.md §11a.2 steps 2-5: HPKE Auth mode, the requester's key pair as
  // sender and recipient; the header, the sealed body.
  const { enc, context } = await hpkeSuite(state.suite, b).setupSender({
    recipientPublicKey: to.publicKey,
    info: INFO,
    senderKey: { privateKey: to.privateKey, publicKey: to.publicKey },
  });
  const body = encodeStateBody(bodyOf(state));
  try {
    const header = encodeStateHeader({
      suite: state.suite.ids,
      issuedAt: state.issuedAt,
      expiresAt: state.expiresAt,
      requestId: state.messageId,
      kid: to.kid,
      enc,
    });
    const aad = concat(prefixFor(StateKind.ResponseState), header);
    return writeFrame(StateKind.ResponseState, header, await context.seal(body, aad));
  } finally {
    context.dispose();
    wipe(body);
  }
}

/**
 * SPEC.md §11a: a state exported by `exportResponseState`, opened with one of
 * the requester's key pairs, as a handle `openResponse` (and
 * `exportResponseState`) accepts. The checks run in the order of §11a.3:
 * frame and header (ERR_ENVELOPE_MALFORMED, ERR_LIMIT_EXCEEDED), suite
 * (ERR_UNSUPPORTED_SUITE), times (ERR_EXPIRED after the request's expiry
 * plus the skew, ERR_NOT_YET_VALID), key (ERR_KEY_NOT_FOUND), then HPKE and
 * the body (ERR_OPEN_FAILED).
 */
export async function importResponseState(
  bytes: Uint8Array,
  options: ImportResponseStateOptions,
): Promise<PendingRequest> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object with keys');
  const b = backendOf(options);
  const limits = limitsOf(options);
  const keys = checkKeys(options.keys);
  const clock = checkClock({ now: options.now, clockSkew: options.clockSkew });
  // SPEC.md §11a.3 steps 1-2: the frame with kind 0x20, the header.
  const frame = parseFrame(bytes, StateKind.ResponseState, limits);
  const h = decodeStateHeader(frame.header, limits);
  // Steps 3-5: the suite, the times, the key; no secret used yet.
  const suite = suiteFromIds(h.suite, undefined);
  checkTimes(h.issuedAt, h.expiresAt, clock);
  const key = keys.find((k) => toHex(k.kid) === toHex(h.kid));
  if (!key)
    throw new BlindwireError(ErrorCode.KeyNotFound, 'the state is sealed to a key not given');
  // Step 6: HPKE Auth mode, authenticated by the same key pair: a state
  // sealed by anyone else (Base mode to this public key, or Auth with another
  // key) fails here.
  let ctx: RecipientContext | undefined;
  let plaintext: Uint8Array;
  try {
    ctx = await hpkeSuite(suite, b).setupRecipient({
      enc: h.enc,
      recipientKey: { privateKey: key.privateKey, publicKey: key.publicKey },
      info: INFO,
      senderPublicKey: key.publicKey,
    });
    plaintext = await ctx.open(frame.ciphertext, concat(frame.prefix, frame.header));
  } catch {
    throw openFailed();
  } finally {
    ctx?.dispose();
  }
  // Step 7: the body; its secrets are copied out before the plaintext is erased.
  try {
    const body = decodeStateBody(plaintext, limits);
    const handle: PendingRequest = {
      messageId: toHex(h.requestId),
      issuedAt: h.issuedAt,
      expiresAt: h.expiresAt,
    };
    rememberSealState(handle, {
      suite,
      messageId: new Uint8Array(h.requestId), // a copy: the state bytes are the caller's
      issuedAt: h.issuedAt,
      expiresAt: h.expiresAt,
      responders: new Map(
        body.responders.map((r) => [toHex(r.kid), new Uint8Array(r.responseSecret)]),
      ),
      acceptedResponses: new Set(
        body.accepted.map((a) => `${toHex(a.kid)}/${toHex(a.responseId)}`),
      ),
    });
    return handle;
  } finally {
    plaintext.fill(0);
  }
}

/** The state body of SPEC.md §11a from the in-memory state (state.ts). */
function bodyOf(state: SealState): StateBody {
  return {
    responders: [...state.responders].map(([kid, responseSecret]) => ({
      kid: fromHex(kid),
      responseSecret,
    })),
    accepted: [...state.acceptedResponses].map((pair) => {
      const [kid, responseId] = pair.split('/') as [string, string];
      return { kid: fromHex(kid), responseId: fromHex(responseId) };
    }),
  };
}

/** The requester's own key pair: a kid, and a private key whose public key is the one given. */
async function checkTo(
  to: ExportResponseStateOptions['to'],
  b: CryptoBackend,
): Promise<{ kid: Uint8Array; publicKey: Uint8Array; privateKey: Uint8Array }> {
  if (typeof to !== 'object' || to === null)
    throw invalidArgument('to', "the requester's own encryption key pair");
  const k = 'encryption' in to ? to.encryption : to;
  const kid = kidBytes(k?.kid, 'to.kid');
  if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32)
    throw invalidArgument('to.publicKey', '32 bytes');
  if (!(k.privateKey instanceof Uint8Array) || k.privateKey.length !== 32)
    throw invalidArgument(
      'to.privateKey',
      "32 bytes: the requester's own key pair, which authenticates the state",
    );
  // A pair that does not match would write a state that never imports.
  if (!equalBytes(await b.x25519PublicKey(k.privateKey), k.publicKey))
    throw invalidArgument('to', 'a key pair whose public key is that of its private key');
  return { kid, publicKey: k.publicKey, privateKey: k.privateKey };
}

/** The caller's key pairs; an empty list is allowed (every state is then ERR_KEY_NOT_FOUND). */
function checkKeys(
  keys: ImportResponseStateOptions['keys'],
): { kid: Uint8Array; privateKey: Uint8Array; publicKey: Uint8Array }[] {
  if (keys === undefined || keys === null) throw invalidArgument('keys', 'a key pair or a list');
  const list = Array.isArray(keys) ? keys : [keys];
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw invalidArgument(`keys[${i}]`, 'a key pair');
    const k = 'encryption' in x ? x.encryption : x;
    if (!(k?.privateKey instanceof Uint8Array) || k.privateKey.length !== 32)
      throw invalidArgument(`keys[${i}].privateKey`, '32 bytes');
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32)
      throw invalidArgument(`keys[${i}].publicKey`, '32 bytes');
    return {
      kid: kidBytes(k.kid, `keys[${i}].kid`),
      privateKey: k.privateKey,
      publicKey: k.publicKey,
    };
  });
}
