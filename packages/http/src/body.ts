/**
 * Bounded reading of Web bodies: a body longer than its limit is refused with
 * ERR_LIMIT_EXCEEDED as soon as the limit is passed, before it is held whole.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { concat } from '@blindwire/core/internal';

export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BlindwireError(ErrorCode.LimitExceeded, `${what} exceeds ${limit} bytes`);
    }
    parts.push(value);
  }
  return parts.length === 1 ? parts[0]! : concat(...parts);
}

/**
 * Reads `body` up to `limit` bytes. A body that ends within it comes back
 * whole (`bytes`); a longer one comes back as `rest`, a stream of everything
 * (what was read, then the remainder), without holding more than `limit`
 * plus one chunk.
 */
export async function readPrefix(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<
  { bytes: Uint8Array; rest?: undefined } | { bytes?: undefined; rest: ReadableStream<Uint8Array> }
> {
  if (body === null) return { bytes: new Uint8Array(0) };
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: parts.length === 1 ? parts[0]! : concat(...parts) };
    parts.push(value);
    total += value.length;
    if (total > limit) break;
  }
  const rest = new ReadableStream<Uint8Array>({
    async pull(c) {
      const part = parts.shift();
      if (part !== undefined) return c.enqueue(part);
      const { done, value } = await reader.read();
      if (done) c.close();
      else c.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { rest };
}

/** The media type of a Content-Type value, lowercase, without parameters. */
export function mediaTypeOfHeader(value: string | null): string {
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** A Content-Length header over `limit` (the body is refused before it is read). */
export function declaredOver(value: string | null, limit: number): boolean {
  return value !== null && /^\d+$/.test(value) && Number(value) > limit;
}

/** Request headers never forwarded in the clear: they describe the plaintext body (SPEC.md §11d.2). */
export const BODY_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-md5',
  'digest',
  'content-digest',
  'repr-digest',
];
