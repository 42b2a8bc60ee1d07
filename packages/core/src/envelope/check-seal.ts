/**
 * `checkSealOptions`: every argument of `seal` and `sealStream` checked
 * before any work (SPEC.md §4.5 step 1), in one place, so both reject the
 * same inputs with the same parameter names and messages.
 */
import type { CryptoBackend } from '../backend/types.js';
import { utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { Limits } from '../limits.js';
import { MAX_TIME, MESSAGE_ID_LENGTH, type ClaimValue } from '../wire/header.js';
import type { SealRecipient } from '../wire/sender.js';
import { suiteByName, type EnvelopeSuite } from '../wire/suites.js';
import { DEFAULT_TTL_SECONDS, type Recipient, type SealOptions } from './seal-options.js';
import { checkContentType, contextBytes, kidBytes, nowMs, skewOf } from './values.js';

/** What `seal` and `sealStream` share of their options (everything but padding and limits). */
export type SealArguments = Omit<SealOptions, 'padding' | 'limits' | 'backend'>;

/** The sender as checked: the name (text and UTF-8), the signing kid and the private key. */
export interface CheckedSender {
  /** The name as given. */
  text: string;
  /** The name as UTF-8. */
  name: Uint8Array;
  kid: Uint8Array;
  privateKey: Uint8Array;
}

/** The checked arguments of a seal, ready for the key schedule. */
export interface CheckedSeal {
  context: Uint8Array;
  suite: EnvelopeSuite;
  sender: CheckedSender;
  contentType: string | undefined;
  claims: Map<string, ClaimValue> | undefined;
  recipients: SealRecipient[];
  issuedAt: number;
  expiresAt: number;
  messageId: Uint8Array;
}

/**
 * SPEC.md §4.5 step 1 for `seal` and `sealStream`: the context, the AEAD,
 * the sender, the content type, the claims, the recipients, the times and the
 * message id, in that order.
 */
export function checkSealOptions(
  options: SealArguments,
  limits: Limits,
  b: CryptoBackend,
): CheckedSeal {
  const context = contextBytes(options.context, limits);
  const suite = suiteByName(options.aead);
  const sender = checkSender(options.sender, limits);
  checkContentType(options.contentType, limits);
  const claims = checkClaims(options.claims, limits);
  const recipients = checkRecipients(options.recipients, limits.maxRecipients);
  const { issuedAt, expiresAt, messageId } = checkTimesAndId(options, b);
  checkRecipientWindows(options.recipients, issuedAt, skewOf(options.clockSkew));
  const contentType = options.contentType;
  return {
    context,
    suite,
    sender,
    contentType,
    claims,
    recipients,
    issuedAt,
    expiresAt,
    messageId,
  };
}

function checkSender(sender: SealOptions['sender'], limits: Limits): CheckedSender {
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
  return { text: sender.name, name, kid, privateKey: sender.signing.privateKey };
}

function checkRecipients(r: Recipient | Recipient[], max: number): SealRecipient[] {
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

/**
 * SPEC.md §4.5 step 1: a recipient key whose validity window is known must
 * hold it at the sender's clock, with the skew; a key resolved long ago and
 * kept would otherwise be sealed to after its private key may be erased.
 */
function checkRecipientWindows(r: Recipient | Recipient[], nowS: number, skew: number): void {
  const list = Array.isArray(r) ? r : [r];
  list.forEach((x, i) => {
    const k = 'encryption' in x ? x.encryption : x;
    for (const f of ['notBefore', 'notAfter'] as const) {
      if (k[f] !== undefined && !Number.isSafeInteger(k[f]))
        throw invalidArgument(`recipients[${i}].${f}`, 'Unix seconds', String(k[f]));
    }
    if (k.notAfter !== undefined && nowS > k.notAfter + skew) {
      throw new BlindwireError(
        ErrorCode.Expired,
        `recipient key ${k.kid} expired at ${k.notAfter} (now ${nowS}, skew ${skew} s)`,
      );
    }
    if (k.notBefore !== undefined && k.notBefore > nowS + skew) {
      throw new BlindwireError(
        ErrorCode.NotYetValid,
        `recipient key ${k.kid} is not valid before ${k.notBefore} (now ${nowS}, skew ${skew} s)`,
      );
    }
  });
}

export function checkClaims(
  claims: Record<string, ClaimValue> | undefined,
  limits: Limits,
): Map<string, ClaimValue> | undefined {
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
function checkTimesAndId(
  o: Pick<SealOptions, 'now' | 'ttl' | 'expiresAt' | 'messageId'>,
  b: CryptoBackend,
): Pick<CheckedSeal, 'issuedAt' | 'expiresAt' | 'messageId'> {
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
