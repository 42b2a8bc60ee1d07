/**
 * The options, the structural transport and message types, and the events
 * of the MCP binding. The SDKs' `Transport` (v1 `@modelcontextprotocol/sdk`,
 * v2 `@modelcontextprotocol/client` and `/server`) has one shape; only what
 * the decorators use is named here.
 */
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
import type { McpContextOf } from './context.js';

/** A JSON-RPC 2.0 id. */
export type RequestId = string | number;

/** A JSON-RPC message as the transports carry it (request, notification, result or error). */
export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: RequestId;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
  [key: string]: unknown;
}

/** The MCP SDKs' `Transport`, structurally (v1 and v2 share it). */
export interface McpTransport {
  start(): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(message: any, options?: any): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  sessionId?: string | undefined;
  setProtocolVersion?: ((version: string) => void) | undefined;
  setSupportedProtocolVersions?: ((versions: string[]) => void) | undefined;
  readonly hasPerRequestStream?: boolean;
}

/** The verified caller the server decorator puts in the call's `_meta` (SPEC.md §11e). */
export interface SealedCaller {
  /** The verified agent identity. */
  sender: string;
  senderKid: string;
  messageId: string;
}

/** Which agents may call a sealed tool. */
export interface ToolPolicy {
  /** Agent identities (patterns of SPEC.md §7.1) allowed to call it. */
  allowedSenders: string[];
  /** Reject calls issued longer ago than this many seconds. */
  maxAge?: number;
}

/** What the decorators report of each sealed call: metadata only, never arguments, results or the caller. */
export interface McpEvent {
  binding: 'mcp';
  /** `tools/call <tool name>`. */
  destination: string;
  outcome: 'delivered' | 'refused' | 'answered' | 'commit-failed';
  code?: string;
  messageId?: string;
  bytes: number;
}

/** Options of the tool server's decorators (`createSealedServerTransport`, `createSealedMcpHandler`). */
export interface SealedServerOptions {
  /** The tool server's encryption key pair(s). */
  recipient: RecipientKey | RecipientKey[];
  /** The sealed tools by name, each with its policy; other tools pass unsealed. */
  tools: Record<string, ToolPolicy>;
  revokedKids?: Iterable<string>;
  /** Where agents' signing keys come from (a directory's `resolveSigningKey`). */
  resolveSender?: SenderResolver;
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** Replay reservations (default: one memory store for the process, shared by every decorator). */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  context?: McpContextOf;
  /** Largest sealed arguments accepted, in envelope bytes (default 1 MiB). */
  maxMessageBytes?: number;
  /** Lifetime of a sealed result in seconds (default 60). */
  responseTtl?: number;
  padding?: Padding;
  clockSkew?: number;
  now?: () => number;
  onEvent?: (event: McpEvent) => void;
  allowedSuites?: OpenOptions['allowedSuites'];
}

/** Options of the agent's decorator (`createSealedClientTransport`). */
export interface SealedClientOptions {
  /** The agent: its name and signing key (an `Identity` fits). */
  sender: Sender;
  /** The tool server: a key, an identity, or a name resolved through `resolveRecipient`. */
  to: Recipient | string;
  resolveRecipient?: RecipientResolver;
  /** The tools whose calls are sealed: names, or a predicate. */
  tools: readonly string[] | ((name: string) => boolean);
  context?: McpContextOf;
  /** Lifetime of a call in seconds (default 60). */
  ttl?: number;
  padding?: Padding;
  /** Largest arguments sealed, in JSON bytes (default 1 MiB). */
  maxMessageBytes?: number;
  /** Largest sealed result opened, in envelope bytes (default 16 MiB). */
  maxResponseBytes?: number;
  /**
   * Restarts: the agent's own encryption key pair. With `onRequestState`,
   * each call's response state is exported sealed to it (SPEC.md §11a)
   * before the call is sent.
   */
  stateKey?: ExportResponseStateOptions['to'];
  onRequestState?: (
    state: Uint8Array,
    info: { id: RequestId; tool: string; messageId: string },
  ) => void | Promise<void>;
  now?: () => number;
}
