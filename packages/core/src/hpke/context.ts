/**
 * HPKE encryption contexts (RFC 9180 §5.2) and the secret export interface
 * (§5.3). Seal and Open on one context run strictly one at a time in call
 * order, so concurrent calls can never share a nonce, and the sequence
 * number advances only after a successful AEAD operation. Key material and
 * the sequence number live in private fields; tests reach the sequence
 * number only through `sequenceOf` (re-exported by testing.ts, not index.ts).
 */
import type { AeadAlgorithm, CryptoBackend } from '../backend/types.js';
import { assertBytes } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, openFailed } from '../errors.js';
import type { AeadParams } from './aead.js';
import { labeledExpand, MAX_EXPAND_LENGTH } from './kdf.js';
import type { KeyMaterial } from './key-schedule.js';
import { Sequence } from './sequence.js';
import type { RecipientContext, SenderContext } from './types.js';

const EMPTY = new Uint8Array(0);
const noop = (): void => undefined;

function exportOnly(operation: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.Unsupported,
    `${operation} is not available with the export-only AEAD (RFC 9180 §5.3)`,
  );
}

function sequenceOverflow(): BlindwireError {
  return new BlindwireError(
    ErrorCode.SequenceOverflow,
    'HPKE sequence number would overflow (RFC 9180 §5.2)',
  );
}

/** One AEAD call with the context's key and the nonce for the current seq; undefined means failure. */
type AeadStep<T> = (
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
) => Promise<T | undefined>;

/** Runs one Seal/Open step (module-private; set in ContextBase's static block). */
let step: <T>(
  context: ContextBase,
  operation: string,
  run: AeadStep<T>,
  onFailure: () => Error,
) => Promise<T>;

/** The sequence number of a context (test hook; see testing.ts). */
export let sequenceOf: (context: SenderContext | RecipientContext) => Sequence;

/** State and Export shared by both roles. */
abstract class ContextBase {
  readonly mode: number;
  readonly #backend: CryptoBackend;
  readonly #aead: AeadParams;
  readonly #keys: KeyMaterial;
  readonly #secLabel: Uint8Array;
  readonly #sequence = new Sequence();
  #tail: Promise<unknown> = Promise.resolve();
  #disposed = false;

  static {
    sequenceOf = (context) => {
      if (!(context instanceof ContextBase)) throw new TypeError('not a Blindwire HPKE context');
      return context.#sequence;
    };
    step = (context, operation, run, onFailure) => {
      const algorithm = context.#aead.algorithm;
      if (algorithm === undefined) return Promise.reject(exportOnly(operation));
      // Queue behind every earlier Seal/Open on this context.
      const result = context.#tail.then(async () => {
        if (context.#disposed) throw disposedError();
        const seq = context.#sequence;
        // RFC 9180 §5.2: IncrementSeq raises once seq ≥ 2^(8*Nn) - 1, so nothing
        // is ever released at that seq; checking first skips the AEAD call.
        if (seq.exhausted) throw sequenceOverflow();
        const { key, baseNonce } = await context.#keys.aeadKeys();
        const nonce = seq.nonce(baseNonce); // RFC 9180 §5.2 ComputeNonce
        const out = await run(algorithm, key, nonce);
        if (out === undefined) throw onFailure(); // seq unchanged
        seq.increment(); // RFC 9180 §5.2 IncrementSeq
        return out;
      });
      context.#tail = result.then(noop, noop);
      return result;
    };
  }

  constructor(
    backend: CryptoBackend,
    aead: AeadParams,
    mode: number,
    keys: KeyMaterial,
    secLabel: Uint8Array,
  ) {
    this.#backend = backend;
    this.#aead = aead;
    this.mode = mode;
    this.#keys = keys;
    this.#secLabel = secLabel;
  }

  protected get backend(): CryptoBackend {
    return this.#backend;
  }

  protected get tagLength(): number {
    return this.#aead.nt;
  }

  /** RFC 9180 §5.3 Context.Export(exporter_context, L). */
  async export(exporterContext: Uint8Array, length: number): Promise<Uint8Array> {
    assertBytes(exporterContext, 'exporterContext');
    if (this.#disposed) throw disposedError();
    if (!Number.isInteger(length) || length < 0 || length > MAX_EXPAND_LENGTH) {
      // RFC 9180 §5.3: L ≤ 255 * Nh
      throw invalidArgument('length', `an integer from 0 to ${MAX_EXPAND_LENGTH}`, String(length));
    }
    // The one-stage schedule's own exporter (draft-ietf-hpke-hpke: LabeledDerive).
    if (this.#keys.export) return this.#keys.export(exporterContext, length);
    // RFC 9180 §5.3: LabeledExpand(exporter_secret, "sec", exporter_context, L)
    return labeledExpand(
      this.#backend,
      this.#keys.exporterSecret,
      this.#secLabel,
      exporterContext,
      length,
    );
  }

  /** Zeroes the key material; every later Seal, Open or Export throws. */
  dispose(): void {
    this.#disposed = true;
    this.#keys.wipe();
  }
}

export class SenderContextImpl extends ContextBase implements SenderContext {
  /** RFC 9180 §5.2 ContextS.Seal(aad, pt). */
  async seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Uint8Array> {
    assertBytes(plaintext, 'plaintext');
    assertBytes(aad, 'aad');
    const backend = this.backend;
    return step(
      this,
      'seal',
      async (algorithm, key, nonce) => {
        try {
          return await backend.aeadSeal(algorithm, key, nonce, plaintext, aad);
        } catch {
          return undefined;
        }
      },
      () => new BlindwireError(ErrorCode.Hpke, 'HPKE seal failed'),
    );
  }
}

export class RecipientContextImpl extends ContextBase implements RecipientContext {
  /** RFC 9180 §5.2 ContextR.Open(aad, ct); every failure is ERR_OPEN_FAILED and leaves seq unchanged. */
  async open(ciphertext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Uint8Array> {
    assertBytes(ciphertext, 'ciphertext');
    assertBytes(aad, 'aad');
    const backend = this.backend;
    const tooShort = ciphertext.length < this.tagLength;
    return step(
      this,
      'open',
      async (algorithm, key, nonce) => {
        if (tooShort) return undefined;
        try {
          return await backend.aeadOpen(algorithm, key, nonce, ciphertext, aad);
        } catch {
          return undefined; // a throwing backend is reported like a bad tag
        }
      },
      openFailed,
    );
  }
}

export type ContextImpl = SenderContextImpl | RecipientContextImpl;

function disposedError(): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, 'the HPKE context was disposed');
}
