/**
 * What a request handler sees: the broker's state and options, the version
 * and client of the request, and a signal that fires when its connection
 * closes (a long-polling Fetch stops waiting). A handler returns the response
 * body (the server adds the size and the response header v0: correlation
 * id), `null` for no response (Produce with acks 0), or `CLOSE` to close the
 * connection (Kafka protocol guide, "Protocol Primitive Types" and "The
 * Messages").
 */
import type { Reader, Writer } from './codec.js';
import type { GroupCoordinator } from './groups.js';
import type { TopicStore } from './log.js';

export interface KafkaTestBrokerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on and to advertise in Metadata; default 127.0.0.1. */
  host?: string;
  /** Largest request frame accepted (the 4-byte size prefix excluded); default 16 MiB. Larger: the socket is closed. */
  maxFrameBytes?: number;
  /** Largest record batch accepted by Produce (Kafka's message.max.bytes); default 1,048,588. */
  maxBatchBytes?: number;
  /** Metadata creates a missing topic when the request allows it; default true. */
  autoCreateTopics?: boolean;
  /** Session timeouts accepted by JoinGroup; default 100 ms .. 300 s (Kafka: 6 s .. 30 min). */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** Wait before the first rebalance of an empty group completes; default 0 (Kafka: 3 s). */
  initialRebalanceDelayMs?: number;
}

export type ResolvedOptions = Required<KafkaTestBrokerOptions>;

export const DEFAULTS: ResolvedOptions = {
  port: 0,
  host: '127.0.0.1',
  maxFrameBytes: 16 * 1024 * 1024,
  maxBatchBytes: 1_048_588,
  autoCreateTopics: true,
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 300_000,
  initialRebalanceDelayMs: 0,
};

export interface BrokerState {
  readonly store: TopicStore;
  readonly groups: GroupCoordinator;
  readonly options: ResolvedOptions;
  /** The bound port (the option may be 0). */
  port: number;
  nextProducerId: number;
  closed: boolean;
}

export interface RequestContext {
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly state: BrokerState;
  readonly signal: AbortSignal;
}

export const CLOSE: unique symbol = Symbol('close the connection');

export type HandlerResult = Writer | null | typeof CLOSE;

export type Handler = (r: Reader, ctx: RequestContext) => HandlerResult | Promise<HandlerResult>;

/** The node id of this single broker. */
export const NODE_ID = 0;
