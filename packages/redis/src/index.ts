/**
 * @blindwire/redis: sealed entries on Redis Streams and consumer groups
 * through the caller's ioredis or node-redis client (SPEC.md §7b, §11b, §11c).
 *
 * @module @blindwire/redis
 */
export { createRedisBinding, type RedisBinding } from './binding.js';
export {
  ENVELOPE_FIELD,
  SOURCE_ID_FIELD,
  deadLetterFields,
  entryFields,
  fieldsBytes,
  readEntry,
  type EntryFields,
  type FieldsLike,
  type FieldValue,
  type ReadEntry,
} from './carrier.js';
export { DEFAULT_MAX_ENTRY_BYTES } from './add.js';
export type * from './types.js';
