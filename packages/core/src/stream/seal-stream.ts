/**
 * `sealStream`: seals a body of any length as a chunked stream (SPEC.md §7a),
 * in bounded memory. The header goes out first; then every `chunkSize` bytes
 * of plaintext become one chunk record; closing the writable emits the final
 * chunk with the sender's signature over the whole body.
 */
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { SealOptions } from '../envelope/seal.js';
import { MIN_CHUNK_SIZE } from '../wire/header.js';
import { backendOf, contextBytes } from '../envelope/options.js';
import { suiteByName } from '../wire/suites.js';
import {
  checkClaims,
  checkContentType,
  checkRecipients,
  checkSender,
  checkTimesAndId,
} from '../envelope/arguments.js';
import { createChannel } from './channel.js';
import { encodeMeta } from './keys.js';
import { MAX_STREAM_LIMITS, streamLimitsOf, type StreamLimits } from './limits.js';
import { StreamSealer } from './sealer.js';

/** Plaintext bytes per chunk unless the caller chooses (SPEC.md §7a.1). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

export interface SealStreamOptions extends Omit<SealOptions, 'padding' | 'limits'> {
  /** Plaintext bytes per chunk, 1024 to 1048576 (default 65536). The receiver's `maxChunkBytes` must allow it. */
  chunkSize?: number;
  /** §8 limits for the header and arguments, and `maxChunkBytes` / `maxStreamBytes`. */
  limits?: Partial<StreamLimits>;
}

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
  done: Promise<SealStreamResult>;
}

/**
 * Seals what is written to `writable` for `options.recipients`, signed by
 * `options.sender`. Arguments are checked here (throws); key setup runs when
 * the stream starts, and its failures error the stream.
 */
export function sealStream(options: SealStreamOptions): SealStream {
  if (!options || typeof options !== 'object')
    throw invalidArgument('options', 'an options object');
  const b = backendOf(options);
  const limits = streamLimitsOf(options);
  const context = contextBytes(options.context, limits);
  const suite = suiteByName(options.aead);
  const sender = checkSender(options.sender, limits);
  checkContentType(options.contentType, limits);
  const claims = checkClaims(options.claims, limits);
  const recipients = checkRecipients(options.recipients, limits.maxRecipients);
  const { issuedAt, expiresAt, messageId } = checkTimesAndId(options, b);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const maxChunk = MAX_STREAM_LIMITS.maxChunkBytes;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > maxChunk) {
    throw invalidArgument(
      'chunkSize',
      `an integer from ${MIN_CHUNK_SIZE} to ${maxChunk}`,
      String(chunkSize),
    );
  }
  if (chunkSize > limits.maxChunkBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `chunk size ${chunkSize} exceeds maxChunkBytes ${limits.maxChunkBytes}`,
    );
  }
  const meta = encodeMeta(options.sender.name, sender.kid); // placeholder header signature
  if (meta.length > chunkSize) {
    throw invalidArgument(
      'chunkSize',
      `at least the ${meta.length}-byte meta record (sender name, kid and header signature)`,
      String(chunkSize),
    );
  }
  const sealer = new StreamSealer({
    b,
    limits,
    suite,
    context,
    sender,
    meta: { sender: options.sender.name, bytes: meta },
    recipients,
    claims,
    contentType: options.contentType,
    issuedAt,
    expiresAt,
    messageId,
    chunkSize,
  });
  const { readable, writable, result } = createChannel(sealer);
  return { readable, writable, done: result };
}
