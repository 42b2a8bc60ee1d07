/**
 * Argument checks for the setup options, run before any cryptography. Each
 * guard names the parameter it rejects. The mode is inferred from the options
 * (RFC 9180 §5: psk/pskId -> PSK, senderKey -> Auth, both -> AuthPSK) and the
 * PSK inputs are checked with VerifyPSKInputs (RFC 9180 §5.1).
 */
import { assertBytes } from '../bytes.js';
import { invalidArgument } from '../errors.js';
import { Mode } from './ids.js';
import { verifyPskInputs } from './key-schedule.js';
import { X25519_PARAMS, type KemParams } from './kem-params.js';
import type { KeyPair, RecipientOptions, SenderOptions } from './types.js';

/** The PSK MUST have at least 32 bytes of entropy (RFC 9180 §5.1.2, §9.5). */
export const MIN_PSK_LENGTH = 32;
/** DeriveKeyPair's ikm SHOULD carry Nsk bytes of entropy (RFC 9180 §7.1.3); shorter input cannot. */
export const MIN_IKM_LENGTH = X25519_PARAMS.nsk;

const EMPTY = new Uint8Array(0);

export interface ParsedCommon {
  mode: number;
  info: Uint8Array;
  psk: Uint8Array;
  pskId: Uint8Array;
}

export interface ParsedSender extends ParsedCommon {
  recipientPublicKey: Uint8Array;
  senderKey: KeyPair | undefined;
  ephemeralKeyPair: KeyPair | undefined;
  ikmE: Uint8Array | undefined;
}

export interface ParsedRecipient extends ParsedCommon {
  enc: Uint8Array;
  recipientKey: KeyPair;
  senderPublicKey: Uint8Array | undefined;
}

function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw invalidArgument(name, 'an object', value === null ? 'null' : typeof value);
  }
}

function optionalBytes(value: unknown, name: string, length?: number): Uint8Array | undefined {
  if (value === undefined) return undefined;
  assertBytes(value, name, length);
  return value;
}

/** A raw key pair of the KEM (X25519: 32-byte halves; X-Wing: 32-byte seed, 1216-byte public key). */
export function assertKeyPair(
  value: unknown,
  name: string,
  kem: KemParams = X25519_PARAMS,
): KeyPair {
  assertObject(value, name);
  assertBytes(value.privateKey, `${name}.privateKey`, kem.nsk);
  assertBytes(value.publicKey, `${name}.publicKey`, kem.npk);
  return { privateKey: value.privateKey, publicKey: value.publicKey };
}

/** DeriveKeyPair input: a Uint8Array of at least Nsk bytes. */
export function assertIkm(value: unknown, name: string): Uint8Array {
  assertBytes(value, name);
  if (value.length < MIN_IKM_LENGTH) {
    throw invalidArgument(name, `at least ${MIN_IKM_LENGTH} bytes`, String(value.length));
  }
  return value;
}

function parseCommon(options: Record<string, unknown>, authenticated: boolean): ParsedCommon {
  const info = optionalBytes(options.info, 'info') ?? EMPTY;
  const psk = optionalBytes(options.psk, 'psk');
  const pskId = optionalBytes(options.pskId, 'pskId');
  const withPsk = psk !== undefined || pskId !== undefined;
  const mode = authenticated
    ? withPsk
      ? Mode.AuthPsk
      : Mode.Auth
    : withPsk
      ? Mode.Psk
      : Mode.Base;
  verifyPskInputs(mode, psk ?? EMPTY, pskId ?? EMPTY); // RFC 9180 §5.1
  if (psk !== undefined && psk.length < MIN_PSK_LENGTH) {
    throw invalidArgument('psk', `at least ${MIN_PSK_LENGTH} bytes`, String(psk.length)); // RFC 9180 §5.1.2
  }
  return { mode, info, psk: psk ?? EMPTY, pskId: pskId ?? EMPTY };
}

/** Base mode only for a KEM that defines no other (X-Wing): each mode-selecting option is refused. */
function assertBaseOnly(options: Record<string, unknown>, kem: KemParams, names: string[]): void {
  if (kem.allModes) return;
  for (const name of names) {
    if (options[name] !== undefined) {
      throw invalidArgument(name, `to be omitted: ${kem.name} defines Base mode only`);
    }
  }
}

export function parseSenderOptions(
  options: SenderOptions,
  kem: KemParams = X25519_PARAMS,
): ParsedSender {
  assertObject(options, 'options');
  const o = options as unknown as Record<string, unknown>;
  assertBaseOnly(o, kem, ['senderKey', 'psk', 'pskId', 'ephemeralKeyPair']);
  const recipientPublicKey = options.recipientPublicKey;
  assertBytes(recipientPublicKey, 'recipientPublicKey', kem.npk);
  const senderKey =
    options.senderKey === undefined
      ? undefined
      : assertKeyPair(options.senderKey, 'senderKey', kem);
  const ephemeralKeyPair =
    options.ephemeralKeyPair === undefined
      ? undefined
      : assertKeyPair(options.ephemeralKeyPair, 'ephemeralKeyPair', kem);
  let ikmE: Uint8Array | undefined;
  if (options.ikmE !== undefined && kem.encapRandomness !== undefined) {
    assertBytes(options.ikmE, 'ikmE', kem.encapRandomness); // the KEM's encapsulation randomness
    ikmE = options.ikmE;
  } else if (options.ikmE !== undefined) {
    ikmE = assertIkm(options.ikmE, 'ikmE');
  }
  if (ephemeralKeyPair !== undefined && ikmE !== undefined) {
    throw invalidArgument('ikmE', 'to be omitted when "ephemeralKeyPair" is given');
  }
  const common = parseCommon(
    options as unknown as Record<string, unknown>,
    senderKey !== undefined,
  );
  return { ...common, recipientPublicKey, senderKey, ephemeralKeyPair, ikmE };
}

export function parseRecipientOptions(
  options: RecipientOptions,
  kem: KemParams = X25519_PARAMS,
): ParsedRecipient {
  assertObject(options, 'options');
  assertBaseOnly(options as unknown as Record<string, unknown>, kem, [
    'senderPublicKey',
    'psk',
    'pskId',
  ]);
  const enc = options.enc;
  assertBytes(enc, 'enc', kem.nenc); // RFC 9180 §7.1.1 DeserializePublicKey: Nenc bytes
  const recipientKey = assertKeyPair(options.recipientKey, 'recipientKey', kem);
  const senderPublicKey = optionalBytes(options.senderPublicKey, 'senderPublicKey', kem.npk);
  const common = parseCommon(
    options as unknown as Record<string, unknown>,
    senderPublicKey !== undefined,
  );
  return { ...common, enc, recipientKey, senderPublicKey };
}
