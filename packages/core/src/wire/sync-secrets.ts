/**
 * The key schedule of a one-recipient message on a backend's synchronous
 * twin (backend/sync.ts): the same bytes as sender.ts / recipient.ts over
 * the generic HPKE code and keys.ts, without a promise per primitive or an
 * HPKE context object. HPKE here is mode_base, DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, used for Export only (SPEC.md §4.3); every labeled input is
 * hashed from its pieces, never assembled.
 */
import type { SyncPrimitives } from '../backend/sync.js';
import { concat, i2osp, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { Kdf, Kem, Mode } from '../hpke/ids.js';
import { NH, labelPrefix } from '../hpke/kdf.js';
import { KEM_FAILED_MESSAGE } from '../hpke/kem-x25519.js';
import { COMMITMENT_LENGTH, CONTEXT_CHECK_LENGTH, type SuiteIds } from './header.js';
import { LABEL, SECRET_LENGTH } from './keys.js';

const KEM_SUITE_ID = concat(utf8('KEM'), i2osp(Kem.DhkemX25519HkdfSha256, 2)); // RFC 9180 §4.1
const EAE_PRK = labelPrefix(KEM_SUITE_ID, 'eae_prk');
const SHARED_SECRET = labelPrefix(KEM_SUITE_ID, 'shared_secret');
/** RFC 5869 §2.2: an absent salt is Nh zeros (as hpke/kdf.ts passes it). */
const ZERO_SALT = new Uint8Array(NH);
/** I2OSP(32, 2): the L of every 32-byte LabeledExpand (RFC 9180 §4). */
const L32 = i2osp(NH, 2);
/** The HKDF-Expand block counter of T(1) (RFC 5869 §2.3). */
const ONE = Uint8Array.of(1);
const EMPTY = new Uint8Array(0);

/** The label prefixes and key_schedule_context of one HPKE suite. */
interface SuiteSchedule {
  /** RFC 9180 §5.1 key_schedule_context for mode_base, info LABEL.hpkeInfo: public. */
  keyScheduleContext: Uint8Array;
  /** The labeled inputs of the fixed-input steps, in pieces (RFC 9180 §4). */
  secretInput: readonly Uint8Array[];
  expInput: readonly Uint8Array[];
  messageSecretInput: readonly Uint8Array[];
  responseSecretInput: readonly Uint8Array[];
}

/** Per twin (each computes its own hashes) and full suite (kem, kdf, aead ids). */
const schedules = new WeakMap<SyncPrimitives, Map<number, SuiteSchedule>>();

/**
 * The schedule of `ids`, which must be DHKEM(X25519, HKDF-SHA256) and
 * HKDF-SHA256 (the only KEM and KDF this file implements; seal and open take
 * this path for no other suite): anything else throws ERR_HPKE.
 */
function scheduleOf(s: SyncPrimitives, ids: SuiteIds): SuiteSchedule {
  if (ids.kem !== Kem.DhkemX25519HkdfSha256 || ids.kdf !== Kdf.HkdfSha256) {
    throw new BlindwireError(ErrorCode.Hpke, 'the synchronous key schedule is X25519 only');
  }
  let mine = schedules.get(s);
  if (!mine) schedules.set(s, (mine = new Map()));
  const suiteKey = ids.kem * 2 ** 32 + ids.kdf * 2 ** 16 + ids.aead; // three 16-bit ids
  const known = mine.get(suiteKey);
  if (known) return known;
  // RFC 9180 §5.1: suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)
  const suiteId = concat(utf8('HPKE'), i2osp(ids.kem, 2), i2osp(ids.kdf, 2), i2osp(ids.aead, 2));
  // RFC 9180 §5.1: psk_id_hash and info_hash; psk_id is empty in mode_base.
  const pskIdHash = s.hmacSha256(ZERO_SALT, [labelPrefix(suiteId, 'psk_id_hash'), EMPTY]);
  const infoHash = s.hmacSha256(ZERO_SALT, [labelPrefix(suiteId, 'info_hash'), LABEL.hpkeInfo]);
  const keyScheduleContext = concat(Uint8Array.of(Mode.Base), pskIdHash, infoHash);
  const sec = labelPrefix(suiteId, 'sec');
  const schedule: SuiteSchedule = {
    keyScheduleContext,
    // §5.1 LabeledExtract(shared_secret, "secret", psk): psk is empty in mode_base
    secretInput: [labelPrefix(suiteId, 'secret')],
    // §5.1 LabeledExpand(secret, "exp", key_schedule_context, Nh)
    expInput: [L32, labelPrefix(suiteId, 'exp'), keyScheduleContext, ONE],
    // §5.3 Export: LabeledExpand(exporter_secret, "sec", exporter_context, 32)
    messageSecretInput: [L32, sec, LABEL.exportMessageSecret, ONE],
    responseSecretInput: [L32, sec, LABEL.exportResponseSecret, ONE],
  };
  mine.set(suiteKey, schedule);
  return schedule;
}

function kemFailed(): BlindwireError {
  return new BlindwireError(ErrorCode.Hpke, KEM_FAILED_MESSAGE);
}

/** The checks of RFC 9180 §7.1.4 on a DH output (as kem-x25519.ts): all zeros fails. */
function checkedDh(out: Uint8Array): Uint8Array {
  if (!(out instanceof Uint8Array) || out.length !== NH) throw kemFailed();
  let acc = 0;
  for (let i = 0; i < out.length; i++) acc |= out[i]!;
  if (acc === 0) throw kemFailed();
  return out;
}

/** DH with the checks of RFC 9180 §7.1.4: a throw or all zeros fails. */
function dh(s: SyncPrimitives, privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let out: Uint8Array;
  try {
    out = s.x25519(privateKey, publicKey);
  } catch {
    throw kemFailed();
  }
  return checkedDh(out);
}

export interface ExportedSecrets {
  messageSecret: Uint8Array;
  responseSecret: Uint8Array;
}

/**
 * From the DH value: RFC 9180 §4.1 ExtractAndExpand, §5.1 KeySchedule up to
 * exporter_secret, §5.3 Export of the message and response secrets (SPEC.md
 * §4.3). Wipes `dhValue` and every intermediate secret.
 */
function exportSecrets(
  s: SyncPrimitives,
  k: SuiteSchedule,
  dhValue: Uint8Array,
  enc: Uint8Array,
  recipientPublicKey: Uint8Array,
): ExportedSecrets {
  let eaePrk: Uint8Array | undefined;
  let shared: Uint8Array | undefined;
  let secret: Uint8Array | undefined;
  let exporter: Uint8Array | undefined;
  let messageSecret: Uint8Array | undefined;
  try {
    eaePrk = s.hmacSha256(ZERO_SALT, [EAE_PRK, dhValue]); // §4.1 LabeledExtract("", "eae_prk", dh)
    // §4.1 LabeledExpand(eae_prk, "shared_secret", enc || pkRm, Nsecret)
    shared = s.hmacSha256(eaePrk, [L32, SHARED_SECRET, enc, recipientPublicKey, ONE]);
    secret = s.hmacSha256(shared, k.secretInput); // §5.1 "secret"
    exporter = s.hmacSha256(secret, k.expInput); // §5.1 "exp"
    messageSecret = s.hmacSha256(exporter, k.messageSecretInput); // §5.3
    const responseSecret = s.hmacSha256(exporter, k.responseSecretInput); // §5.3
    const out = { messageSecret, responseSecret };
    messageSecret = undefined;
    return out;
  } finally {
    wipe(dhValue, eaePrk, shared, secret, exporter, messageSecret);
  }
}

/** SPEC.md §4.3, sender side, one recipient: enc and the two exported secrets. */
export function senderSecretsSync(
  s: SyncPrimitives,
  ids: SuiteIds,
  recipientPublicKey: Uint8Array,
): ExportedSecrets & { enc: Uint8Array } {
  const k = scheduleOf(s, ids); // before any key is made: X25519 and HKDF-SHA256 only
  // RFC 9180 §4.1 Encap: skE, pkE = GenerateKeyPair(); dh = DH(skE, pkR)
  let ephemeral: { publicKey: Uint8Array; shared: Uint8Array };
  try {
    ephemeral = s.x25519Ephemeral(recipientPublicKey);
  } catch {
    throw kemFailed();
  }
  const dhValue = checkedDh(ephemeral.shared);
  const enc = ephemeral.publicKey; // RFC 9180 §7.1.1: SerializePublicKey is the identity
  return { enc, ...exportSecrets(s, k, dhValue, enc, recipientPublicKey) };
}

/**
 * SPEC.md §4.3, recipient side, an entry without a wrapped secret: RFC 9180
 * §4.1 Decap and the same exports. Throws (the caller reports ERR_OPEN_FAILED).
 */
export function recipientSecretsSync(
  s: SyncPrimitives,
  ids: SuiteIds,
  enc: Uint8Array,
  recipient: { privateKey: Uint8Array; publicKey: Uint8Array },
): ExportedSecrets {
  const k = scheduleOf(s, ids); // before any DH: X25519 and HKDF-SHA256 only
  const dhValue = dh(s, recipient.privateKey, enc);
  return exportSecrets(s, k, dhValue, enc, recipient.publicKey);
}

/** The HKDF-Expand inputs (info || 0x01) of the commitment and the content key (SPEC.md §4.3). */
// Built on first use, not at load: this module is reached from the backend's
// loading (backend/node.ts installs the sync path), possibly before keys.ts
// finished evaluating when a caller's import order makes a cycle.
let commitmentInfo: readonly Uint8Array[] | undefined;
let contentKeyInfo: readonly Uint8Array[] | undefined;

/** HKDF-Expand for L ≤ 32 (keys.ts `expand32`): `input` is info || 0x01, in pieces. */
function expand32(
  s: SyncPrimitives,
  prk: Uint8Array,
  info: readonly Uint8Array[],
  length: number,
): Uint8Array {
  const t = s.hmacSha256(prk, info);
  if (length === SECRET_LENGTH) return t;
  // The rest of T(1) is not output: zeroed, and only a view is handed on (the
  // context check; the content key with AES-128-GCM, whose wipe zeroes the head).
  t.fill(0, length);
  return t.subarray(0, length);
}

/** SPEC.md §4.3: the commitment and the content key (keys.ts `deriveMessageKeys`). */
export function messageKeysSync(
  s: SyncPrimitives,
  messageSecret: Uint8Array,
  keyLength: number,
): { commitment: Uint8Array; contentKey: Uint8Array } {
  commitmentInfo ??= [LABEL.commitment, ONE];
  contentKeyInfo ??= [LABEL.contentKey, ONE];
  const commitment = expand32(s, messageSecret, commitmentInfo, COMMITMENT_LENGTH);
  return { commitment, contentKey: expand32(s, messageSecret, contentKeyInfo, keyLength) };
}

/** SPEC.md §4.3: the context check value (keys.ts `contextCheck`). */
export function contextCheckSync(
  s: SyncPrimitives,
  contextKey: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  return expand32(s, contextKey, [LABEL.contextCheck, context, ONE], CONTEXT_CHECK_LENGTH);
}
