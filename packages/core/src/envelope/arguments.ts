/**
 * Argument checks shared by `seal`/`open` and `sealStream`/`openStream`
 * (SPEC.md §4.5 step 1, §7): one implementation, so both APIs reject the
 * same inputs with the same parameter names and messages.
 */
import { equalBytes, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { EncryptionKey } from '../identity/identity.js';
import type { OpenOptions, RecipientKey } from './open.js';
import type { Recipient, SealOptions } from './seal.js';
import { MAX_TIME, MESSAGE_ID_LENGTH, type MessageHeader, type RecipientEntry } from '../wire/header.js';
import { contextBytes, kidBytes, nowMs, skewOf } from './options.js';
import { compileSenderPatterns } from './patterns.js';

export const DEFAULT_TTL_SECONDS = 3600;
import type { CryptoBackend } from '../backend/types.js';
import type { Limits } from '../limits.js';

export function checkSender(sender: SealOptions['sender'], limits: Limits) {
  if (!sender || typeof sender.name !== 'string' || sender.name.length === 0) {
    throw invalidArgument('sender.name', 'a non-empty identity name');
  }
  const name = utf8(sender.name);
  if (name.length > limits.maxStringBytes)
    throw invalidArgument('sender.name', `at most ${limits.maxStringBytes} bytes`);
  const kid = kidBytes(sender.signing?.kid, 'sender.signing.kid');
  if (
    !(sender.signing.privateKey instanceof Uint8Array) ||
    sender.signing.privateKey.length !== 32
  ) {
    throw invalidArgument('sender.signing.privateKey', '32 bytes');
  }
  return { name, kid, privateKey: sender.signing.privateKey };
}

export function checkContentType(contentType: string | undefined, limits: Limits): void {
  if (contentType === undefined) return;
  if (
    typeof contentType !== 'string' ||
    contentType.length === 0 ||
    utf8(contentType).length > limits.maxStringBytes
  ) {
    throw invalidArgument(
      'contentType',
      `a non-empty string of at most ${limits.maxStringBytes} bytes`,
    );
  }
}

export function checkRecipients(r: Recipient | Recipient[], max: number) {
  const list = Array.isArray(r) ? r : [r];
  if (list.length === 0) throw invalidArgument('recipients', 'at least one recipient');
  if (list.length > max)
    throw new BlindwireError(ErrorCode.LimitExceeded, `more than ${max} recipients`);
  const seen = new Set<string>();
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw invalidArgument(`recipients[${i}]`, 'a key');
    const k = 'encryption' in x ? x.encryption : x;
    const kid = kidBytes(k?.kid, `recipients[${i}].kid`);
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) {
      throw invalidArgument(`recipients[${i}].publicKey`, '32 bytes', String(k.publicKey?.length));
    }
    if (seen.has(k.kid)) throw invalidArgument(`recipients[${i}].kid`, 'a key id not listed twice');
    seen.add(k.kid);
    return { kid, publicKey: k.publicKey };
  });
}

export function checkClaims(claims: Record<string, string | number> | undefined, limits: Limits) {
  if (claims === undefined) return undefined;
  const entries = Object.entries(claims);
  if (entries.length > limits.maxHeaderFields) {
    throw new BlindwireError(ErrorCode.LimitExceeded, `more than ${limits.maxHeaderFields} claims`);
  }
  for (const [k, v] of entries) {
    if (k.length === 0 || utf8(k).length > limits.maxStringBytes) {
      throw invalidArgument('claims', `names of 1 to ${limits.maxStringBytes} bytes`);
    }
    if (typeof v === 'string' ? utf8(v).length > limits.maxStringBytes : !Number.isSafeInteger(v)) {
      throw invalidArgument(
        `claims.${k}`,
        `text of at most ${limits.maxStringBytes} bytes or a safe integer`,
      );
    }
  }
  return new Map(entries);
}

/** Issued-at, expires-at and the message id, as `seal` computes them. */
export function checkTimesAndId(
  o: Pick<SealOptions, 'now' | 'ttl' | 'expiresAt' | 'messageId'>,
  b: CryptoBackend,
) {
  const issuedAt = Math.floor(nowMs(o.now) / 1000);
  let expiresAt = o.expiresAt;
  if (expiresAt === undefined) {
    const ttl = o.ttl ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 0)
      throw invalidArgument('ttl', 'whole seconds ≥ 0', String(ttl));
    expiresAt = issuedAt + ttl;
  }
  if (!Number.isInteger(expiresAt) || expiresAt < issuedAt || expiresAt > MAX_TIME) {
    throw invalidArgument(
      'expiresAt',
      `Unix seconds from issued-at (${issuedAt}) to ${MAX_TIME}`,
      String(expiresAt),
    );
  }
  const messageId = o.messageId ?? b.randomBytes(MESSAGE_ID_LENGTH);
  if (!(messageId instanceof Uint8Array) || messageId.length !== MESSAGE_ID_LENGTH) {
    throw invalidArgument('messageId', `${MESSAGE_ID_LENGTH} bytes`);
  }
  return { issuedAt, expiresAt, messageId };
}

export function checkRecipientKeys(r: RecipientKey | RecipientKey[]) {
  const list = Array.isArray(r) ? r : [r];
  if (list.length === 0) throw invalidArgument('recipient', 'at least one key pair');
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw invalidArgument(`recipient[${i}]`, 'a key pair');
    const k = 'encryption' in x ? x.encryption : x;
    if (!(k?.privateKey instanceof Uint8Array) || k.privateKey.length !== 32) {
      throw invalidArgument(`recipient[${i}].privateKey`, '32 bytes');
    }
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) {
      throw invalidArgument(`recipient[${i}].publicKey`, '32 bytes');
    }
    return { kid: kidBytes(k.kid, `recipient[${i}].kid`), key: k };
  });
}

/** SPEC.md §7 step 8: the header entry addressed to one of our keys. */
export function findEntry(
  h: MessageHeader,
  keys: ReturnType<typeof checkRecipientKeys>,
): { entry: RecipientEntry; key: EncryptionKey } {
  for (const k of keys) {
    for (const e of h.recipients) if (equalBytes(e.kid, k.kid)) return { entry: e, key: k.key };
  }
  throw new BlindwireError(
    ErrorCode.KeyNotFound,
    'none of the given keys is a recipient of this envelope',
  );
}

/** SPEC.md §7 step 14: pinned senders first, then the resolver. */
export async function trustedKey(
  o: Pick<OpenOptions, 'trustedSenders' | 'resolveSender'>,
  sender: string,
  kid: string,
): Promise<Uint8Array | undefined> {
  for (const t of o.trustedSenders ?? []) {
    if (t.name === sender && t.signing.kid === kid) return t.signing.publicKey;
  }
  if (!o.resolveSender) return undefined;
  let r;
  try {
    r = await o.resolveSender(sender, kid);
  } catch (e) {
    // The resolver's own failure (a directory that is down), not a verdict on the sender.
    throw e instanceof BlindwireError
      ? e
      : new BlindwireError(ErrorCode.Transport, 'the sender resolver failed', { cause: e });
  }
  if (r == null) return undefined;
  const pk = r instanceof Uint8Array ? r : r.kid === kid ? r.publicKey : undefined;
  return pk instanceof Uint8Array && pk.length === 32 ? pk : undefined;
}

/**
 * SPEC.md §7: what `open` and `openStream` check of their options before any
 * input is read: an explicit trust source, the context, the key pairs, the
 * sender patterns, the skew and the maximum age.
 */
export function checkOpenOptions(
  options: Pick<
    OpenOptions,
    | 'resolveSender'
    | 'trustedSenders'
    | 'context'
    | 'recipient'
    | 'allowedSenders'
    | 'clockSkew'
    | 'maxAge'
  >,
  limits: Limits,
) {
  if (!options || (!options.resolveSender && !options.trustedSenders)) {
    throw invalidArgument(
      'resolveSender',
      'a sender resolver or trustedSenders (sender keys must be trusted)',
    );
  }
  if (options.trustedSenders !== undefined) {
    if (!Array.isArray(options.trustedSenders))
      throw invalidArgument('trustedSenders', 'an array of public identities');
    options.trustedSenders.forEach((t, i) => {
      if (
        typeof t !== 'object' ||
        t === null ||
        typeof t.name !== 'string' ||
        typeof t.signing?.kid !== 'string' ||
        !(t.signing.publicKey instanceof Uint8Array) ||
        t.signing.publicKey.length !== 32
      )
        throw invalidArgument(`trustedSenders[${i}]`, 'a public identity { name, signing }');
    });
  }
  const context = contextBytes(options.context, limits);
  const keys = checkRecipientKeys(options.recipient);
  const allowed = compileSenderPatterns(options.allowedSenders);
  const skew = skewOf(options.clockSkew);
  if (options.maxAge !== undefined && (!Number.isInteger(options.maxAge) || options.maxAge < 0)) {
    throw invalidArgument('maxAge', 'whole seconds ≥ 0', String(options.maxAge));
  }
  return { context, keys, allowed, skew };
}
