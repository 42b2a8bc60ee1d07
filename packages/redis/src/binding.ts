/**
 * `createRedisBinding`: Blindwire on the caller's connected ioredis or
 * node-redis client (SPEC.md §7b, §11b, §11c). It never creates, owns or
 * patches the client; every verb calls through it.
 */
import { add } from './add.js';
import { shared } from './common.js';
import { consume } from './consume.js';
import type {
  AddOptions,
  AddResult,
  ConsumeOptions,
  ConsumeRun,
  ConsumeTarget,
  Handler,
  RedisBindingOptions,
  RedisClientLike,
} from './types.js';

/**
 * Sealed `add` (XADD) and consumer-group `consume` on the caller's ioredis or node-redis client
 * (`createRedisBinding`).
 */
export interface RedisBinding {
  /** XADD of the sealed envelope to `stream` (MAXLEN when asked). */
  add(stream: string, payload: Uint8Array | string, options: AddOptions): Promise<AddResult>;
  /** Reads `stream` as `consumer` of `group` (the group must exist: XGROUP CREATE). */
  consume(target: ConsumeTarget, handler: Handler, options?: ConsumeOptions): ConsumeRun;
}

/** Binds Blindwire to `client`, the caller's connected ioredis or node-redis client. */
export function createRedisBinding(
  client: RedisClientLike,
  options: RedisBindingOptions,
): RedisBinding {
  const s = shared(client, options);
  return {
    add: (stream, payload, o) => add(s, stream, payload, o),
    consume: (target, handler, o) => consume(s, target, handler, o),
  };
}
