/**
 * `openStream`: the recipient's side of a stream (SPEC.md §7a.5, checks in
 * the order they run). Each chunk's plaintext is released only after its tag
 * verified, and chunk 0's only after the sender's key, the allowed senders,
 * the context and the replay guard accepted it; the signature over the whole
 * body is verified at the final chunk. Until `result` resolves, what was
 * read is unverified: a consumer must not act on it before then.
 */
import { checkOpenOptions } from '../envelope/check-open.js';
import { backendOf } from '../envelope/common-options.js';
import { invalidArgument } from '../errors.js';
import { createChannel } from './channel.js';
import { streamLimitsOf } from './limits.js';
import type { OpenStream, OpenStreamOptions } from './open-stream-options.js';
import { StreamOpener } from './opener.js';

/** Opens a stream addressed to one of `options.recipient`, verifying the sender. */
export function openStream(options: OpenStreamOptions): OpenStream {
  if (!options || typeof options !== 'object')
    throw invalidArgument('options', 'an options object');
  const b = backendOf(options);
  const limits = streamLimitsOf(options);
  const policy = checkOpenOptions(options, limits);
  const { readable, writable, result } = createChannel(new StreamOpener({ b, limits, policy }));
  return { readable, writable, result };
}
