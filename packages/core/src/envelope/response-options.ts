/** The options and results of `sealResponse` and `openResponse` (SPEC.md §6). */
import type { Padding } from '../wire/inner.js';
import type { CommonOptions } from './common-options.js';
import type { EnvelopeInfo } from './envelope-info.js';
import type { SealResult } from './seal-options.js';

/** Options of `sealResponse` (SPEC.md §6.4). */
export interface SealResponseOptions extends CommonOptions {
  contentType?: string;
  /**
   * Lifetime in whole seconds, 1 to `limits.maxTtlSeconds`. Default: what is
   * left of the request's lifetime at `now` (`request.header.expiresAt` minus
   * the response's issued-at), at most 3600 and `limits.maxTtlSeconds`, at
   * least 1 (SPEC.md §6.4).
   */
  ttl?: number;
  /** The responder's clock: milliseconds since the epoch or a Date (default `Date.now()`). */
  now?: number | Date;
  padding?: Padding;
}

/** The options `sealResponse` reads, each once. */
export const SEAL_RESPONSE_OPTION_KEYS = [
  'contentType',
  'ttl',
  'now',
  'padding',
  'limits',
  'backend',
] as const satisfies readonly (keyof SealResponseOptions)[];

/** A sealed response, in the shape of `SealResult`. */
export interface SealResponseResult {
  envelope: Uint8Array;
  /** The response's own id (SPEC.md §6.1), 32 hex digits: `openResponse` reports it as `messageId`. */
  messageId: string;
  /** The request's message id, 32 hex digits. */
  requestId: string;
  issuedAt: number;
  expiresAt: number;
}

/** Options of `openResponse` (SPEC.md §6.3). */
export interface OpenResponseOptions extends CommonOptions {
  /** The requester's clock: milliseconds since the epoch or a Date (default `Date.now()`). */
  now?: number | Date;
  /** Clock tolerance in seconds (default 60). */
  clockSkew?: number;
}

/** The options `openResponse` reads, each once. */
export const OPEN_RESPONSE_OPTION_KEYS = [
  'now',
  'clockSkew',
  'limits',
  'backend',
] as const satisfies readonly (keyof OpenResponseOptions)[];

/** An opened response: its plaintext, its id, the responder's kid and its public header. */
export interface OpenResponseResult {
  payload: Uint8Array;
  messageId: string;
  /** The kid of the recipient that answered. */
  responder: string;
  contentType?: string;
  header: EnvelopeInfo;
}

/**
 * A request awaiting responses (SPEC.md §6.3): the result of `seal`, or a
 * state moved to this process with `importResponseState` (SPEC.md §11a).
 */
export type PendingRequest = Pick<SealResult, 'messageId' | 'issuedAt' | 'expiresAt'>;
