/**
 * One way to send raw commands through either client (SPEC.md §7b): ioredis
 * (`callBuffer`) or node-redis (`sendCommand` with bulk strings mapped to
 * Buffers), told apart by shape. Replies come back binary-safe: every bulk string a Buffer, so an
 * envelope is never decoded as text on the way. Client errors are wrapped as
 * ERR_TRANSPORT with the cause.
 */
import { BlindwireError, ErrorCode, isBlindwireError } from '@blindwire/core';
import type { IoRedisLike, NodeRedisLike, RedisArg, RedisClientLike } from './types.js';

/** RESP's bulk string type byte (`$`): node-redis maps it to Buffer under this key. */
const RESP_BLOB_STRING = 36;

export interface Wire {
  /** One command; its reply with bulk strings as Buffers. */
  call(args: RedisArg[]): Promise<unknown>;
}

/** A client error as ERR_TRANSPORT with its cause; a BlindwireError passes unchanged. */
export function transportError(what: string, e: unknown): BlindwireError {
  if (isBlindwireError(e)) return e;
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause: e });
}

/** The wire of `client`: ioredis when it has `callBuffer`, node-redis when it has `sendCommand`. */
export function wireOf(client: RedisClientLike): Wire {
  const c = (client ?? {}) as Partial<IoRedisLike & NodeRedisLike>;
  if (typeof c.callBuffer === 'function' && typeof c.multi === 'function') {
    const io = client as IoRedisLike;
    return { call: ([cmd, ...args]) => io.callBuffer(String(cmd), args) };
  }
  if (typeof c.sendCommand === 'function' && typeof c.multi === 'function') {
    const nr = client as NodeRedisLike;
    const typeMapping = { [RESP_BLOB_STRING]: Buffer };
    return { call: (args) => nr.sendCommand(args, { typeMapping }) };
  }
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    '"client" expected a connected ioredis (5.4+, 6) or node-redis (5, 6) client',
  );
}

/** Bytes as a command argument, without copying. */
export function arg(v: string | Uint8Array): RedisArg {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A reply's text (an entry id, a cursor). */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString();
  if (typeof v === 'number') return String(v);
  throw new BlindwireError(ErrorCode.Transport, 'Redis answered an unexpected reply');
}
