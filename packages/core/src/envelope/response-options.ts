/** The options and results of `sealResponse` and `openResponse` (SPEC.md §6). */
import type { Padding } from '../wire/inner.js';
import type { CommonOptions } from './common-options.js';
import type { EnvelopeInfo } from './envelope-info.js';
import type { SealResult } from './seal-options.js';

export interface SealResponseOptions extends CommonOptions {
  contentType?: string;
  /** Lifetime in seconds (default 3600). */
  ttl?: number;
  now?: number | Date;
  padding?: Padding;
}

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

export interface OpenResponseOptions extends CommonOptions {
  now?: number | Date;
  clockSkew?: number;
}

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
