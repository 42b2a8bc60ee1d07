/**
 * Consumer-group requests, decoded and answered here, decided by the
 * coordinator (groups.ts): JoinGroup v2, SyncGroup v1, Heartbeat v1,
 * LeaveGroup v1, OffsetCommit v2, OffsetFetch v2, DescribeGroups v1 and
 * ListGroups v1 (Kafka protocol guide, "The Messages": keys 11, 14, 12, 13,
 * 8, 9, 15, 16).
 */
import { Writer } from './codec.js';
import type { Handler } from './context.js';
import { ERR } from './protocol.js';

/** Kafka's offset.metadata.max.bytes default. */
const MAX_OFFSET_METADATA = 4096;

/**
 * JoinGroup v2: group_id session_timeout_ms rebalance_timeout_ms member_id
 * protocol_type [protocols: name metadata]. Answered when the rebalance
 * completes. Response v2: throttle_time_ms error_code generation_id
 * protocol_name leader member_id [members: member_id metadata].
 */
export const joinGroup: Handler = async (r, ctx) => {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = r.int32();
  const memberId = r.string();
  const protocolType = r.string();
  const protocols = r.array((p) => ({ name: p.string(), metadata: Buffer.from(p.bytes()) }));
  r.end('JoinGroup');
  const res = await ctx.state.groups.join({
    groupId,
    memberId,
    clientId: ctx.clientId,
    clientHost: ctx.clientHost,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    protocolType,
    protocols,
  });
  return new Writer()
    .int32(0)
    .int16(res.errorCode)
    .int32(res.generationId)
    .string(res.protocol)
    .string(res.leaderId)
    .string(res.memberId)
    .array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata));
};

/**
 * SyncGroup v1: group_id generation_id member_id [assignments: member_id
 * assignment]. Response v1: throttle_time_ms error_code assignment.
 */
export const syncGroup: Handler = async (r, ctx) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const assignments = new Map(r.array((a) => [a.string(), Buffer.from(a.bytes())] as const));
  r.end('SyncGroup');
  const res = await ctx.state.groups.sync(groupId, memberId, generationId, assignments);
  return new Writer().int32(0).int16(res.errorCode).bytes(res.assignment);
};

/** Heartbeat v1: group_id generation_id member_id. Response v1: throttle_time_ms error_code. */
export const heartbeat: Handler = (r, ctx) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  r.end('Heartbeat');
  return new Writer().int32(0).int16(ctx.state.groups.heartbeat(groupId, memberId, generationId));
};

/** LeaveGroup v1: group_id member_id. Response v1: throttle_time_ms error_code. */
export const leaveGroup: Handler = (r, ctx) => {
  const groupId = r.string();
  const memberId = r.string();
  r.end('LeaveGroup');
  return new Writer().int32(0).int16(ctx.state.groups.leave(groupId, memberId));
};

/**
 * OffsetCommit v2: group_id generation_id member_id retention_time_ms
 * [topics: name [partitions: partition_index committed_offset
 * committed_metadata]]. Offsets are kept in memory for the broker's life
 * (retention is not applied). Response v2: [topics: name [partitions:
 * partition_index error_code]].
 */
export const offsetCommit: Handler = (r, ctx) => {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  r.int64(); // retention_time_ms
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({
      index: p.int32(),
      offset: p.int64(),
      metadata: p.nullableString(),
    })),
  }));
  r.end('OffsetCommit');
  const { groups, store } = ctx.state;
  const allowed = groups.checkCommit(groupId, memberId, generationId);
  return new Writer().array(topics, (w, t) =>
    w.string(t.name).array(t.partitions, (w2, p) => {
      let code: number = allowed;
      if (code === ERR.NONE && (store.get(t.name) === undefined || p.index !== 0))
        code = ERR.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === ERR.NONE && Buffer.byteLength(p.metadata ?? '') > MAX_OFFSET_METADATA)
        code = ERR.OFFSET_METADATA_TOO_LARGE;
      if (code === ERR.NONE)
        groups.commit(groupId, t.name, p.index, { offset: p.offset, metadata: p.metadata });
      w2.int32(p.index).int16(code);
    }),
  );
};

/**
 * OffsetFetch v2: group_id [topics: name [partition_indexes]] (null: every
 * committed partition). A partition without a committed offset answers -1.
 * Response v2: [topics: name [partitions: partition_index committed_offset
 * metadata error_code]] error_code.
 */
export const offsetFetch: Handler = (r, ctx) => {
  const groupId = r.string();
  const requested = r.nullableArray((t) => ({
    name: t.string(),
    partitions: t.array((p) => p.int32()),
  }));
  r.end('OffsetFetch');
  const offsets = ctx.state.groups.get(groupId)?.offsets ?? new Map<string, Map<number, never>>();
  const topics =
    requested ?? [...offsets].map(([name, parts]) => ({ name, partitions: [...parts.keys()] }));
  return new Writer()
    .array(topics, (w, t) =>
      w.string(t.name).array(t.partitions, (w2, index) => {
        const c = offsets.get(t.name)?.get(index);
        w2.int32(index)
          .int64(c?.offset ?? -1)
          .string(c ? c.metadata : '')
          .int16(ERR.NONE);
      }),
    )
    .int16(ERR.NONE);
};

/**
 * DescribeGroups v1: [groups]. A group that does not exist is "Dead"; member
 * metadata and assignments are shown only in a Stable group (as Kafka does).
 * Response v1: throttle_time_ms [groups: error_code group_id group_state
 * protocol_type protocol_data [members: member_id client_id client_host
 * member_metadata member_assignment]].
 */
export const describeGroups: Handler = (r, ctx) => {
  const ids = r.array((g) => g.string());
  r.end('DescribeGroups');
  return new Writer().int32(0).array(ids, (w, id) => {
    const g = ctx.state.groups.get(id);
    if (g === undefined)
      return void w.int16(ERR.NONE).string(id).string('Dead').string('').string('').int32(0);
    const stable = g.state === 'Stable';
    const none = Buffer.alloc(0);
    w.int16(ERR.NONE)
      .string(id)
      .string(g.state)
      .string(g.protocolType ?? '')
      .string(stable ? (g.protocol ?? '') : '')
      .array([...g.members.values()], (w2, m) =>
        w2
          .string(m.id)
          .string(m.clientId)
          .string(m.clientHost)
          .bytes(stable ? (m.protocols.find((p) => p.name === g.protocol)?.metadata ?? none) : none)
          .bytes(stable ? m.assignment : none),
      );
  });
};

/** ListGroups v1: empty. Response v1: throttle_time_ms error_code [groups: group_id protocol_type]. */
export const listGroups: Handler = (r, ctx) => {
  r.end('ListGroups');
  return new Writer()
    .int32(0)
    .int16(ERR.NONE)
    .array(ctx.state.groups.all(), (w, g) => w.string(g.id).string(g.protocolType ?? ''));
};
