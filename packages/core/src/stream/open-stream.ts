/**
 * `openStream`: the recipient's side of a stream (SPEC.md §7a.5, checks in
 * the order they run). Each chunk's plaintext is released only after its tag
 * verified, and chunk 0's only after the sender's key, the allowed senders,
 * the context and the replay guard accepted it; the signature over the whole
 * body is verified at the final chunk. Until `result` resolves, what was
 * read is unverified: a consumer must not act on it before then.
 */
import { OPEN_OPTION_KEYS, checkOpenOptions } from '../envelope/check-open.js';
import { backendOf, checkArguments, readOptions } from '../envelope/common-options.js';
import { openFailed } from '../errors.js';
import { createChannel } from './channel.js';
import { streamLimitsOf } from './limits.js';
import type { OpenStream, OpenStreamOptions } from './open-stream-options.js';
import { StreamOpener } from './opener.js';

/** Opens a stream addressed to one of `options.recipient`, verifying the sender. */
export function openStream(options: OpenStreamOptions): OpenStream {
  const { b, limits, policy } = checkArguments(() => {
    const o = readOptions<OpenStreamOptions>(options, OPEN_OPTION_KEYS);
    const b = backendOf(o);
    const limits = streamLimitsOf(o);
    return { b, limits, policy: checkOpenOptions(o, limits, b) };
  });
  // SPEC.md §7a.6: the stream's one ERR_OPEN_FAILED, built before any check
  // runs, so that its stack holds the caller's frames only.
  const failed = openFailed();
  const opener = new StreamOpener({ b, limits, policy, failed });
  const { readable, writable, result } = createChannel(opener);
  return { readable, writable, result };
}
