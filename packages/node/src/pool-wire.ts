/**
 * The messages between the open pool (open-pool.ts, pool-call.ts) and
 * its workers (open-worker.ts), and how values and errors cross the port.
 * An opening is SPEC.md §7 run in the worker; the options that are functions
 * (the replay store or guard of step 18, the sender resolver of step 14) stay
 * in the calling thread and are asked over the port.
 *
 * Errors never cross as objects: what the calling thread's callbacks throw is
 * kept there under a number (`ref`) and only its code and message go over;
 * what the worker's `open` throws comes back as its code, its message and
 * the `ref` of its cause, and the calling thread rebuilds it, with the very
 * error its callback threw as the cause, as `open` would have.
 */
import type { AeadName, EnvelopeInfo, Limits, ReplayEntry } from '@blindwire/core';

/** The backends a pool's workers can run. */
export type PoolBackendName = 'node' | 'pure';

/** `open`'s options once checked in the calling thread: data only, cloned per call. */
export interface WireOptions {
  recipient: { kid: string; publicKey: Uint8Array; privateKey: Uint8Array }[];
  revokedKids: string[];
  context: Uint8Array;
  trustedSenders?: { name: string; signing: { kid: string; publicKey: Uint8Array } }[];
  /** Whether a resolver is asked (in the calling thread) after the pinned senders. */
  resolveSender: boolean;
  allowedSenders?: (string | RegExp)[];
  allowedSuites?: AeadName[];
  now?: number;
  clockSkew: number;
  maxAge?: number;
  /** A store (reserve) or a guard (has), asked in the calling thread. */
  replay?: 'store' | 'guard';
  replayLeaseMs: number;
  limits: Limits;
}

/** What the worker asks the calling thread during a call. */
export type AskFunction = 'reserve' | 'has' | 'resolve';

/** An error as it crosses the port. */
export interface WireError {
  /** The calling thread's own error object to throw as is. */
  ref?: number;
  code?: string;
  message: string;
  /** The calling thread's error object that is this error's cause. */
  causeRef?: number;
  /** A cause the worker made (a callback's wrong answer, a TypeError): its name and message. */
  cause?: { name: string; message: string };
}

/** A callback's answer: a primitive as is; anything else by its kind (only its type is ever used). */
export type WireValue =
  | { v: string | number | boolean | bigint | null | undefined }
  | { bytes: Uint8Array }
  | { kind: 'array' | 'object' | 'function' | 'symbol' };

/** The result of a call, less what the calling thread adds (the reservation). */
export interface WireResult {
  payload: Uint8Array;
  sender: string;
  senderKid: string;
  messageId: string;
  contentType?: string;
  header: EnvelopeInfo;
  /** Whether `open` took a reservation (the calling thread knows its entry and token). */
  reserved: boolean;
  /** The state `sealResponse` needs (SPEC.md §6.1), moved to the calling thread. */
  state: { requestId: Uint8Array; responder: Uint8Array; responseSecret: Uint8Array };
}

export type ToWorker =
  | { t: 'open'; id: number; bytes: Uint8Array; o: WireOptions }
  | { t: 'answer'; n: number; ok: true; value: WireValue }
  | { t: 'answer'; n: number; ok: false; error: WireError };

export type FromWorker =
  | { t: 'ask'; id: number; n: number; fn: AskFunction; args: unknown[] }
  | { t: 'done'; id: number; r: WireResult }
  | { t: 'fail'; id: number; e: WireError };

/** Arguments of a store `reserve`, as the worker sends them. */
export type ReserveArgs = [entry: ReplayEntry, leaseMs: number, token: string];

/** A callback's answer for the port. */
export function toWireValue(v: unknown): WireValue {
  if (v === null || v === undefined) return { v };
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return { v };
    case 'function':
      return { kind: 'function' };
    case 'symbol':
      return { kind: 'symbol' };
    default:
      return { kind: Array.isArray(v) ? 'array' : 'object' };
  }
}

/** The answer rebuilt in the worker: the value, or a stand-in of the same type. */
export function fromWireValue(w: WireValue): unknown {
  if ('v' in w) return w.v;
  if ('bytes' in w) return w.bytes;
  switch (w.kind) {
    case 'array':
      return [];
    case 'function':
      return () => undefined;
    case 'symbol':
      return Symbol('answer');
    default:
      return {};
  }
}
