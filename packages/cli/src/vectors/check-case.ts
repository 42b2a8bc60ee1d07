/**
 * Checks one envelope test vector (test-vectors/README.md, SPEC.md §12):
 * open the envelope with exactly the case's inputs and compare with
 * `expect`; for a response case, re-seal the response on the responder side
 * (byte for byte) and open it on the caller side from `responseSecret`.
 * Stream cases are checked by check-stream.ts with the same inputs.
 * Written against the documented file format, not against the generator.
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
  type Padding,
  type StreamLimits,
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

export type TrustSource = 'trustedSenders' | 'resolveSender';

/** A case file, as documented; fields are checked as they are used. */
export interface VectorCase {
  kind: 'message' | 'response' | 'stream';
  /** Message and response cases. */
  envelope: string;
  /** Stream cases: the opener's whole input, and where the split feeding cuts it. */
  stream?: string;
  splits?: number[];
  recipient: { kid: string; publicKey: string; privateKey: string }[];
  trustedSenders: unknown[];
  context: string;
  now: number;
  clockSkew: number;
  maxAge?: number;
  allowedSenders?: string[];
  allowedSuites?: OpenOptions['allowedSuites'];
  /** §8 limits; in stream cases also `maxChunkBytes` and `maxStreamBytes` (§7a.7). */
  limits?: Partial<StreamLimits>;
  seenMessageIds?: string[];
  expect: {
    result: 'success' | 'error';
    code?: string;
    payload?: string;
    sender?: string;
    senderKid?: string;
    messageId?: string;
    contentType?: string;
    claims?: Record<string, string | number>;
    /** Stream errors, hex: what the opener released before failing must be a prefix of it. */
    releasable?: string;
  };
  response?: {
    payload: string;
    now: number;
    ttl: number;
    messageId: string;
    contentType?: string;
    padding?: Padding;
    envelope: string;
    responseSecret: string;
    responseKey: string;
  };
}

/** The open inputs of a case (stream cases too: `openStream` takes the same options). */
export async function openOptions(
  c: VectorCase,
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

/** Claims compare as maps, not in encoding order; absent equals absent only. */
export function sameClaims(
  a: Record<string, unknown> | undefined,
  b: Record<string, unknown> | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** An error case: exactly the expected code, and the fixed message for ERR_OPEN_FAILED. */
export function checkError(c: VectorCase, result: unknown, error: unknown): string[] {
  const code = c.expect.code;
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

function checkSuccess(c: VectorCase, r: OpenResult): string[] {
  const errs = checkOpened(c, r);
  if (toHex(r.payload) !== c.expect.payload) errs.unshift('payload differs');
  return errs;
}

/**
 * What a success case expects of the opener's result besides the body
 * (shared with stream cases): sender, kid, message id, content type, claims.
 */
export function checkOpened(
  c: VectorCase,
  r: Pick<OpenResult, 'sender' | 'senderKid' | 'messageId' | 'contentType'> & {
    header: { claims?: Record<string, string | number> };
  },
): string[] {
  const e = c.expect;
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
  c: VectorCase,
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
    info.requestId !== c.expect.messageId ||
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
  c: VectorCase,
  backend: CryptoBackend,
  trust: TrustSource,
): Promise<string[]> {
  let result: OpenResult | undefined;
  let error: unknown;
  try {
    result = await open(fromHex(c.envelope), await openOptions(c, backend, trust));
  } catch (x) {
    error = x;
  }
  if (c.expect.result === 'error') return checkError(c, result, error);
  if (c.expect.result !== 'success')
    return [`unknown expect.result ${JSON.stringify(c.expect.result)}`];
  if (result === undefined) {
    const code = isBlindwireError(error)
      ? `${error.code} (${error.message})`
      : 'a non-Blindwire error';
    return [`expected success, got ${code}`];
  }
  const errs = checkSuccess(c, result);
  if (c.kind === 'response') errs.push(...(await checkResponse(c, result, backend)));
  return errs;
}
