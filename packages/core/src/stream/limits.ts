/**
 * The limits of a stream (SPEC.md §7a.7): the envelope limits of §8 that
 * apply to its header, plus the chunk size and the total stream size.
 * `maxEnvelopeBytes` does not apply to streams; `maxStreamBytes` does.
 */
import { invalidArgument, shown } from '../errors.js';
import type { Limits } from '../limits.js';
import { isOptionsObject, limitsOf, readOnce } from '../envelope/common-options.js';

export interface StreamLimits extends Limits {
  /** Largest chunk size a stream header may name, bytes. Default and ceiling 1 MiB. */
  maxChunkBytes: number;
  /** Every byte of a stream (prefix, header, chunk records). Default 16 GiB. */
  maxStreamBytes: number;
}

type StreamOnly = Pick<StreamLimits, 'maxChunkBytes' | 'maxStreamBytes'>;

/**
 * The default stream limits (SPEC.md §7a.7): the largest chunk and the largest stream a receiver
 * accepts.
 */
export const DEFAULT_STREAM_LIMITS: Readonly<StreamOnly> = Object.freeze({
  maxChunkBytes: 1024 * 1024,
  maxStreamBytes: 16 * 1024 ** 3,
});

/** Absolute ceilings of the stream-only limits. */
export const MAX_STREAM_LIMITS: Readonly<StreamOnly> = Object.freeze({
  maxChunkBytes: 1024 * 1024,
  maxStreamBytes: Number.MAX_SAFE_INTEGER,
});

/** The caller's limits: §8 ones through `limitsOf`, stream ones checked here. */
export function streamLimitsOf(o: { limits?: Partial<StreamLimits> } | undefined): StreamLimits {
  const given: unknown = o?.limits === undefined ? {} : o.limits;
  if (!isOptionsObject(given)) throw invalidArgument('limits', 'an object of limits', shown(given));
  const names = Object.keys(MAX_STREAM_LIMITS) as (keyof StreamOnly)[];
  const out: StreamLimits = { ...limitsOf({ limits: given }, names), ...DEFAULT_STREAM_LIMITS };
  for (const k of names) {
    const v = readOnce(given, k, `limits.${k}`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_STREAM_LIMITS[k]) {
      throw invalidArgument(
        `limits.${k}`,
        `an integer from 1 to ${MAX_STREAM_LIMITS[k]}`,
        shown(v),
      );
    }
    out[k] = v;
  }
  return out;
}
