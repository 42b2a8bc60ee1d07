/**
 * @blindwire/replay: shared, atomic replay reservation stores (SPEC.md §7
 * step 18) on Redis, PostgreSQL and NATS JetStream KV. Each wraps a client
 * the caller created and connected, typed by shape; the client libraries are
 * optional peer dependencies.
 *
 * @module @blindwire/replay
 */
export type { ReplayEntry, ReplayStore, ReserveAnswer } from './types.js';
export { MAX_LEASE_MS, MAX_TOKEN_LENGTH, MAX_SENDER_BYTES, MAX_KEEP_UNTIL } from './checks.js';
export {
  createRedisReplayStore,
  type IoRedisReplayClient,
  type NodeRedisReplayClient,
  type RedisReplayStoreOptions,
} from './redis-store.js';
export {
  createPostgresReplayStore,
  type PgPool,
  type PgQueryable,
  type PostgresReplayStore,
  type PostgresReplayStoreOptions,
  type SweepOptions,
} from './postgres-store.js';
export {
  createNatsKvReplayStore,
  type NatsKvEntryLike,
  type NatsKvLike,
  type NatsKvReplayStoreOptions,
} from './nats-store.js';
