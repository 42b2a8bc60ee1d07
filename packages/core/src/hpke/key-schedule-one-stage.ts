/**
 * The one-stage key schedule of draft-ietf-hpke-hpke for a single-stage KDF,
 * here SHAKE256 (KDF id 0x0011, Nh = 64), as draft-ietf-hpke-pq-04 uses it
 * with X-Wing: LabeledDerive, CombineSecrets_OneStage and the exporter.
 * SHAKE256 is @noble/hashes on every backend (none exposes it).
 */
import { shake256 } from '@noble/hashes/sha3.js';
import { concat, i2osp, utf8, wipe } from '../bytes.js';
import type { AeadParams } from './aead.js';
import type { KeyMaterial } from './key-schedule.js';
import { verifyPskInputs } from './key-schedule.js';

/** Nh of SHAKE256 (draft-ietf-hpke-hpke, KDF 0x0011). */
export const SHAKE256_NH = 64;

const HPKE_V1 = utf8('HPKE-v1');
const SECRET = utf8('secret');
const SEC = utf8('sec');

/**
 * LabeledDerive(ikm, label, context, L) = SHAKE256(ikm || "HPKE-v1" ||
 * suite_id || I2OSP(len(label), 2) || label || I2OSP(L, 2) || context, L)
 * (draft-ietf-hpke-hpke, single-stage KDFs).
 */
export function labeledDerive(
  suiteId: Uint8Array,
  ikm: Uint8Array,
  label: Uint8Array,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const input = concat(
    ikm,
    HPKE_V1,
    suiteId,
    i2osp(label.length, 2),
    label,
    i2osp(length, 2),
    context,
  );
  try {
    return shake256(input, { dkLen: length });
  } finally {
    wipe(input);
  }
}

/** lengthPrefixed(x) = I2OSP(len(x), 2) || x (draft-ietf-hpke-hpke). */
const lengthPrefixed = (x: Uint8Array): Uint8Array => concat(i2osp(x.length, 2), x);

/**
 * CombineSecrets_OneStage (draft-ietf-hpke-hpke): key || base_nonce ||
 * exporter_secret = LabeledDerive(lengthPrefixed(psk) ||
 * lengthPrefixed(shared_secret), "secret", I2OSP(mode, 1) ||
 * lengthPrefixed(psk_id) || lengthPrefixed(info), Nk + Nn + Nh). Exports are
 * LabeledDerive(exporter_secret, "sec", exporter_context, L).
 */
export function oneStageSchedule(
  suiteId: Uint8Array,
  aead: AeadParams,
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  psk: Uint8Array,
  pskId: Uint8Array,
): KeyMaterial {
  verifyPskInputs(mode, psk, pskId);
  const ikm = concat(lengthPrefixed(psk), lengthPrefixed(sharedSecret));
  const context = concat(Uint8Array.of(mode), lengthPrefixed(pskId), lengthPrefixed(info));
  let all: Uint8Array;
  try {
    all = labeledDerive(suiteId, ikm, SECRET, context, aead.nk + aead.nn + SHAKE256_NH);
  } finally {
    wipe(ikm);
  }
  const key = all.slice(0, aead.nk);
  const baseNonce = all.slice(aead.nk, aead.nk + aead.nn);
  const exporterSecret = all.slice(aead.nk + aead.nn);
  wipe(all);
  return {
    exporterSecret,
    aeadKeys: () => Promise.resolve({ key, baseNonce }),
    export: (exporterContext, length) =>
      Promise.resolve(labeledDerive(suiteId, exporterSecret, SEC, exporterContext, length)),
    wipe() {
      wipe(key, baseNonce, exporterSecret);
    },
  };
}
