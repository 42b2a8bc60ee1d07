/**
 * `sealStream`: seals a body of any length as a chunked stream (SPEC.md §7a),
 * in bounded memory. The header goes out first; then every `chunkSize` bytes
 * of plaintext become one chunk record; closing the writable emits the final
 * chunk with the sender's signature over the whole body.
 */
import { checkSealOptions } from '../envelope/check-seal.js';
import { backendOf } from '../envelope/common-options.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { MIN_CHUNK_SIZE } from '../wire/header.js';
import { createChannel } from './channel.js';
import { encodeMeta } from '../wire/stream-keys.js';
import { MAX_STREAM_LIMITS, streamLimitsOf } from './limits.js';
import type { SealStream, SealStreamOptions } from './seal-stream-options.js';
import { StreamSealer } from './sealer.js';

/** Plaintext bytes per chunk unless the caller chooses (SPEC.md §7a.1). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

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
  const checked = checkSealOptions(options, limits, b);
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
  const meta = encodeMeta(checked.sender.text, checked.sender.kid); // placeholder header signature
  if (meta.length > chunkSize) {
    throw invalidArgument(
      'chunkSize',
      `at least the ${meta.length}-byte meta record (sender name, kid and header signature)`,
      String(chunkSize),
    );
  }
  const sealer = new StreamSealer({ b, limits, checked, meta, chunkSize });
  const { readable, writable, result } = createChannel(sealer);
  return { readable, writable, result };
}
