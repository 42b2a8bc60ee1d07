/**
 * `checkSealOptions`: every argument of `seal` and `sealStream` checked
 * before any work (SPEC.md §4.5 step 1), in one place, so both reject the
 * same inputs with the same parameter names and messages. Each value is read
 * once and the checked copy is what the seal uses.
 */
import type { CryptoBackend } from '../backend/types.js';
import { utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import { assertIdentityName } from '../identity/name.js';
import type { Limits } from '../limits.js';
import { MAX_TIME, MESSAGE_ID_LENGTH, type ClaimValue } from '../wire/header.js';
import type { Padding } from '../wire/inner.js';
import type { EnvelopeSuite } from '../wire/suites.js';
import { checkRecipients, chooseSuite, type CheckedRecipient } from './check-recipients.js';
import { isOptionsObject } from './common-options.js';
import { DEFAULT_TTL_SECONDS, type SealOptions } from './seal-options.js';
import {
  checkContentType,
  contextBytes,
  isBytes,
  kidBytes,
  nowMs,
  skewOf,
  ttlOf,
} from './values.js';

/** The options `seal` reads, each once (common-options.ts `readOptions`). */
export const SEAL_OPTION_KEYS = [
  'sender',
  'recipients',
  'context',
  'contentType',
  'ttl',
  'expiresAt',
  'now',
  'clockSkew',
  'messageId',
  'padding',
  'aead',
  'requirePostQuantum',
  'claims',
  'limits',
  'backend',
] as const satisfies readonly (keyof SealOptions)[];

/** What `seal` and `sealStream` share of their options (everything but padding and limits). */
export type SealArguments = Partial<Omit<SealOptions, 'padding' | 'limits' | 'backend'>>;

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
  recipients: CheckedRecipient[];
  issuedAt: number;
  expiresAt: number;
  messageId: Uint8Array;
}

/**
 * SPEC.md §4.5 step 1 for `seal` and `sealStream`: the context, the sender,
 * the content type, the claims, the recipients, the AEAD they accept, the
 * times and the message id, in that order.
 */
export function checkSealOptions(
  options: SealArguments,
  limits: Limits,
  b: CryptoBackend,
): CheckedSeal {
  const context = contextBytes(options.context, limits);
  const sender = checkSender(options.sender, limits);
  checkContentType(options.contentType, limits);
  const claims = checkClaims(options.claims, limits);
  const recipients = checkRecipients(options.recipients, limits.maxRecipients);
  const rpq = options.requirePostQuantum;
  if (rpq !== undefined && typeof rpq !== 'boolean')
    throw invalidArgument('requirePostQuantum', 'a boolean', shown(rpq));
  const suite = chooseSuite(options.aead, recipients, rpq === true);
  const { issuedAt, expiresAt, messageId } = checkTimesAndId(options, limits, b);
  checkRecipientWindows(recipients, issuedAt, skewOf(options.clockSkew));
  return {
    context,
    suite,
    sender,
    contentType: options.contentType,
    claims,
    recipients,
    issuedAt,
    expiresAt,
    messageId,
  };
}

/** The sender: an identity name (SPEC.md §10) and an Ed25519 signing key with its kid. */
function checkSender(sender: unknown, limits: Limits): CheckedSender {
  if (typeof sender !== 'object' || sender === null)
    throw invalidArgument('sender', 'an identity { name, signing }', shown(sender));
  const { name: text, signing } = sender as { name: unknown; signing: unknown };
  assertIdentityName(text, 'sender.name');
  const name = utf8(text);
  if (name.length > limits.maxStringBytes)
    throw invalidArgument('sender.name', `at most ${limits.maxStringBytes} bytes`);
  if (typeof signing !== 'object' || signing === null)
    throw invalidArgument('sender.signing', 'a signing key { kid, privateKey }', shown(signing));
  const { kid: kidText, privateKey } = signing as { kid: unknown; privateKey: unknown };
  const kid = kidBytes(kidText, 'sender.signing.kid');
  if (!isBytes(privateKey) || privateKey.length !== 32)
    throw invalidArgument('sender.signing.privateKey', '32 bytes', shown(privateKey, true));
  return { text, name, kid, privateKey };
}

/**
 * SPEC.md §4.5 step 1: a recipient key whose validity window is known must
 * hold it at the sender's clock, with the skew; a key resolved long ago and
 * kept would otherwise be sealed to after its private key may be erased.
 */
function checkRecipientWindows(list: CheckedRecipient[], nowS: number, skew: number): void {
  for (const k of list) {
    if (k.notAfter !== undefined && nowS > k.notAfter + skew) {
      throw new BlindwireError(
        ErrorCode.Expired,
        `recipient key ${k.kidText} expired at ${k.notAfter} (now ${nowS}, skew ${skew} s)`,
      );
    }
    if (k.notBefore !== undefined && k.notBefore > nowS + skew) {
      throw new BlindwireError(
        ErrorCode.NotYetValid,
        `recipient key ${k.kidText} is not valid before ${k.notBefore} (now ${nowS}, skew ${skew} s)`,
      );
    }
  }
}

/** Public claims (SPEC.md §4.1): an object of names to text or safe integers. */
export function checkClaims(claims: unknown, limits: Limits): Map<string, ClaimValue> | undefined {
  if (claims === undefined) return undefined;
  if (!isOptionsObject(claims))
    throw invalidArgument('claims', 'an object of names to text or integers', shown(claims));
  const entries = Object.entries(claims) as [string, unknown][];
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
        shown(v),
      );
    }
  }
  return new Map(entries as [string, ClaimValue][]);
}

/**
 * The padding choice (SPEC.md §4.2): 'none', 'padme' or `{ blockSize }`, as
 * a fresh value (a block size read once).
 */
export function checkPadding(padding: unknown): Padding | undefined {
  if (padding === undefined || padding === 'none' || padding === 'padme') return padding;
  if (typeof padding !== 'object' || padding === null)
    throw invalidArgument('padding', "'none', 'padme' or { blockSize }", shown(padding));
  const bs = (padding as { blockSize: unknown }).blockSize;
  if (!Number.isInteger(bs) || (bs as number) < 1 || (bs as number) > 1 << 20)
    throw invalidArgument('padding.blockSize', 'an integer from 1 to 1048576', shown(bs));
  return { blockSize: bs as number };
}

/**
 * Issued-at, expires-at and the message id, as `seal` computes them. The
 * lifetime (`ttl`, or `expiresAt` less issued-at) is at most
 * `maxTtlSeconds` (SPEC.md §8).
 */
function checkTimesAndId(
  o: Pick<SealArguments, 'now' | 'ttl' | 'expiresAt' | 'messageId'>,
  limits: Limits,
  b: CryptoBackend,
): Pick<CheckedSeal, 'issuedAt' | 'expiresAt' | 'messageId'> {
  const issuedAt = Math.floor(nowMs(o.now) / 1000);
  const ttl = ttlOf(o.ttl, DEFAULT_TTL_SECONDS, limits); // checked even when expiresAt wins
  const expiresAt: unknown = o.expiresAt === undefined ? issuedAt + ttl : o.expiresAt;
  const latest = Math.min(issuedAt + limits.maxTtlSeconds, MAX_TIME);
  if (
    !Number.isInteger(expiresAt) ||
    (expiresAt as number) < issuedAt ||
    (expiresAt as number) > latest
  ) {
    throw invalidArgument(
      'expiresAt',
      `Unix seconds from issued-at (${issuedAt}) to ${latest} (maxTtlSeconds ${limits.maxTtlSeconds})`,
      shown(expiresAt),
    );
  }
  const messageId: unknown =
    o.messageId === undefined ? b.randomBytes(MESSAGE_ID_LENGTH) : o.messageId;
  if (!isBytes(messageId) || messageId.length !== MESSAGE_ID_LENGTH) {
    throw invalidArgument('messageId', `${MESSAGE_ID_LENGTH} bytes`, shown(messageId));
  }
  return { issuedAt, expiresAt: expiresAt as number, messageId };
}
