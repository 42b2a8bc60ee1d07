/**
 * `createConsumer`: the consumer pipeline every broker binding calls (SPEC.md
 * §7b). Per delivery: find the destination's policy, open the envelope with a
 * replay reservation (SPEC.md §7 step 18), run the handler on the opened
 * message only, commit the reservation **then** answer `ack`; otherwise
 * classify the failure by the disposition table (classify.ts) into retry,
 * in-flight or dead-letter. Never ciphertext to the handler; never plaintext
 * in a disposition or an event.
 */
import { checkRecipientKeys, checkRevokedKids } from '../envelope/check-open.js';
import { backendOf } from '../envelope/common-options.js';
import { inspect } from '../envelope/inspect.js';
import { open } from '../envelope/open.js';
import type { OpenOptions, OpenResult } from '../envelope/open-options.js';
import { openStateOf, rememberOpenState } from '../envelope/state.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { classify, Reason, type Classification } from './classify.js';
import {
  checkConsumerOptions,
  checkOpenConfiguration,
  checkPolicy,
  checkRetry,
  type CheckedRetry,
  type CompiledPolicy,
} from './check-consumer.js';
import type {
  ConsumeEvent,
  Consumer,
  ConsumerOptions,
  Delivered,
  Delivery,
  DestinationPolicy,
  Disposition,
} from './consumer-options.js';
import { createScheduler } from './scheduler.js';

/** The outcome of one delivery before it becomes a disposition. */
interface Result extends Classification {
  opened?: OpenResult;
}

/** Creates a consumer; every option is checked here, before any delivery. */
export function createConsumer(options: ConsumerOptions): Consumer {
  const { concurrency } = checkConsumerOptions(options);
  const policies = checkPolicy(options);
  const retry = checkRetry(options.retry);
  checkOpenConfiguration(options, policies);
  const b = backendOf(options);
  const now = options.now ?? Date.now;
  const random =
    options.random ??
    (() => {
      const r = b.randomBytes(4); // may be a view into a larger buffer
      return new DataView(r.buffer, r.byteOffset, 4).getUint32(0) / 2 ** 32;
    });
  const scheduler = createScheduler(concurrency);
  const opener = options.opener;
  const openWith = opener?.open; // read once, called on the opener
  const openFn: OpenFunction = opener
    ? (bytes, oo) => Reflect.apply(openWith!, opener, [bytes, oo]) as Promise<OpenResult>
    : open;
  // What `open` gets that does not change per delivery, per policy entry (read once, here).
  const fixed = new Map(policies.map((p) => [p, fixedOpenOptions(options, p)]));

  const handle = async (d: Delivery): Promise<Disposition> => {
    const started = d.receivedAt ?? now();
    const policy = policies.find((p) => p.matches(d.destination));
    const r: Result = policy
      ? await deliver(options, openFn, fixed.get(policy)!, d, now)
      : { outcome: 'permanent', reason: Reason.NoPolicy };
    const info = r.opened ? undefined : headerOf(d.bytes);
    const messageId = r.opened?.messageId ?? info?.messageId;
    const disposition = dispose(r, d.attempt, retry, random);
    if (messageId !== undefined) disposition.messageId = messageId;
    if (!options.onEvent) return disposition;
    const event: ConsumeEvent = {
      destination: d.destination,
      outcome: r.outcome,
      action: disposition.action,
      attempt: d.attempt,
      bytes: d.bytes.length,
      ms: Math.max(0, now() - started),
    };
    if (r.reason !== undefined) event.code = r.reason;
    if (messageId !== undefined) event.messageId = messageId;
    const suite = r.opened?.header.suite.name ?? info?.suite;
    if (suite !== undefined) event.suite = suite;
    if (options.eventsIncludeSender === true && r.opened) event.sender = r.opened.sender;
    emit(options.onEvent, event);
    return disposition;
  };

  const process = (d: Delivery): Promise<Disposition> => {
    try {
      checkDelivery(d);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return scheduler.run(options.keyOf?.(d), () => handle(d));
  };

  return {
    process,
    async submit(d) {
      checkDelivery(d);
      await scheduler.wait();
      return { disposition: process(d) };
    },
    get running() {
      return scheduler.running;
    },
    get queued() {
      return scheduler.queued;
    },
  };
}

function checkDelivery(d: Delivery): void {
  if (typeof d !== 'object' || d === null)
    throw invalidArgument('delivery', 'an object { bytes, destination, attempt }');
  if (!(d.bytes instanceof Uint8Array)) throw invalidArgument('delivery.bytes', 'a Uint8Array');
  if (typeof d.destination !== 'string') throw invalidArgument('delivery.destination', 'a string');
  if (!Number.isSafeInteger(d.attempt) || d.attempt < 1)
    throw invalidArgument('delivery.attempt', 'an integer ≥ 1 (1 for a first delivery)');
}

type OpenFunction = (bytes: Uint8Array, options: OpenOptions) => Promise<OpenResult>;

/** Open, then the handler, then the commit: the outcome of an opening that had a policy. */
async function deliver(
  o: ConsumerOptions,
  openFn: OpenFunction,
  fixed: FixedOpenOptions,
  d: Delivery,
  now: () => number,
): Promise<Result> {
  let opened: OpenResult;
  try {
    const nowMs = now();
    const oo = o.keySource
      ? openOptions(fixed, d, nowMs, await recipientKeys(o))
      : openOptions(fixed, d, nowMs);
    opened = await openFn(d.bytes, oo);
  } catch (e) {
    return classify(e);
  }
  const reservation = opened.reservation;
  if (reservation === undefined || typeof reservation.commit !== 'function') {
    // An opener that lost the reservation: no handler without the replay lease.
    const lost = new BlindwireError(ErrorCode.Transport, 'the opener answered no reservation');
    return classify(lost);
  }
  const delivered: Delivered = {
    payload: opened.payload,
    sender: opened.sender,
    senderKid: opened.senderKid,
    messageId: opened.messageId,
    ...(opened.contentType === undefined ? {} : { contentType: opened.contentType }),
    header: opened.header,
    bytes: d.bytes,
    destination: d.destination,
    attempt: d.attempt,
  };
  // SPEC.md §6.4: the delivered message answers as its opening would (sealResponse).
  const state = openStateOf(opened);
  if (state) rememberOpenState(delivered, state);
  try {
    await o.handler(delivered);
  } catch {
    // The handler failed: free the id for the redelivery. If the store fails
    // too, the lease ends after replayLeaseMs and the redelivery waits.
    await reservation.release().catch(() => {});
    return { outcome: 'transient', reason: Reason.Handler, opened };
  }
  try {
    await reservation.commit();
  } catch (e) {
    // Not acked, not released: the redelivery waits out the lease, then runs again.
    return { ...classify(e), opened };
  }
  return { outcome: 'deliver', opened };
}

/**
 * What `open` gets that is the same for every delivery of a policy entry, and
 * its context source. Never a context or a clock: those are per delivery, and
 * `openOptions` spreads these after them.
 */
interface FixedOpenOptions {
  options: Partial<Omit<OpenOptions, 'context' | 'now'>>;
  context: NonNullable<DestinationPolicy['context']>;
}

/** Keys (unless from a key source), trust, the policy entry: read once per consumer. */
function fixedOpenOptions(o: ConsumerOptions, p: CompiledPolicy): FixedOpenOptions {
  const { entry } = p;
  const oo: FixedOpenOptions['options'] = { replay: o.replay };
  type Fixed = FixedOpenOptions['options'];
  const copy = <K extends keyof Fixed>(k: K, v: Fixed[K] | undefined) => {
    if (v !== undefined) oo[k] = v;
  };
  if (!o.keySource) {
    copy('recipient', o.recipient);
    copy('revokedKids', o.revokedKids);
  }
  copy('trustedSenders', o.trustedSenders);
  copy('resolveSender', o.resolveSender);
  copy('replayLeaseMs', o.replayLeaseMs);
  copy('clockSkew', o.clockSkew);
  copy('limits', o.limits);
  copy('backend', o.backend);
  copy('allowedSenders', entry.allowedSenders);
  copy('maxAge', entry.maxAge);
  copy('allowedSuites', entry.allowedSuites);
  return { options: oo, context: entry.context ?? o.context! };
}

/** The options of `open` for this delivery: the fixed ones, the keys of a key source, the context, the clock. */
function openOptions(
  fixed: FixedOpenOptions,
  d: Delivery,
  nowMs: number,
  keys?: Pick<OpenOptions, 'recipient' | 'revokedKids'>,
): OpenOptions {
  const ctx = d.context ?? fixed.context;
  // The per-delivery values first, then the spreads (neither holds a context or
  // a clock: their types leave both out): a literal that starts with a spread and then adds properties made
  // this one object per delivery cost microseconds to build and to read in V8.
  return {
    context: typeof ctx === 'function' ? ctx(d.destination) : ctx,
    now: nowMs,
    ...fixed.options,
    ...keys,
  } as OpenOptions;
}

/** The key pairs: given, or read from the key source per delivery (its failure is ERR_TRANSPORT: transient). */
async function recipientKeys(
  o: ConsumerOptions,
): Promise<Pick<OpenOptions, 'recipient' | 'revokedKids'>> {
  if (!o.keySource) {
    return o.revokedKids === undefined
      ? { recipient: o.recipient! }
      : { recipient: o.recipient!, revokedKids: o.revokedKids };
  }
  try {
    const recipient = await o.keySource.recipientKeys();
    // No key at all is the source's state, not the message's (ERR_KEY_NOT_FOUND would dead-letter).
    if (checkRecipientKeys(recipient).length === 0) throw new TypeError('no key pairs');
    const kids = o.keySource.revokedKids ? await o.keySource.revokedKids() : undefined;
    if (kids === undefined) return { recipient };
    const revokedKids = Array.from(kids); // read once: `open` sees what was checked
    checkRevokedKids(revokedKids);
    return { recipient, revokedKids };
  } catch (e) {
    // Whatever it threw or answered, not a verdict on the message: a wrong
    // answer here must not be ERR_INVALID_ARGUMENT, which dead-letters.
    throw new BlindwireError(
      ErrorCode.Transport,
      'the recipient key source failed or answered something other than key pairs',
      { cause: e },
    );
  }
}

/** The disposition table (SPEC.md §7b) applied, with the retry policy. */
function dispose(
  r: Classification,
  attempt: number,
  retry: CheckedRetry,
  random: () => number,
): Disposition {
  switch (r.outcome) {
    case 'deliver':
      return { action: 'ack' };
    case 'duplicate':
      return { action: 'ack', reason: r.reason! };
    case 'in-flight':
      return { action: 'in-flight', reason: r.reason!, delayMs: backoff(attempt, retry, random) };
    case 'permanent':
      return { action: 'dead-letter', reason: r.reason! };
    case 'transient':
      return attempt >= retry.maxAttempts
        ? { action: 'dead-letter', reason: r.reason! }
        : { action: 'retry', reason: r.reason!, delayMs: backoff(attempt, retry, random) };
  }
}

/** Exponential backoff with "equal jitter": half the delay fixed, half uniform. */
export function backoff(attempt: number, r: CheckedRetry, random: () => number): number {
  const exp = Math.min(r.maxBackoffMs, r.backoffMs * 2 ** Math.min(attempt - 1, 40));
  const x = random();
  const u = Number.isFinite(x) && x >= 0 && x < 1 ? x : 0.5;
  return Math.round(exp / 2 + (u * exp) / 2);
}

/** The public header of an envelope that did not open, for its message id and suite. */
function headerOf(bytes: Uint8Array): { messageId: string; suite: string } | undefined {
  try {
    const h = inspect(bytes);
    return { messageId: h.messageId, suite: h.suite.name };
  } catch {
    return undefined;
  }
}

/** Events never change a disposition: a throwing listener is ignored. */
function emit(onEvent: ((e: ConsumeEvent) => void) | undefined, e: ConsumeEvent): void {
  if (!onEvent) return;
  try {
    onEvent(e);
  } catch {
    // metadata only; the disposition stands
  }
}
