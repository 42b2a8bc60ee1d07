/**
 * Responses (SPEC.md §6): the endpoint that opened a request seals its answer
 * under a key derived from that request's HPKE exporter; the caller opens it
 * with the state `seal` kept. The caller needs no long-term encryption key,
 * and only the two ends of the request can produce or read the response.
 */
import { AEAD_TAG_LENGTH, aeadSealInto } from '../backend/checks.js';
import { concat, equalBytes, toHex } from '../bytes.js';
import {
  BlindwireError,
  ErrorCode,
  invalidArgument,
  isBlindwireError,
  openFailed,
  shown,
} from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { allocateFrame, frameLength, parseFrame } from '../wire/frame.js';
import {
  MAX_TIME,
  MESSAGE_ID_LENGTH,
  decodeMessageHeader,
  decodeResponseHeader,
  encodeResponseHeader,
} from '../wire/header.js';
import { decodeInner, innerParts } from '../wire/inner.js';
import { ZERO_NONCE, deriveResponseKey } from '../wire/keys.js';
import { Kind, prefixFor } from '../wire/kinds.js';
import { suiteFromIds } from '../wire/suites.js';
import { checkClock } from './check-open.js';
import { checkPadding } from './check-seal.js';
import { backendOf, checkArguments, limitsOf, readOptions } from './common-options.js';
import { headerInfo } from './envelope-info.js';
import type { OpenResult } from './open-options.js';
import { acceptResponse, admitResponseHeader } from './opening-rules.js';
import {
  OPEN_RESPONSE_OPTION_KEYS,
  SEAL_RESPONSE_OPTION_KEYS,
  type OpenResponseOptions,
  type OpenResponseResult,
  type PendingRequest,
  type SealResponseOptions,
  type SealResponseResult,
} from './response-options.js';
import { DEFAULT_TTL_SECONDS, type SealResult } from './seal-options.js';
import { openStateOf, rememberSealState, sealStateOf } from './state.js';
import { checkContentType, isBytes, notBytes, nowMs, payloadBytes, ttlOf } from './values.js';

/**
 * Seals `payload` as the answer to the request that produced `request` (an
 * `open` result). The response id is always 16 fresh random bytes: it selects
 * the response key under a fixed nonce (SPEC.md §6.1), and one request can be
 * opened more than once (a broker redelivers it), so an id chosen by the
 * caller could answer it twice under one key and nonce.
 */
export async function sealResponse(
  request: OpenResult,
  payload: string | Uint8Array,
  options: SealResponseOptions = {},
): Promise<SealResponseResult> {
  return sealResponseWith(request, payload, options, SEAL_RESPONSE_OPTION_KEYS);
}

/**
 * `sealResponse` with a response id of the caller's choosing, for known-answer
 * tests only (exported from `@blindwire/core/internal`). An id must never
 * answer one request twice: two answers under one id share key and nonce.
 */
export async function sealResponseWithId(
  request: OpenResult,
  payload: string | Uint8Array,
  options: SealResponseOptions & { messageId?: Uint8Array | undefined },
): Promise<SealResponseResult> {
  return sealResponseWith(request, payload, options, [...SEAL_RESPONSE_OPTION_KEYS, 'messageId']);
}

/**
 * SPEC.md §6.4: without a `ttl`, a response lives as long as the request it
 * answers has left at the responder's clock (`expiresAt - issuedAt`, the
 * request's expiry as `open` read it, kept in the open state), at most
 * `DEFAULT_TTL_SECONDS` (one hour) and at least one second: a response that
 * outlives its request serves no requester, which gave up waiting with it
 * (`openResponse` checks only the response's own times, so this default is what
 * bounds a late answer). `ttlOf` caps the result at `limits.maxTtlSeconds`.
 */
function defaultResponseTtl(requestExpiresAt: number, issuedAt: number): number {
  return Math.max(1, Math.min(DEFAULT_TTL_SECONDS, requestExpiresAt - issuedAt));
}

type SealResponseArguments = SealResponseOptions & { messageId?: Uint8Array | undefined };

async function sealResponseWith(
  request: OpenResult,
  payload: string | Uint8Array,
  options: SealResponseArguments,
  keys: readonly (keyof SealResponseArguments)[],
): Promise<SealResponseResult> {
  const state = typeof request === 'object' && request !== null ? openStateOf(request) : undefined;
  if (!state) throw invalidArgument('request', 'the result of open()');
  // SPEC.md §6.4 step 1: every option, each read once, before an id is drawn or a key derived.
  const { o, b, limits, body, issuedAt, ttl, padding, messageId } = checkArguments(() => {
    const o = readOptions<SealResponseArguments>(options, keys, true);
    const b = backendOf(o);
    const limits = limitsOf(o);
    const body = payloadBytes(payload);
    // §6.4 step 3: issued-at = floor(now_ms / 1000), expires-at = issued-at + ttl.
    const issuedAt = Math.floor(nowMs(o.now) / 1000);
    const ttl = ttlOf(o.ttl, defaultResponseTtl(state.expiresAt, issuedAt), limits);
    if (issuedAt + ttl > MAX_TIME)
      throw invalidArgument('ttl', `to end by ${MAX_TIME} (Unix seconds)`, shown(ttl));
    const padding = checkPadding(o.padding);
    const messageId: unknown =
      o.messageId === undefined ? b.randomBytes(MESSAGE_ID_LENGTH) : o.messageId;
    if (!isBytes(messageId) || messageId.length !== MESSAGE_ID_LENGTH)
      throw invalidArgument('messageId', `${MESSAGE_ID_LENGTH} bytes`, shown(messageId));
    checkContentType(o.contentType, limits);
    return { o, b, limits, body, issuedAt, ttl, padding, messageId };
  });
  const idHex = toHex(messageId);
  if (state.responseIds.has(idHex)) {
    throw invalidArgument('messageId', 'an id not used before to answer this request');
  }
  state.responseIds.add(idHex);
  const expiresAt = issuedAt + ttl;
  // §6.4 step 4: the header, its fields taken from the request as it was opened.
  const header = encodeResponseHeader({
    suite: state.suite.ids,
    messageId,
    issuedAt,
    expiresAt,
    ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
    requestId: state.requestId,
    responder: state.responder,
  });
  const aad = concat(prefixFor(Kind.Response), header);
  // §6.4 steps 5-7: the key, the inner record, the size limit, then seal and frame.
  const key = await deriveResponseKey(b, state.responseSecret, messageId, state.suite.keyLength);
  const inner = innerParts({ body }, padding);
  const ciphertextLength = inner.length + AEAD_TAG_LENGTH;
  const envelopeLength = frameLength(header, ciphertextLength);
  if (envelopeLength > limits.maxEnvelopeBytes) {
    key.fill(0);
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `envelope of ${envelopeLength} bytes exceeds maxEnvelopeBytes`,
    );
  }
  const { out: envelope, offset } = allocateFrame(Kind.Response, header, ciphertextLength);
  await aeadSealInto(b, state.suite.algorithm, key, ZERO_NONCE, inner.parts, aad, envelope, offset);
  key.fill(0);
  return { envelope, messageId: idHex, requestId: toHex(state.requestId), issuedAt, expiresAt };
}

/**
 * Opens a response to the request that `request` (a `seal` result, or a
 * state imported with `importResponseState`) sent (SPEC.md §6.3).
 */
export async function openResponse(
  request: PendingRequest,
  envelope: Uint8Array,
  options: OpenResponseOptions = {},
): Promise<OpenResponseResult> {
  // SPEC.md §6.3: every ERR_OPEN_FAILED that leaves is this one, built here
  // only on failure and after the await resumed, so that its stack (this
  // frame and the caller's async frames) is the same whichever check failed.
  try {
    return await openResponseEnvelope(request, envelope, options);
  } catch (e) {
    throw isBlindwireError(e, ErrorCode.OpenFailed) ? openFailed() : e;
  }
}

async function openResponseEnvelope(
  request: PendingRequest,
  envelope: Uint8Array,
  options: OpenResponseOptions,
): Promise<OpenResponseResult> {
  const state = typeof request === 'object' && request !== null ? sealStateOf(request) : undefined;
  if (!state) throw invalidArgument('request', 'the result of seal()');
  // Every option, each read once, before the input.
  const { b, limits, clock } = checkArguments(() => {
    const o = readOptions<OpenResponseOptions>(options, OPEN_RESPONSE_OPTION_KEYS, true);
    const b = backendOf(o);
    const limits = limitsOf(o);
    const clock = checkClock(o);
    return { b, limits, clock };
  });
  // SPEC.md §6.3 steps 1-2: the frame with kind 0x02, then the header (§6.2).
  const frame = parseFrame(isBytes(envelope) ? envelope : notBytes(), Kind.Response, limits);
  const header = decodeResponseHeader(frame.header, limits);
  // §6.3 steps 3-5: the suite, the times, the request and the responder.
  const secret = admitResponseHeader(header, state, clock);
  // §6.3 step 6: the responder's key and the AEAD.
  const key = await deriveResponseKey(b, secret, header.messageId, state.suite.keyLength);
  const aad = concat(frame.prefix, frame.header);
  const plaintext = await b.aeadOpen(state.suite.algorithm, key, ZERO_NONCE, frame.ciphertext, aad);
  key.fill(0);
  if (plaintext === undefined) throw openFailed();
  let inner;
  try {
    // §6.3 step 7: the inner record, under the caller's limits (§8, as the
    // header); step 8: once per request and responder.
    inner = decodeInner(plaintext, false, limits);
    acceptResponse(header, state);
  } catch (e) {
    plaintext.fill(0);
    throw e;
  }
  const info = headerInfo(header, frame);
  const result: OpenResponseResult = {
    payload: inner.body,
    messageId: toHex(header.messageId),
    responder: info.responder!,
    header: info,
  };
  if (header.contentType !== undefined) result.contentType = header.contentType;
  return result;
}

/**
 * The requester's state of SPEC.md §6.3 rebuilt from a request envelope and
 * recorded response secrets, for known-answer tests only (exported from
 * `@blindwire/core/internal`; test-vectors/README.md, "Response cases"): the
 * suite and message id come from the request's public header, `rs_i` of each
 * listed recipient kid from `responseSecrets`, and no response is accepted
 * yet. The result stands in for `seal`'s in `openResponse`.
 */
export function requesterFromSecrets(
  request: Uint8Array,
  responseSecrets: readonly { kid: Uint8Array; responseSecret: Uint8Array }[],
): SealResult {
  const frame = parseFrame(request, Kind.Message, DEFAULT_LIMITS);
  const h = decodeMessageHeader(frame.header, DEFAULT_LIMITS);
  const responders = new Map<string, Uint8Array>();
  responseSecrets.forEach(({ kid, responseSecret }, i) => {
    if (!h.recipients.some((e) => equalBytes(e.kid, kid)))
      throw invalidArgument(
        `responseSecrets[${i}].kid`,
        "the kid of one of the request's recipients",
      );
    if (!(responseSecret instanceof Uint8Array) || responseSecret.length !== 32)
      throw invalidArgument(`responseSecrets[${i}].responseSecret`, '32 bytes');
    responders.set(toHex(kid), responseSecret.slice());
  });
  const result: SealResult = {
    envelope: request,
    messageId: toHex(h.messageId),
    issuedAt: h.issuedAt,
    expiresAt: h.expiresAt,
  };
  rememberSealState(result, {
    suite: suiteFromIds(h.suite, undefined),
    messageId: h.messageId,
    issuedAt: h.issuedAt,
    expiresAt: h.expiresAt,
    responders,
    acceptedResponses: new Set(),
  });
  return result;
}
