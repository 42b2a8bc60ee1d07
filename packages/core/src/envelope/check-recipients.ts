/**
 * The recipients of `seal` and `sealStream` (SPEC.md §4.5 step 1): each an
 * encryption public key (or an identity holding one) with its kid, the
 * validity window and the AEAD its key record names when known (a key
 * resolved from the directory carries both, SPEC.md §11.1), read once; and
 * the AEAD of the seal, which every recipient that names one must accept.
 */
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import {
  AEAD_NAMES,
  kemOfPublicKey,
  suiteByName,
  type AeadName,
  type EnvelopeSuite,
  type KemName,
} from '../wire/suites.js';
import type { SealRecipient } from '../wire/sender.js';
import { isBytes, kidBytes } from './values.js';

/** A recipient as checked: its key, its kid as given, and what its key record states. */
export interface CheckedRecipient extends SealRecipient {
  kidText: string;
  notBefore?: number;
  notAfter?: number;
  /** The AEAD the recipient's key record names (SPEC.md §11.1 field 4), when known. */
  aead?: string;
  /** The KEM of the key, by its length (SPEC.md §5). */
  kem: KemName;
}

/** Whether `x` names one of the envelope AEADs of SPEC.md §5. */
export function isAeadName(x: unknown): x is AeadName {
  return typeof x === 'string' && (AEAD_NAMES as readonly string[]).includes(x);
}

/** `recipients`: one key or a non-empty list of distinct ones, at most `max`. */
export function checkRecipients(r: unknown, max: number): CheckedRecipient[] {
  // One recipient given alone (the common case): no copy of a list, no set of kids.
  if (!Array.isArray(r)) return [checkRecipient(r, 'recipients[0]')];
  const list: unknown[] = Array.from(r as unknown[]);
  if (list.length === 0) throw invalidArgument('recipients', 'at least one recipient');
  if (list.length > max)
    throw new BlindwireError(ErrorCode.LimitExceeded, `more than ${max} recipients`);
  const seen = new Set<string>();
  return list.map((x, i) => {
    const k = checkRecipient(x, `recipients[${i}]`);
    if (seen.has(k.kidText))
      throw invalidArgument(`recipients[${i}].kid`, 'a key id not listed twice');
    seen.add(k.kidText);
    return k;
  });
}

function checkRecipient(x: unknown, name: string): CheckedRecipient {
  if (typeof x !== 'object' || x === null || isBytes(x))
    throw invalidArgument(name, 'an encryption public key or a public identity', shown(x));
  const k: unknown = 'encryption' in x ? (x as { encryption: unknown }).encryption : x;
  if (typeof k !== 'object' || k === null)
    throw invalidArgument(`${name}.encryption`, 'an encryption public key', shown(k));
  const { kid: kidText, publicKey, notBefore, notAfter, aead } = k as Record<string, unknown>;
  const kid = kidBytes(kidText, `${name}.kid`);
  const kem = isBytes(publicKey) ? kemOfPublicKey(publicKey) : undefined;
  if (!isBytes(publicKey) || kem === undefined)
    throw invalidArgument(
      `${name}.publicKey`,
      '32 bytes (X25519) or 1216 bytes (X-Wing)',
      shown(publicKey),
    );
  const out: CheckedRecipient = { kid, kidText: kidText as string, publicKey, kem };
  if (notBefore !== undefined) out.notBefore = unixSeconds(notBefore, `${name}.notBefore`);
  if (notAfter !== undefined) out.notAfter = unixSeconds(notAfter, `${name}.notAfter`);
  if (aead !== undefined) {
    if (typeof aead !== 'string')
      throw invalidArgument(`${name}.aead`, `one of ${AEAD_NAMES.join(', ')}`, shown(aead));
    out.aead = aead;
  }
  return out;
}

function unixSeconds(v: unknown, name: string): number {
  if (!Number.isSafeInteger(v)) throw invalidArgument(name, 'Unix seconds', shown(v));
  return v as number;
}

/**
 * SPEC.md §4.5 step 1: the AEAD of the seal. Every recipient whose key
 * record names an AEAD must get that one: with `aead` given, a recipient
 * naming another is ERR_UNSUPPORTED_SUITE; without, the one the recipients
 * name (the default when none does), and recipients naming different ones
 * are ERR_UNSUPPORTED_SUITE. An unknown name is ERR_UNSUPPORTED_SUITE.
 */
export function chooseSuite(
  aead: unknown,
  recipients: readonly CheckedRecipient[],
  requirePostQuantum = false,
): EnvelopeSuite {
  const kem = chooseKem(recipients, requirePostQuantum);
  if (aead !== undefined && typeof aead !== 'string')
    throw invalidArgument('aead', `one of ${AEAD_NAMES.join(', ')}`, shown(aead));
  if (aead !== undefined && !isAeadName(aead)) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `"aead" expected one of ${AEAD_NAMES.join(', ')}, got ${shown(aead)}`,
    );
  }
  let chosen: AeadName | undefined = aead;
  let by: CheckedRecipient | undefined;
  for (const r of recipients) {
    if (r.aead === undefined) continue;
    if (!isAeadName(r.aead)) {
      throw new BlindwireError(
        ErrorCode.UnsupportedSuite,
        `recipient key ${r.kidText} names the AEAD ${shown(r.aead)}, which this version does not implement`,
      );
    }
    if (chosen === undefined) {
      chosen = r.aead;
      by = r;
    } else if (r.aead !== chosen) {
      const other = by ? `recipient key ${by.kidText} names ${chosen}` : `"aead" is ${chosen}`;
      throw new BlindwireError(
        ErrorCode.UnsupportedSuite,
        `recipient key ${r.kidText} accepts only ${r.aead}, but ${other}: seal to them separately`,
      );
    }
  }
  return suiteByName(chosen, kem);
}

/**
 * SPEC.md §5.4: one envelope has one KEM, so every recipient key must be of
 * it; with `requirePostQuantum`, it must be X-Wing. Anything else is
 * ERR_UNSUPPORTED_SUITE.
 */
function chooseKem(recipients: readonly CheckedRecipient[], requirePostQuantum: boolean): KemName {
  const first = recipients[0]!;
  for (const r of recipients) {
    if (r.kem !== first.kem) {
      throw new BlindwireError(
        ErrorCode.UnsupportedSuite,
        `recipient key ${r.kidText} is ${r.kem} but ${first.kidText} is ${first.kem}: an envelope has one KEM (seal with every recipient's X-Wing key, or seal to them separately)`,
      );
    }
  }
  if (requirePostQuantum && first.kem !== 'X-Wing') {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `"requirePostQuantum": recipient key ${first.kidText} is ${first.kem}, not X-Wing`,
    );
  }
  return first.kem;
}
