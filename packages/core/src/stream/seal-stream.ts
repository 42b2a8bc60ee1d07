/**
 * `sealStream`: seals a body of any length as a chunked stream (SPEC.md §7a),
 * in bounded memory. The header goes out first; then every `chunkSize` bytes
 * of plaintext become one chunk record; closing the writable emits the final
 * chunk with the sender's signature over the whole body.
 */
import { SEAL_OPTION_KEYS, checkSealOptions } from '../envelope/check-seal.js';
import { backendOf, checkArguments, readOptions } from '../envelope/common-options.js';
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import { MIN_CHUNK_SIZE } from '../wire/header.js';
import { createChannel } from './channel.js';
import { encodeMeta } from '../wire/stream-keys.js';
import { MAX_STREAM_LIMITS, streamLimitsOf, type StreamLimits } from './limits.js';
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
  const { b, limits, checked, chunkSize } = checkArguments(() => {
    const o = readOptions<SealStreamOptions>(options, SEAL_STREAM_OPTION_KEYS);
    const b = backendOf(o);
    const limits = streamLimitsOf(o);
    return {
      b,
      limits,
      checked: checkSealOptions(o, limits, b),
      chunkSize: chunkSizeOf(o, limits),
    };
  });
  const meta = encodeMeta(checked.sender.text, checked.sender.kid); // placeholder header signature
  if (meta.length > chunkSize) {
    throw invalidArgument(
      'chunkSize',
      `at least the ${meta.length}-byte meta record (sender name, kid and header signature)`,
      shown(chunkSize),
    );
  }
  const sealer = new StreamSealer({ b, limits, checked, meta, chunkSize });
  const { readable, writable, result } = createChannel(sealer);
  return { readable, writable, result };
}

/** The options `sealStream` reads, each once: `seal`'s less padding, and the chunk size. */
const SEAL_STREAM_OPTION_KEYS = [
  ...SEAL_OPTION_KEYS.filter((k) => k !== 'padding'),
  'chunkSize',
] as const satisfies readonly (keyof SealStreamOptions)[];

/** SPEC.md §7a.1: the chunk size, within the format's range and `maxChunkBytes`. */
function chunkSizeOf(o: Pick<SealStreamOptions, 'chunkSize'>, limits: StreamLimits): number {
  const chunkSize: unknown = o.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : o.chunkSize;
  const maxChunk = MAX_STREAM_LIMITS.maxChunkBytes;
  if (
    !Number.isSafeInteger(chunkSize) ||
    (chunkSize as number) < MIN_CHUNK_SIZE ||
    (chunkSize as number) > maxChunk
  ) {
    throw invalidArgument(
      'chunkSize',
      `an integer from ${MIN_CHUNK_SIZE} to ${maxChunk}`,
      shown(chunkSize),
    );
  }
  if ((chunkSize as number) > limits.maxChunkBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `chunk size ${chunkSize as number} exceeds maxChunkBytes ${limits.maxChunkBytes}`,
    );
  }
  return chunkSize as number;
}
