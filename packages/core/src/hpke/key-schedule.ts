/**
 * The HPKE key schedule of RFC 9180 §5.1: VerifyPSKInputs and KeySchedule,
 * turning the KEM shared secret, info and PSK into the AEAD key, base nonce
 * and exporter secret. Label prefixes are computed once per suite.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import type { AeadParams } from './aead.js';
import { Mode } from './ids.js';
import { labeledExpand, labeledExtract, labelPrefix, NH } from './kdf.js';

/** The label prefixes of one suite ("HPKE-v1" || suite_id || label, RFC 9180 §4). */
export interface KeyScheduleLabels {
  readonly pskIdHash: Uint8Array;
  readonly infoHash: Uint8Array;
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly exp: Uint8Array;
  /** Used by Context.Export (RFC 9180 §5.3). */
  readonly sec: Uint8Array;
}

/**
 * What a context keeps (RFC 9180 §5.1). The AEAD key and base nonce are
 * derived on the first Seal or Open, so a context used only for Export (as
 * the envelope's one-recipient path is) never computes them.
 */
export interface KeyMaterial {
  exporterSecret: Uint8Array;
  /** key and base_nonce, derived once on first use; `secret` is wiped then. */
  aeadKeys(): Promise<{ key: Uint8Array; baseNonce: Uint8Array }>;
  /** Wipes every secret held, derived or not. */
  wipe(): void;
  /** Context.Export when it is not RFC 9180's LabeledExpand (the one-stage schedule). */
  export?(exporterContext: Uint8Array, length: number): Promise<Uint8Array>;
}

/** Every value KeySchedule computes, for known-answer tests. */
export interface KeyScheduleValues {
  keyScheduleContext: Uint8Array;
  secret: Uint8Array;
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function keyScheduleLabels(suiteId: Uint8Array): KeyScheduleLabels {
  return {
    pskIdHash: labelPrefix(suiteId, 'psk_id_hash'),
    infoHash: labelPrefix(suiteId, 'info_hash'),
    secret: labelPrefix(suiteId, 'secret'),
    key: labelPrefix(suiteId, 'key'),
    baseNonce: labelPrefix(suiteId, 'base_nonce'),
    exp: labelPrefix(suiteId, 'exp'),
    sec: labelPrefix(suiteId, 'sec'),
  };
}

function pskError(message: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, message);
}

/**
 * RFC 9180 §5.1 VerifyPSKInputs. default_psk and default_psk_id are the empty
 * string, so an empty psk or pskId counts as not given.
 */
export function verifyPskInputs(mode: number, psk: Uint8Array, pskId: Uint8Array): void {
  const gotPsk = psk.length !== 0;
  const gotPskId = pskId.length !== 0;
  if (gotPsk !== gotPskId) {
    throw pskError(
      '"psk" and "pskId" must both be given, non-empty, or both be omitted (RFC 9180 §5.1)',
    );
  }
  if (gotPsk && (mode === Mode.Base || mode === Mode.Auth)) {
    throw pskError('"psk" given but the mode takes no PSK (RFC 9180 §5.1)');
  }
  if (!gotPsk && (mode === Mode.Psk || mode === Mode.AuthPsk)) {
    throw pskError('"psk" and "pskId" are required in the PSK modes (RFC 9180 §5.1)');
  }
}

/**
 * key_schedule_context depends only on public inputs (mode, info, psk_id), so
 * it is cached per suite for the common case of a fixed info and no PSK.
 */
const contextCache = new WeakMap<KeyScheduleLabels, Map<string, Uint8Array>>();
const CACHE_ENTRIES = 32;
const CACHE_INFO_BYTES = 256;

async function keyScheduleContextOf(
  backend: CryptoBackend,
  labels: KeyScheduleLabels,
  mode: number,
  info: Uint8Array,
  pskId: Uint8Array,
): Promise<Uint8Array> {
  const cacheable = pskId.length === 0 && info.length <= CACHE_INFO_BYTES;
  let cache: Map<string, Uint8Array> | undefined;
  let id = '';
  if (cacheable) {
    cache = contextCache.get(labels);
    if (!cache) contextCache.set(labels, (cache = new Map()));
    id = String.fromCharCode(mode, ...info);
    const hit = cache.get(id);
    if (hit) return hit;
  }
  const pskIdHash = await labeledExtract(backend, EMPTY, labels.pskIdHash, pskId); // RFC 9180 §5.1
  const infoHash = await labeledExtract(backend, EMPTY, labels.infoHash, info); // RFC 9180 §5.1
  // RFC 9180 §5.1: key_schedule_context = concat(mode, psk_id_hash, info_hash)
  const ksc = concat(Uint8Array.of(mode), pskIdHash, infoHash);
  if (cache) {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(id, ksc);
  }
  return ksc;
}

async function aeadKeysOf(
  backend: CryptoBackend,
  labels: KeyScheduleLabels,
  aead: AeadParams,
  secret: Uint8Array,
  keyScheduleContext: Uint8Array,
): Promise<{ key: Uint8Array; baseNonce: Uint8Array }> {
  // RFC 9180 §5.1; the export-only AEAD has Nk = Nn = 0, so key and base_nonce are empty.
  const key =
    aead.nk === 0
      ? EMPTY
      : await labeledExpand(backend, secret, labels.key, keyScheduleContext, aead.nk);
  const baseNonce =
    aead.nn === 0
      ? EMPTY
      : await labeledExpand(backend, secret, labels.baseNonce, keyScheduleContext, aead.nn);
  return { key, baseNonce };
}

/** RFC 9180 §5.1 KeySchedule up to exporter_secret: what every context needs. */
async function scheduleSecrets(
  backend: CryptoBackend,
  labels: KeyScheduleLabels,
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  psk: Uint8Array,
  pskId: Uint8Array,
) {
  verifyPskInputs(mode, psk, pskId); // RFC 9180 §5.1
  const keyScheduleContext = await keyScheduleContextOf(backend, labels, mode, info, pskId);
  const secret = await labeledExtract(backend, sharedSecret, labels.secret, psk); // RFC 9180 §5.1
  const exporterSecret = await labeledExpand(backend, secret, labels.exp, keyScheduleContext, NH); // RFC 9180 §5.1
  return { keyScheduleContext, secret, exporterSecret };
}

/** RFC 9180 §5.1 KeySchedule, returning every intermediate value. The caller wipes `secret`. */
export async function keyScheduleValues(
  backend: CryptoBackend,
  labels: KeyScheduleLabels,
  aead: AeadParams,
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  psk: Uint8Array,
  pskId: Uint8Array,
): Promise<KeyScheduleValues> {
  const v = await scheduleSecrets(backend, labels, mode, sharedSecret, info, psk, pskId);
  const { key, baseNonce } = await aeadKeysOf(
    backend,
    labels,
    aead,
    v.secret,
    v.keyScheduleContext,
  );
  return { ...v, key, baseNonce };
}

/** RFC 9180 §5.1 KeySchedule: the context's key material, AEAD keys derived on first use. */
export async function keySchedule(
  backend: CryptoBackend,
  labels: KeyScheduleLabels,
  aead: AeadParams,
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  psk: Uint8Array,
  pskId: Uint8Array,
): Promise<KeyMaterial> {
  const { keyScheduleContext, secret, exporterSecret } = await scheduleSecrets(
    backend,
    labels,
    mode,
    sharedSecret,
    info,
    psk,
    pskId,
  );
  let derived: Promise<{ key: Uint8Array; baseNonce: Uint8Array }> | undefined;
  let wiped = false;
  return {
    exporterSecret,
    aeadKeys() {
      derived ??= aeadKeysOf(backend, labels, aead, secret, keyScheduleContext).finally(() =>
        wipe(secret),
      );
      return derived;
    },
    wipe() {
      if (wiped) return;
      wiped = true;
      wipe(secret, exporterSecret);
      void derived?.then((k) => wipe(k.key, k.baseNonce), noop);
    },
  };
}

const noop = (): void => undefined;
