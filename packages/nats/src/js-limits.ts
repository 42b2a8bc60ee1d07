/**
 * What `consume` reads of a JetStream pull consumer (SPEC.md §7b): its
 * ack_wait and max_deliver, and the limits every fetch must stay within
 * (`max_batch`, `max_expires`, `max_waiting`); refuses up front what can
 * never run (a push or ordered consumer, a dead-letter subject read back);
 * and, after a failed fetch, tells a consumer or stream gone for good from a
 * passing failure by asking the server for the consumer info again.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { transportError } from './seal.js';
import { compileSubjectFilter } from './subjects.js';
import type { JsConsumerConfigLike, JsConsumerLike } from './types.js';

/** nats.js reports ack_wait in nanoseconds; 30 s when absent. */
const DEFAULT_ACK_WAIT_MS = 30_000;
/** A fetch request's expiry on the server (nats.js's own default). */
const FETCH_EXPIRES_MS = 30_000;
/** nats.js refuses a fetch expiring sooner. */
const MIN_EXPIRES_MS = 1000;
/** Fetches outstanding at once, at most (a partly filled one and the next). */
const MAX_FETCHES = 2;
/** JetStream API error codes (`err_code`) of a consumer or stream that does not exist. */
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NOT_FOUND = 10059;

/** What each fetch must stay within (the consumer's config). */
export interface FetchLimits {
  /** Messages per fetch at most (`max_batch`; Infinity when unset). */
  maxBatch: number;
  /** A fetch's expiry (ms): 30 s, or less under `max_expires`. */
  expiresMs: number;
  /** Fetches outstanding at once: 2, or fewer under `max_waiting`. */
  maxFetches: number;
}

export interface ConsumerLimits extends FetchLimits {
  ackWaitMs: number;
  /** The consumer's name (its durable name), '' if the server did not say: a failed pull event's destination. */
  name: string;
  maxDeliver?: number;
}

const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;

export function fetchLimits(c: JsConsumerConfigLike): FetchLimits {
  const exp = positive(c.max_expires) ? Math.floor(c.max_expires / 1e6) : FETCH_EXPIRES_MS;
  return {
    maxBatch: positive(c.max_batch) ? c.max_batch : Infinity,
    expiresMs: Math.max(MIN_EXPIRES_MS, Math.min(FETCH_EXPIRES_MS, exp)),
    maxFetches: positive(c.max_waiting) ? Math.min(MAX_FETCHES, c.max_waiting) : MAX_FETCHES,
  };
}

function invalid(message: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, message);
}

export function readBack(deadLetterSubject: string): BlindwireError {
  return invalid(
    `"deadLetterSubject" expected a subject this consumer does not read (${deadLetterSubject} would loop)`,
  );
}

/** A config no fetch can ever succeed on. */
function unusable(c: JsConsumerConfigLike): BlindwireError | undefined {
  if (typeof c.deliver_subject === 'string' && c.deliver_subject)
    return invalid('"consumer" expected a pull consumer, got a push consumer');
  if (positive(c.max_expires) && c.max_expires / 1e6 < MIN_EXPIRES_MS)
    return invalid('"consumer" expected max_expires of at least 1 s (nats.js fetch minimum)');
  return undefined;
}

/**
 * The consumer's ack_wait (ms), max_deliver (undefined: unlimited) and fetch
 * limits; refuses what `consume` cannot run on: no `fetch` (a nats.js pull
 * consumer has one), an ordered consumer (nats.js allows it one fetch at a
 * time and it takes no acks), a push consumer, and a dead-letter subject its
 * filter matches (each copy would be read back, fail its context and be
 * copied again, without end).
 */
export async function consumerLimits(
  c: JsConsumerLike,
  deadLetterSubject: string,
): Promise<ConsumerLimits> {
  if (typeof c !== 'object' || c === null || typeof c.fetch !== 'function')
    throw invalid('"consumer" expected a nats.js pull consumer (with fetch())');
  if (c.ordered === true)
    throw invalid('"consumer" expected a durable or ephemeral pull consumer, not an ordered one');
  let info;
  try {
    info = await c.info(true);
  } catch (e) {
    throw transportError('reading the JetStream consumer info', e);
  }
  const config = info.config;
  const bad = unusable(config);
  if (bad) throw bad;
  const { filter_subject: one, filter_subjects: many } = config;
  const filters = [...(typeof one === 'string' && one ? [one] : []), ...(many ?? [])];
  if (filters.some((f) => compileSubjectFilter(f)(deadLetterSubject)))
    throw readBack(deadLetterSubject);
  const ns = config.ack_wait;
  const ackWaitMs = positive(ns) ? Math.max(1, Math.floor(ns / 1e6)) : DEFAULT_ACK_WAIT_MS;
  const name = config.name ?? config.durable_name ?? '';
  const limits = { ackWaitMs, name, ...fetchLimits(config) };
  return positive(config.max_deliver) ? { ...limits, maxDeliver: config.max_deliver } : limits;
}

/** The JetStream API's "consumer not found" / "stream not found" (by err_code, not text). */
function missing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === CONSUMER_NOT_FOUND || code === STREAM_NOT_FOUND;
}

/**
 * After a failed fetch: the consumer's fresh fetch limits, or undefined if the
 * server could not say (a passing failure: fetch again). Throws if the
 * consumer or stream is gone, or the consumer can never be fetched from.
 */
export async function recheck(c: JsConsumerLike): Promise<FetchLimits | undefined> {
  let info;
  try {
    info = await c.info(false);
  } catch (e) {
    if (missing(e)) throw e;
    return undefined;
  }
  const bad = unusable(info.config);
  if (bad) throw bad;
  return fetchLimits(info.config);
}

/** nats.js errors that no retry cures (by class name, never by text). */
const FATAL_NAMES = new Set([
  'PermissionViolationError',
  'AuthorizationError',
  'InvalidArgumentError',
  'InvalidSubjectError',
]);

/**
 * A fetch failure no retry can cure: JetStream's 400 Bad Request or 403
 * (Permissions Violation) status (nats.js `JetStreamStatusError.code`), a
 * nats.js permission violation (the pull's inbox denied, which nats.js calls
 * terminal) or invalid argument, and a JavaScript error that is no nats.js
 * one (a `TypeError` of a wrapping `JsConsumerLike`, or a thrown non-Error).
 * Every other failure (409 Leadership Change or Exceeded*, 503, missed
 * heartbeats, a timeout) is passing unless `recheck` says otherwise.
 */
export function fatalFetch(e: unknown): boolean {
  if (!(e instanceof Error)) return true;
  const code = (e as { code?: unknown }).code;
  if (code === 400 || code === 403) return true;
  if (FATAL_NAMES.has(e.name)) return true;
  return (
    e instanceof TypeError ||
    e instanceof RangeError ||
    e instanceof ReferenceError ||
    e instanceof SyntaxError
  );
}
