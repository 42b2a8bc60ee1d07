/**
 * `sealedSize` and `sealedResponseSize`: the exact length of the envelope
 * that `seal` or `sealResponse` would make from the same inputs, without any
 * cryptography, so that a binding refuses a payload over its broker's limit
 * before spending the work (ERR_LIMIT_EXCEEDED). Every field of a header has a
 * fixed length or is fixed by the inputs (SPEC.md §4.1, §6.2), and so is the
 * inner record (§4.2), so the length is exact, not a bound.
 */
import { utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { Limits } from '../limits.js';
import { MAX_TIME, MESSAGE_ID_LENGTH, encodeResponseHeader } from '../wire/header.js';
import { innerLength, paddedLength } from '../wire/inner.js';
import { KEM_NAMES, kemOfPublicKey, suiteByName, type KemName } from '../wire/suites.js';
import { checkClaims } from './check-seal.js';
import { limitsOf } from './common-options.js';
import type { OpenResult } from './open-options.js';
import type { SealResponseOptions } from './response-options.js';
import { DEFAULT_TTL_SECONDS, type SealOptions } from './seal-options.js';
import { checkSealSize, envelopeLength, messageSizing, type SizedSeal } from './seal-size.js';
import { openStateOf } from './state.js';
import { checkContentType, kidBytes, nowMs, payloadBytes } from './values.js';

/**
 * A recipient as far as the size goes: its kid (a key, or an identity's
 * encryption key), and its KEM, as `kem` or implied by its public key (the
 * length of `enc` depends on the KEM, SPEC.md §5.4). A kid alone, with
 * neither, stands for an X25519 key. A directory's `ResolvedKey` carries both.
 */
export type SizedRecipient = SizedKey | { encryption: SizedKey };
type SizedKey = { kid: string; kem?: KemName; publicKey?: Uint8Array };

/**
 * The KEM of the recipients (SPEC.md §5.4), read from every one: its `kem`,
 * else its public key's length, else X25519. Recipients of two KEMs are
 * ERR_UNSUPPORTED_SUITE, as in `seal` (an envelope has one KEM).
 */
function kemOfSized(recipients: SizedRecipient | readonly SizedRecipient[]): KemName {
  const list = (Array.isArray(recipients) ? recipients : [recipients]) as unknown[];
  let kem: KemName | undefined;
  for (const r of list) {
    if (typeof r !== 'object' || r === null) continue; // sizedRecipients says what is wrong
    const k = ('encryption' in r ? (r as { encryption: unknown }).encryption : r) as {
      kem?: unknown;
      publicKey?: unknown;
    } | null;
    let own: KemName = 'X25519';
    if (k?.kem !== undefined) {
      if (!KEM_NAMES.includes(k.kem as KemName))
        throw invalidArgument('recipients[].kem', KEM_NAMES.map((n) => `"${n}"`).join(' or '));
      own = k.kem as KemName;
    } else if (k?.publicKey instanceof Uint8Array) {
      own = kemOfPublicKey(k.publicKey) ?? 'X25519';
    }
    if (kem !== undefined && kem !== own)
      throw new BlindwireError(
        ErrorCode.UnsupportedSuite,
        `recipients of ${kem} and ${own}: an envelope has one KEM (SPEC.md §5.4)`,
      );
    kem = own;
  }
  return kem ?? 'X25519';
}

/**
 * The options of `seal` that fix the length; keys are not needed. A
 * `SealOptions` object fits as it is.
 */
export interface SealedSizeOptions extends Omit<SealOptions, 'sender' | 'recipients'> {
  sender: { name: string; signing: { kid: string } };
  recipients: SizedRecipient | readonly SizedRecipient[];
}

/**
 * The exact length in bytes of the envelope `seal(payload, options)` makes
 * (SPEC.md §3, §4) at the same clock: `payload` is the payload or its length
 * in bytes. It checks what fixes the length (the sender's name and kid, the
 * recipients' kids, the content type, the claims, the times, the padding, the
 * AEAD; ERR_INVALID_ARGUMENT) and the limits of SPEC.md §8 as `seal` does
 * (ERR_LIMIT_EXCEEDED); `seal` checks the keys. Only the two times depend on
 * the clock, and any clock from 1970-01-01T18:12:16Z to 2106 writes them in
 * the same number of bytes.
 */
export function sealedSize(
  payload: string | Uint8Array | number,
  options: SealedSizeOptions,
): number {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object with sender and recipients');
  const limits = limitsOf(options);
  const bodyLength = bodyLengthOf(payload);
  const sized = sizedSeal(options, limits);
  paddedLength(0, options.padding);
  const { header, innerLength } = messageSizing(sized, bodyLength, options.padding);
  checkSealSize(header, innerLength, limits);
  return envelopeLength(header, innerLength);
}

/**
 * The exact length in bytes of the response `sealResponse(request, payload,
 * options)` makes (SPEC.md §6.4) at the same clock. Checks its arguments as
 * `sealResponse` does; over `maxEnvelopeBytes` is ERR_LIMIT_EXCEEDED.
 */
export function sealedResponseSize(
  request: OpenResult,
  payload: string | Uint8Array | number,
  options: Pick<SealResponseOptions, 'contentType' | 'ttl' | 'now' | 'padding' | 'limits'> = {},
): number {
  const state = typeof request === 'object' && request !== null ? openStateOf(request) : undefined;
  if (!state) throw invalidArgument('request', 'the result of open()');
  const limits = limitsOf(options);
  const bodyLength = bodyLengthOf(payload);
  const issuedAt = Math.floor(nowMs(options.now) / 1000);
  const ttl = options.ttl ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 0 || issuedAt + ttl > MAX_TIME)
    throw invalidArgument('ttl', 'whole seconds ≥ 0', String(ttl));
  paddedLength(0, options.padding);
  checkContentType(options.contentType, limits);
  const header = encodeResponseHeader({
    suite: state.suite.ids,
    messageId: new Uint8Array(MESSAGE_ID_LENGTH),
    issuedAt,
    expiresAt: issuedAt + ttl,
    ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    requestId: state.requestId,
    responder: state.responder,
  });
  const length = envelopeLength(header, innerLength({}, bodyLength, options.padding));
  if (length > limits.maxEnvelopeBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `envelope of ${length} bytes exceeds maxEnvelopeBytes`,
    );
  }
  return length;
}

/** The body length: a payload's UTF-8 or byte length, or a length given as a number. */
function bodyLengthOf(payload: string | Uint8Array | number): number {
  if (typeof payload !== 'number') return payloadBytes(payload).length;
  if (!Number.isSafeInteger(payload) || payload < 0)
    throw invalidArgument('payload', 'a payload or its length in bytes', String(payload));
  return payload;
}

/** What fixes a message's length, checked as `seal` checks it (SPEC.md §4.5 step 1). */
function sizedSeal(o: SealedSizeOptions, limits: Limits): SizedSeal {
  const suite = suiteByName(o.aead, kemOfSized(o.recipients));
  const sender = o.sender;
  if (!sender || typeof sender.name !== 'string' || sender.name.length === 0)
    throw invalidArgument('sender.name', 'a non-empty identity name');
  const name = utf8(sender.name);
  if (name.length > limits.maxStringBytes)
    throw invalidArgument('sender.name', `at most ${limits.maxStringBytes} bytes`);
  const senderKid = kidBytes(sender.signing?.kid, 'sender.signing.kid');
  checkContentType(o.contentType, limits);
  const claims = checkClaims(o.claims, limits);
  const recipients = sizedRecipients(o.recipients, limits.maxRecipients);
  const issuedAt = Math.floor(nowMs(o.now) / 1000);
  let expiresAt = o.expiresAt;
  if (expiresAt === undefined) {
    const ttl = o.ttl ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 0)
      throw invalidArgument('ttl', 'whole seconds ≥ 0', String(ttl));
    expiresAt = issuedAt + ttl;
  }
  if (!Number.isInteger(expiresAt) || expiresAt < issuedAt || expiresAt > MAX_TIME)
    throw invalidArgument('expiresAt', `Unix seconds from issued-at to ${MAX_TIME}`);
  return {
    suite,
    recipients,
    sender: { text: sender.name, kid: senderKid },
    issuedAt,
    expiresAt,
    contentType: o.contentType,
    claims,
  };
}

/** The recipients' kids: 1 to `maxRecipients` (ERR_LIMIT_EXCEEDED beyond), distinct. */
function sizedRecipients(
  r: SizedRecipient | readonly SizedRecipient[],
  max: number,
): { kid: Uint8Array }[] {
  const list: readonly SizedRecipient[] = Array.isArray(r) ? r : [r as SizedRecipient];
  if (list.length === 0) throw invalidArgument('recipients', 'at least one recipient');
  if (list.length > max)
    throw new BlindwireError(ErrorCode.LimitExceeded, `more than ${max} recipients`);
  const seen = new Set<string>();
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw invalidArgument(`recipients[${i}]`, 'a key');
    const text = 'encryption' in x ? x.encryption?.kid : x.kid;
    const kid = kidBytes(text, `recipients[${i}].kid`);
    if (seen.has(text)) throw invalidArgument(`recipients[${i}].kid`, 'a key id not listed twice');
    seen.add(text);
    return { kid };
  });
}
