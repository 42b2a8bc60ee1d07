/**
 * Checks one envelope test vector (test-vectors/README.md, SPEC.md §12):
 * open the envelope with exactly the case's inputs and compare with
 * `expect`; for a response case, re-seal the response on the responder side
 * (byte for byte) and open it on the caller side from `responseSecret`.
 * Stream cases are checked by check-stream.ts with the same inputs. A case
 * is first parsed with the one schema of the format (@blindwire/testkit,
 * bundled into the CLI): a malformed file fails as such. Written against the
 * documented file format, not against the generator.
 */
import {
  OPEN_FAILED_MESSAGE,
  createMemoryReplayStore,
  fromHex,
  importPublicIdentity,
  inspect,
  isBlindwireError,
  open,
  toHex,
  type CryptoBackend,
  type OpenOptions,
  type OpenResult,
} from '@blindwire/core';
import {
  Kind,
  ZERO_NONCE,
  concat,
  decodeInner,
  decodeResponseHeader,
  deriveResponseKey,
  equalBytes,
  parseFrame,
  sealResponseWithId,
  suiteByName,
} from '@blindwire/core/internal';
import { DEFAULT_LIMITS } from '@blindwire/core';
import {
  VectorCaseError,
  parseVectorCase,
  sameClaims,
  type CaseInputs,
  type ExpectError,
  type ExpectSuccess,
  type MessageCase,
  type VectorCase as ParsedCase,
} from '@blindwire/testkit';
import { checkCaller } from './check-response.js';

export type TrustSource = 'trustedSenders' | 'resolveSender';

/**
 * A case file as read, before it is checked: `checkCase` and
 * `checkStreamCase` parse it with the one schema (@blindwire/testkit) and
 * report a malformed file as the case's failure.
 */
export interface VectorCase {
  kind?: unknown;
  expect?: { result?: unknown; code?: unknown };
  [field: string]: unknown;
}

/** The case, checked against the schema; or the problem, as a one-line failure. */
export function parseCase(raw: VectorCase): ParsedCase | string[] {
  try {
    return parseVectorCase(raw);
  } catch (e) {
    if (e instanceof VectorCaseError) return [`malformed case: ${e.message}`];
    throw e;
  }
}

/** The open inputs of a case (stream cases too: `openStream` takes the same options). */
export async function openOptions(
  c: CaseInputs,
  backend: CryptoBackend,
  trust: TrustSource,
): Promise<OpenOptions> {
  const identities = await Promise.all(
    c.trustedSenders.map((j) => importPublicIdentity(j, { backend })),
  );
  const o: OpenOptions = {
    recipient: c.recipient.map((k) => ({
      kid: k.kid,
      publicKey: fromHex(k.publicKey),
      privateKey: fromHex(k.privateKey),
    })),
    context: fromHex(c.context),
    now: c.now,
    clockSkew: c.clockSkew,
    backend,
  };
  // The opener trusts exactly (name, signing.kid) -> signing.ed25519 of each document, nothing else.
  if (trust === 'trustedSenders') o.trustedSenders = identities;
  else
    o.resolveSender = (name, kid) =>
      identities.find((i) => i.name === name && i.signing.kid === kid)?.signing.publicKey;
  if (c.maxAge !== undefined) o.maxAge = c.maxAge;
  if (c.allowedSenders) o.allowedSenders = c.allowedSenders;
  if (c.allowedSuites) o.allowedSuites = c.allowedSuites;
  if (c.limits) o.limits = c.limits;
  if (c.seenMessageIds) {
    const replay = createMemoryReplayStore({ now: () => c.now });
    for (const id of c.seenMessageIds) await replay.record(id, 0xffffffff);
    o.replay = replay;
  }
  return o;
}

/** An error case: exactly the expected code, and the fixed message for ERR_OPEN_FAILED. */
export function checkError(e: ExpectError, result: unknown, error: unknown): string[] {
  const code = e.code;
  if (result !== undefined) return [`expected ${code}, got a result`];
  if (!isBlindwireError(error))
    return [
      `expected ${code}, got a non-Blindwire error (${(error as Error)?.name ?? typeof error})`,
    ];
  if (error.code !== code) return [`expected ${code}, got ${error.code} (${error.message})`];
  // Oracle rule: ERR_OPEN_FAILED never says which check failed.
  if (
    code === 'ERR_OPEN_FAILED' &&
    (error.message !== OPEN_FAILED_MESSAGE || error.cause !== undefined)
  ) {
    return ['ERR_OPEN_FAILED must carry the fixed message and no cause'];
  }
  return [];
}

function checkSuccess(e: ExpectSuccess, r: OpenResult): string[] {
  const errs = checkOpened(e, r);
  if (toHex(r.payload) !== e.payload) errs.unshift('payload differs');
  return errs;
}

/**
 * What a success case expects of the opener's result besides the body
 * (shared with stream cases): sender, kid, message id, content type, claims.
 */
export function checkOpened(
  e: ExpectSuccess,
  r: Pick<OpenResult, 'sender' | 'senderKid' | 'messageId' | 'contentType'> & {
    header: { claims?: Record<string, string | number> };
  },
): string[] {
  const errs: string[] = [];
  if (r.sender !== e.sender) errs.push(`sender ${r.sender} != ${e.sender}`);
  if (r.senderKid !== e.senderKid) errs.push(`senderKid ${r.senderKid} != ${e.senderKid}`);
  if (r.messageId !== e.messageId) errs.push(`messageId ${r.messageId} != ${e.messageId}`);
  if (r.contentType !== e.contentType)
    errs.push(`contentType ${r.contentType} != ${e.contentType}`);
  if (!sameClaims(r.header.claims, e.claims)) errs.push('claims differ');
  return errs;
}

/** Responder side: re-seal byte for byte. Caller side: derive the key from `responseSecret` and open. */
async function checkResponse(
  c: MessageCase,
  e: ExpectSuccess,
  request: OpenResult,
  backend: CryptoBackend,
): Promise<string[]> {
  const r = c.response;
  if (!r) return ['response case without "response"'];
  const errs: string[] = [];
  const { envelope: sealed } = await sealResponseWithId(request, fromHex(r.payload), {
    now: r.now,
    ttl: r.ttl,
    messageId: fromHex(r.messageId),
    ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
    ...(r.padding !== undefined ? { padding: r.padding } : {}),
    backend,
  });
  if (toHex(sealed) !== r.envelope) errs.push('re-sealed response differs from response.envelope');
  const envelope = fromHex(r.envelope);
  const info = inspect(envelope);
  if (
    info.kind !== 'response' ||
    info.requestId !== e.messageId ||
    info.messageId !== r.messageId
  ) {
    errs.push('response header does not name the request');
  }
  // SPEC.md §6.1: key from rs and the response id; AEAD with the zero nonce over prefix || header.
  const frame = parseFrame(envelope, Kind.Response, DEFAULT_LIMITS);
  const header = decodeResponseHeader(frame.header, DEFAULT_LIMITS);
  const suite = suiteByName(info.suite.name as Parameters<typeof suiteByName>[0]);
  const key = await deriveResponseKey(
    backend,
    fromHex(r.responseSecret),
    header.messageId,
    suite.keyLength,
  );
  if (!equalBytes(key, fromHex(r.responseKey)))
    errs.push('response key derived from responseSecret differs from responseKey');
  const plaintext = await backend.aeadOpen(
    suite.algorithm,
    key,
    ZERO_NONCE,
    frame.ciphertext,
    concat(frame.prefix, frame.header),
  );
  if (plaintext === undefined)
    errs.push('caller side: the response does not open with responseKey');
  else if (toHex(decodeInner(plaintext, false).body) !== r.payload)
    errs.push('caller side: response body differs from payload');
  return errs;
}

/** The mismatches of one case on one backend and trust source (empty when it holds). */
export async function checkCase(
  raw: VectorCase,
  backend: CryptoBackend,
  trust: TrustSource,
): Promise<string[]> {
  const c = parseCase(raw);
  if (Array.isArray(c)) return c;
  if (c.kind === 'stream') return ['a stream case: check it with checkStreamCase'];
  let result: OpenResult | undefined;
  let error: unknown;
  try {
    result = await open(fromHex(c.envelope), await openOptions(c, backend, trust));
  } catch (x) {
    error = x;
  }
  if (c.expect.result === 'error') return checkError(c.expect, result, error);
  if (result === undefined) {
    const code = isBlindwireError(error)
      ? `${error.code} (${error.message})`
      : 'a non-Blindwire error';
    return [`expected success, got ${code}`];
  }
  const errs = checkSuccess(c.expect, result);
  if (c.kind === 'response') {
    if (c.response) errs.push(...(await checkResponse(c, c.expect, result, backend)));
    if (c.caller) errs.push(...(await checkCaller(c.envelope, c.caller, backend)));
  }
  return errs;
}
