/**
 * Cluster and topic requests: ApiVersions v0-2, Metadata v4, CreateTopics
 * v1, DeleteTopics v1, InitProducerId v0 and FindCoordinator v1 (Kafka
 * protocol guide, "The Messages": keys 18, 3, 19, 20, 22, 10). One broker,
 * node 0, which is controller, leader of every partition and group
 * coordinator.
 */
import { Writer } from './codec.js';
import { NODE_ID, type BrokerState, type Handler } from './context.js';
import { ERR, VERSIONS, validTopicName } from './protocol.js';

/**
 * ApiVersions v0-2: an empty request; response error_code [api_keys:
 * api_key min_version max_version] and, from v1, throttle_time_ms. A request
 * in a version above 2 is answered in v0 with UNSUPPORTED_VERSION and the
 * list (as Kafka does, so that the client can retry with a version we know).
 */
export const apiVersions: Handler = (r, ctx) => {
  if (ctx.apiVersion > 2) return apiVersionsBody(ERR.UNSUPPORTED_VERSION, 0);
  r.end('ApiVersions');
  return apiVersionsBody(ERR.NONE, ctx.apiVersion);
};

export function apiVersionsBody(errorCode: number, version: number): Writer {
  const keys = Object.entries(VERSIONS).map(([k, v]) => [Number(k), v[0], v[1]] as const);
  const w = new Writer()
    .int16(errorCode)
    .array(keys, (w2, [k, lo, hi]) => w2.int16(k).int16(lo).int16(hi));
  return version >= 1 ? w.int32(0) : w;
}

/**
 * Metadata v4: [topics: name] (null: all) allow_auto_topic_creation. A
 * missing topic is created when both the request and the broker allow it,
 * else UNKNOWN_TOPIC_OR_PARTITION; an illegal name is INVALID_TOPIC_EXCEPTION.
 * Response v4: throttle_time_ms [brokers: node_id host port rack] cluster_id
 * controller_id [topics: error_code name is_internal [partitions: error_code
 * partition_index leader_id [replica_nodes] [isr_nodes]]].
 */
export const metadata: Handler = (r, ctx) => {
  const requested = r.nullableArray((t) => t.string());
  const allowCreate = r.boolean();
  r.end('Metadata');
  const { store, options } = ctx.state;
  const names = requested ?? store.names();
  const topics = names.map((name) => {
    if (store.get(name) !== undefined) return { name, errorCode: ERR.NONE };
    if (!validTopicName(name)) return { name, errorCode: ERR.INVALID_TOPIC_EXCEPTION };
    if (!allowCreate || !options.autoCreateTopics)
      return { name, errorCode: ERR.UNKNOWN_TOPIC_OR_PARTITION };
    store.create(name);
    return { name, errorCode: ERR.NONE };
  });
  return new Writer()
    .int32(0)
    .array([NODE_ID], (w, id) =>
      w.int32(id).string(options.host).int32(ctx.state.port).string(null),
    )
    .string('blindwire-kafka-test-broker')
    .int32(NODE_ID)
    .array(topics, (w, t) => {
      w.int16(t.errorCode).string(t.name).boolean(false);
      const partitions = t.errorCode === ERR.NONE ? [0] : [];
      w.array(partitions, (w2, p) =>
        w2
          .int16(ERR.NONE)
          .int32(p)
          .int32(NODE_ID)
          .array([NODE_ID], (w3, n) => w3.int32(n))
          .array([NODE_ID], (w3, n) => w3.int32(n)),
      );
    });
};

/**
 * CreateTopics v1: [topics: name num_partitions replication_factor
 * [assignments] [configs]] timeout_ms validate_only. One partition and one
 * replica (or -1, the default) are all this broker keeps. Response v1:
 * [topics: name error_code error_message].
 */
export const createTopics: Handler = (r, ctx) => {
  const topics = r.array((t) => {
    const name = t.string();
    const partitions = t.int32();
    const replication = t.int16();
    const assignments = t.array((a) => ({ index: a.int32(), brokers: a.array((b) => b.int32()) }));
    t.array((c) => ({ name: c.string(), value: c.nullableString() }));
    return { name, partitions, replication, assignments };
  });
  r.int32(); // timeout_ms: creation is immediate
  const validateOnly = r.boolean();
  r.end('CreateTopics');
  const results = topics.map((t) => {
    const fail = (errorCode: number, message: string) => ({ name: t.name, errorCode, message });
    if (!validTopicName(t.name)) return fail(ERR.INVALID_TOPIC_EXCEPTION, 'illegal topic name');
    if (ctx.state.store.get(t.name) !== undefined)
      return fail(ERR.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
    if ((t.partitions !== -1 && t.partitions !== 1) || t.assignments.length > 1)
      return fail(ERR.INVALID_PARTITIONS, 'this test broker keeps one partition per topic');
    if (t.replication !== -1 && t.replication !== 1)
      return fail(ERR.INVALID_REPLICATION_FACTOR, 'this test broker is a single node');
    if (!validateOnly) ctx.state.store.create(t.name);
    return { name: t.name, errorCode: ERR.NONE, message: null };
  });
  return new Writer().array(results, (w, t) =>
    w.string(t.name).int16(t.errorCode).string(t.message),
  );
};

/**
 * DeleteTopics v1: [topic_names] timeout_ms. The log and the groups'
 * committed offsets of the topic go; long-polling fetches on it wake.
 * Response v1: throttle_time_ms [responses: name error_code].
 */
export const deleteTopics: Handler = (r, ctx) => {
  const names = r.array((t) => t.string());
  r.int32(); // timeout_ms
  r.end('DeleteTopics');
  const results = names.map((name) => {
    if (!ctx.state.store.delete(name)) return { name, errorCode: ERR.UNKNOWN_TOPIC_OR_PARTITION };
    ctx.state.groups.forgetTopic(name);
    return { name, errorCode: ERR.NONE };
  });
  return new Writer().int32(0).array(results, (w, t) => w.string(t.name).int16(t.errorCode));
};

/**
 * InitProducerId v0: transactional_id transaction_timeout_ms. For an
 * idempotent producer (transactional_id null): a new producer id, epoch 0.
 * Transactions are not implemented: a transactional id is INVALID_REQUEST.
 * Response v0: throttle_time_ms error_code producer_id producer_epoch.
 */
export const initProducerId: Handler = (r, ctx) => {
  const transactionalId = r.nullableString();
  r.int32();
  r.end('InitProducerId');
  if (transactionalId !== null)
    return new Writer().int32(0).int16(ERR.INVALID_REQUEST).int64(-1).int16(-1);
  return new Writer().int32(0).int16(ERR.NONE).int64(nextProducerId(ctx.state)).int16(0);
};

function nextProducerId(state: BrokerState): number {
  return state.nextProducerId++;
}

/**
 * FindCoordinator v1: key key_type (0 group, 1 transaction). This node is
 * every group's coordinator; there is no transaction coordinator. Response
 * v1: throttle_time_ms error_code error_message node_id host port.
 */
export const findCoordinator: Handler = (r, ctx) => {
  const key = r.string();
  const keyType = r.int8();
  r.end('FindCoordinator');
  const w = new Writer().int32(0);
  if (keyType !== 0)
    return w
      .int16(ERR.COORDINATOR_NOT_AVAILABLE)
      .string('transactions are not supported')
      .int32(-1)
      .string('')
      .int32(-1);
  if (key === '') return w.int16(ERR.INVALID_GROUP_ID).string(null).int32(-1).string('').int32(-1);
  return w
    .int16(ERR.NONE)
    .string(null)
    .int32(NODE_ID)
    .string(ctx.state.options.host)
    .int32(ctx.state.port);
};
