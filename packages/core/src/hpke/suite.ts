/**
 * `createSuite`: an HPKE ciphersuite (RFC 9180 §5.1 suite_id) with the
 * SetupS/SetupR functions of §5.1.1-§5.1.4 and the single-shot Seal/Open and
 * SendExport/ReceiveExport of §6. Crypto goes through the CryptoBackend given
 * in the options, else the process default at call time.
 */
import { getDefaultBackend } from '../backend/index.js';
import type { CryptoBackend } from '../backend/types.js';
import { concat, i2osp, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { hideKeyPair } from '../identity/redact.js';
import { aeadParams, type AeadParams } from './aead.js';
import { RecipientContextImpl, SenderContextImpl } from './context.js';
import { type AeadId, formatId, Kdf, type KdfId, Kem, type KemId } from './ids.js';
import {
  keySchedule,
  keyScheduleLabels,
  type KeyMaterial,
  type KeyScheduleLabels,
} from './key-schedule.js';
import { kemOps, xwing, type KemOps } from './kem.js';
import {
  assertIkm,
  parseRecipientOptions,
  parseSenderOptions,
  type ParsedCommon,
} from './options.js';
import type { RecipientOptions, SenderOptions, Suite } from './types.js';

const HPKE = utf8('HPKE');

function unsupportedSuite(what: string, id: unknown): never {
  throw new BlindwireError(
    ErrorCode.UnsupportedSuite,
    `unsupported HPKE ${what} id ${formatId(id)}`,
  );
}

/**
 * An RFC 9180 cipher suite of the given KEM, KDF and AEAD identifiers, on the default or the given
 * backend; unsupported identifiers are `ERR_UNSUPPORTED_SUITE`.
 */
export function createSuite(
  params: { kem: KemId; kdf: KdfId; aead: AeadId },
  options?: { backend?: CryptoBackend },
): Suite {
  if (typeof params !== 'object' || params === null) throw invalidArgument('params', 'an object');
  const { kem, kdf } = params;
  const kemImpl = kemOps(kem) ?? unsupportedSuite('KEM', kem);
  // SHAKE256 (one-stage schedule) is implemented with X-Wing only, as draft-ietf-hpke-pq-04 tests it.
  if (kdf !== Kdf.HkdfSha256 && !(kdf === Kdf.Shake256 && kem === Kem.XWing))
    unsupportedSuite('KDF', kdf);
  const aead = aeadParams(params.aead) ?? unsupportedSuite('AEAD', params.aead);
  // RFC 9180 §5.1: suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2))
  const suiteId = concat(HPKE, i2osp(kem, 2), i2osp(kdf, 2), i2osp(aead.id, 2));
  const labels = keyScheduleLabels(suiteId);
  const fixedBackend = options?.backend;
  const backendNow = (): CryptoBackend => fixedBackend ?? getDefaultBackend();

  const keys: SuiteKeys = {
    labels,
    aead,
    kem: kemImpl,
    ...(kdf === Kdf.Shake256 ? { oneStageSuiteId: suiteId.slice() } : {}),
  };
  const setupSender = (o: SenderOptions) => setupSenderWith(backendNow(), keys, o);
  const setupRecipient = (o: RecipientOptions) => setupRecipientWith(backendNow(), keys, o);

  const suite: Suite = {
    kem,
    kdf,
    aead: aead.id,
    suiteId: suiteId.slice(),
    generateKeyPair: async () => hideKeyPair(await kemImpl.generateKeyPair(backendNow())),
    // RFC 9180 §7.1.3; draft-ietf-hpke-pq-04 §3 for X-Wing
    deriveKeyPair: async (ikm) =>
      hideKeyPair(await kemImpl.deriveKeyPair(backendNow(), assertIkm(ikm, 'ikm'))),
    setupSender,
    setupRecipient,
    // RFC 9180 §6.1 Seal<MODE>
    async seal(o, plaintext, aad) {
      const { enc, context } = await setupSender(o);
      try {
        return { enc, ciphertext: await context.seal(plaintext, aad) };
      } finally {
        context.dispose();
      }
    },
    // RFC 9180 §6.1 Open<MODE>
    async open(o, ciphertext, aad) {
      const context = await setupRecipient(o);
      try {
        return await context.open(ciphertext, aad);
      } finally {
        context.dispose();
      }
    },
    // RFC 9180 §6.2 SendExport<MODE>
    async sendExport(o, exporterContext, length) {
      const { enc, context } = await setupSender(o);
      try {
        return { enc, exported: await context.export(exporterContext, length) };
      } finally {
        context.dispose();
      }
    },
    // RFC 9180 §6.2 ReceiveExport<MODE>
    async receiveExport(o, exporterContext, length) {
      const context = await setupRecipient(o);
      try {
        return await context.export(exporterContext, length);
      } finally {
        context.dispose();
      }
    },
  };
  return Object.freeze(suite);
}

/** What the set-up functions need of a suite: its labels, its AEAD and its KEM. */
interface SuiteKeys {
  labels: KeyScheduleLabels;
  aead: AeadParams;
  kem: KemOps;
  /** Set for a single-stage KDF (SHAKE256): the suite_id of its LabeledDerive. */
  oneStageSuiteId?: Uint8Array;
}

/** RFC 9180 §5.1 KeySchedule on a KEM shared secret, which is wiped whatever happens. */
async function scheduleKeys(
  backend: CryptoBackend,
  { labels, aead, oneStageSuiteId }: Omit<SuiteKeys, 'kem'>,
  p: ParsedCommon,
  sharedSecret: Uint8Array,
): Promise<KeyMaterial> {
  try {
    if (oneStageSuiteId) {
      // Registered with the X-Wing KEM (kem.ts): classical bundles hold no SHA-3.
      const { oneStageSchedule } = await xwing();
      return oneStageSchedule(oneStageSuiteId, aead, p.mode, sharedSecret, p.info, p.psk, p.pskId);
    }
    return await keySchedule(backend, labels, aead, p.mode, sharedSecret, p.info, p.psk, p.pskId);
  } finally {
    wipe(sharedSecret);
  }
}

/** RFC 9180 §5.1.1-§5.1.4 SetupBaseS / SetupPSKS / SetupAuthS / SetupAuthPSKS. */
async function setupSenderWith(
  backend: CryptoBackend,
  keys0: SuiteKeys,
  o: SenderOptions,
): Promise<{ enc: Uint8Array; context: SenderContextImpl }> {
  const { labels, aead, kem } = keys0;
  const p = parseSenderOptions(o, kem.params);
  const { sharedSecret, enc } = await kem.encap(backend, p); // RFC 9180 §4.1
  const keys = await scheduleKeys(backend, keys0, p, sharedSecret);
  return { enc, context: new SenderContextImpl(backend, aead, p.mode, keys, labels.sec) };
}

/** RFC 9180 §5.1.1-§5.1.4 SetupBaseR / SetupPSKR / SetupAuthR / SetupAuthPSKR. */
async function setupRecipientWith(
  backend: CryptoBackend,
  keys0: SuiteKeys,
  o: RecipientOptions,
): Promise<RecipientContextImpl> {
  const { labels, aead, kem } = keys0;
  const p = parseRecipientOptions(o, kem.params);
  const sharedSecret = await kem.decap(backend, p.enc, p.recipientKey, p.senderPublicKey); // RFC 9180 §4.1
  const keys = await scheduleKeys(backend, keys0, p, sharedSecret);
  return new RecipientContextImpl(backend, aead, p.mode, keys, labels.sec);
}
