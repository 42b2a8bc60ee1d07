/** The options and the result of `sealStream` (SPEC.md §7a). */
import type { SealOptions } from '../envelope/seal-options.js';
import type { StreamLimits } from './limits.js';

/** Options of `sealStream`: those of `seal`, with the chunk size and stream limits (SPEC.md §7a). */
export interface SealStreamOptions extends Omit<SealOptions, 'padding' | 'limits'> {
  /** Plaintext bytes per chunk, 1024 to 1048576 (default 65536). The receiver's `maxChunkBytes` must allow it. */
  chunkSize?: number;
  /** §8 limits for the header and arguments, and `maxChunkBytes` / `maxStreamBytes`. */
  limits?: Partial<StreamLimits>;
}

/** What `sealStream`'s `result` resolves with once the whole stream is sealed. */
export interface SealStreamResult {
  /** The message id, 32 hex digits. */
  messageId: string;
  issuedAt: number;
  expiresAt: number;
  chunkSize: number;
  /** Body bytes written to the writable. */
  bodyBytes: number;
  /** Bytes of the sealed stream (what the readable produced). */
  streamBytes: number;
}

/** A `{ readable, writable }` pair (fits `pipeThrough`) and the result once the stream has ended. */
export interface SealStream {
  /** Write the body here, in writes of any size; close it to end the stream. */
  writable: WritableStream<Uint8Array>;
  /** The sealed stream: the header first, then one record per chunk. */
  readable: ReadableStream<Uint8Array>;
  /** Resolves once the final chunk is out; rejects with the error that ended the stream. */
  result: Promise<SealStreamResult>;
}
