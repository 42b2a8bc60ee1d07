/**
 * The API keys, the one version of each API this broker implements, and the
 * error codes it answers with: Kafka protocol guide, "Api Keys" and "Error
 * Codes". A client reads the versions from ApiVersions and uses, for each
 * API, the highest version both sides implement (kafkajs 2.2.4 takes
 * `min(its highest, our maxVersion)`), so advertising one version per API
 * means every request arrives in that version; any other version is refused.
 */

export const API = {
  Produce: 0, // 0x00
  Fetch: 1, // 0x01
  ListOffsets: 2, // 0x02
  Metadata: 3, // 0x03
  OffsetCommit: 8, // 0x08
  OffsetFetch: 9, // 0x09
  FindCoordinator: 10, // 0x0a
  JoinGroup: 11, // 0x0b
  Heartbeat: 12, // 0x0c
  LeaveGroup: 13, // 0x0d
  SyncGroup: 14, // 0x0e
  DescribeGroups: 15, // 0x0f
  ListGroups: 16, // 0x10
  ApiVersions: 18, // 0x12
  CreateTopics: 19, // 0x13
  DeleteTopics: 20, // 0x14
  InitProducerId: 22, // 0x16
} as const;

export type ApiKey = (typeof API)[keyof typeof API];

/**
 * [minVersion, maxVersion] advertised per API. All are non-flexible versions
 * (request header v1, response header v0). Produce v3 and Fetch v4 are the
 * first versions that carry RecordBatch v2 with its isolation level.
 */
export const VERSIONS: Readonly<Record<ApiKey, readonly [number, number]>> = {
  [API.Produce]: [3, 3],
  [API.Fetch]: [4, 4],
  [API.ListOffsets]: [1, 1],
  [API.Metadata]: [4, 4],
  [API.OffsetCommit]: [2, 2],
  [API.OffsetFetch]: [2, 2],
  [API.FindCoordinator]: [1, 1],
  [API.JoinGroup]: [2, 2],
  [API.Heartbeat]: [1, 1],
  [API.LeaveGroup]: [1, 1],
  [API.SyncGroup]: [1, 1],
  [API.DescribeGroups]: [1, 1],
  [API.ListGroups]: [1, 1],
  [API.ApiVersions]: [0, 2],
  [API.CreateTopics]: [1, 1],
  [API.DeleteTopics]: [1, 1],
  [API.InitProducerId]: [0, 0],
};

/** Error codes (Kafka protocol guide, "Error Codes"). */
export const ERR = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;

/** Kafka's legal topic names: [a-zA-Z0-9._-], 1..249 characters, not "." or "..". */
export function validTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}
