/** The options, calls and events of the HTTP binding. */
import type {
  ExportResponseStateOptions,
  OpenOptions,
  Padding,
  PublicIdentity,
  Recipient,
  RecipientKey,
  ReplayStore,
  Sender,
  SenderResolver,
} from '@blindwire/core';
import type { RecipientResolver } from '@blindwire/core/internal';
import type { ContextOf } from './context.js';

/** What a fetch function is: the global `fetch`, undici's, or another middleware's. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** Which agents may call which routes: the first route matching `METHOD path` applies. */
export interface RoutePolicy {
  /** An HTTP method, or `*` for any (default `*`). */
  method?: string;
  /** A path or a name pattern (SPEC.md §7.1: `*` one segment, `**` any), e.g. `/tools/*`. */
  path: string;
  /** Agent identities (patterns of SPEC.md §7.1) allowed to call it. */
  allowedSenders: string[];
  /** Reject requests issued longer ago than this many seconds. */
  maxAge?: number;
}

/** What the tool's handler gets: the opened body and the verified agent. */
export interface SealedCall {
  method: string;
  /** The path bound in the context (no query). */
  path: string;
  /**
   * The outer request: its URL (query included) and public headers,
   * unauthenticated (any proxy may change them).
   */
  request: Request;
  /** The verified agent identity and its signing kid. */
  sender: string;
  senderKid: string;
  messageId: string;
  /** The sealed headers: the body's `content-type` and those the agent chose to seal. */
  headers: Headers;
  body: Uint8Array;
  text(): string;
  json(): unknown;
}

/** A call in stream mode: the body is released chunk by chunk as it verifies. */
export interface SealedStreamCall {
  method: string;
  path: string;
  /** The outer request, unauthenticated: as in `SealedCall`. */
  request: Request;
  /**
   * The agent that signed the stream's header, verified before the first
   * byte (record 0) and checked against the route: known at once. Do not act
   * on the body before `verified` resolves all the same.
   */
  sender: string;
  senderKid: string;
  /**
   * The body, released as each chunk authenticates (the route's allowed
   * senders were checked before the first byte). It errors when the stream
   * fails; do not act on it before `verified` resolves (SPEC.md §7a).
   */
  body: ReadableStream<Uint8Array>;
  /**
   * Resolves with the sender once the whole stream verified, so only after
   * the body was read (or cancelled); rejects otherwise. Awaited before the
   * body is being read it rejects at once with ERR_INVALID_ARGUMENT (it could
   * never settle). `Promise.all([read(body), verified])` is fine.
   */
  verified: Promise<{ sender: string; senderKid: string; messageId: string }>;
}

/** What the sealed handler reports to `onEvent` for each call: no body, no secret. */
export interface HttpEvent {
  binding: 'http';
  destination: string;
  outcome: 'delivered' | 'refused' | 'handler-failed' | 'commit-failed';
  code?: string;
  /**
   * `handler-failed` only: what the handler threw (or the TypeError of an
   * answer that is not a Response). Local to the tool, never sent; it holds
   * whatever the handler put in it, so log it with the care the handler's
   * data needs.
   */
  error?: unknown;
  status: number;
  messageId?: string;
  mode: 'message' | 'stream';
  bytes: number;
  ms: number;
}

/**
 * Options of `createSealedHandler`: the tool's keys, where agents' keys come from, the routes'
 * policies and the handler.
 */
export interface SealedHandlerOptions {
  /** The tool's encryption key pair(s). */
  recipient: RecipientKey | RecipientKey[];
  revokedKids?: Iterable<string>;
  /** Where agents' signing keys come from (a directory's `resolveSigningKey`). */
  resolveSender?: SenderResolver;
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** Which agents may call which routes; a call no route matches is 403 `ERR_NO_POLICY`. */
  routes: RoutePolicy[];
  handler: (call: SealedCall) => Response | Promise<Response>;
  /** Handles stream-mode calls; without it they are refused with 415. */
  streamHandler?: (call: SealedStreamCall) => Response | Promise<Response>;
  /** Replay reservations (default: one memory store per handler). */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  context?: ContextOf;
  /** Response headers sealed along with the body's content type (lowercase names). */
  sealHeaders?: string[];
  /** Largest message-mode body, either way (default 1 MiB). */
  maxMessageBytes?: number;
  /** Largest stream-mode request (default 1 GiB). */
  maxStreamBytes?: number;
  /** Lifetime of a sealed response in seconds (default 60). */
  responseTtl?: number;
  padding?: Padding;
  clockSkew?: number;
  now?: () => number;
  /** Stream mode: the tool's identity, which signs its reply sealed to the verified agent. */
  identity?: Sender;
  /** Stream mode: resolves the agent's encryption key (a directory's `resolveRecipient`). */
  resolveRecipient?: RecipientResolver;
  onEvent?: (event: HttpEvent) => void;
  allowedSuites?: OpenOptions['allowedSuites'];
}

/** Options of `sealedFetch`: the agent, the tool, and what is sealed. */
export interface SealedFetchOptions {
  /** The agent: its name and signing key (an `Identity` fits). */
  sender: Sender;
  /** The tool: a key, an identity, or a name resolved through `resolveRecipient`. */
  to: Recipient | string;
  resolveRecipient?: RecipientResolver;
  /** Request headers sealed with the body (lowercase names); `content-type` always is. */
  sealHeaders?: string[];
  context?: ContextOf;
  /** Lifetime of a request in seconds (default 60; a stream 240). */
  ttl?: number;
  padding?: Padding;
  /** Bodies whose envelope would exceed this many bytes, or given as a stream, go in stream mode (default 1 MiB). */
  maxMessageBytes?: number;
  /** Largest sealed response read (default 16 MiB). */
  maxResponseBytes?: number;
  /** Chunk size of stream mode (default 65536). */
  chunkSize?: number;
  /**
   * Restarts: the agent's own encryption key pair. With `onRequestState`,
   * each request's response state is exported sealed to it (SPEC.md §11a)
   * before the request is sent.
   */
  stateKey?: ExportResponseStateOptions['to'];
  onRequestState?: (
    state: Uint8Array,
    info: { messageId: string; method: string; path: string },
  ) => void | Promise<void>;
  /** Stream mode: the agent's encryption key(s), to open the tool's reply. */
  keys?: RecipientKey | RecipientKey[];
  /** Stream mode: the tool's signing key source. */
  resolveSender?: SenderResolver;
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  now?: () => number;
}
