/**
 * What `createConsumer` checks of its options before any delivery (SPEC.md
 * §7b), so that a misconfiguration is an argument error at start-up rather
 * than every message dead-lettered: the keys, the trust source, the policy
 * entries and their patterns, the context, the replay store, the handler,
 * the retry and concurrency numbers; and, per policy entry, every option
 * `open` would check (keys, pinned senders, clock, limits, suites), since
 * `open` refusing them would be ERR_INVALID_ARGUMENT for every delivery.
 */
import { OPEN_OPTION_KEYS, checkClock, checkOpenOptions } from '../envelope/check-open.js';
import { backendOf, checkArguments, limitsOf, readOptions } from '../envelope/common-options.js';
import type { OpenOptions } from '../envelope/open-options.js';
import { compileNamePattern, compileSenderPatterns } from '../envelope/patterns.js';
import { checkReplayOptions, isReplayStore } from '../envelope/replay.js';
import { invalidArgument } from '../errors.js';
import type { ConsumerOptions, DestinationPolicy } from './consumer-options.js';

/** A policy entry with its matcher compiled. */
export interface CompiledPolicy {
  matches: (destination: string) => boolean;
  entry: DestinationPolicy;
}

export interface CheckedRetry {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

function positiveInteger(name: string, v: unknown, dflt: number, max = 2 ** 31): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max)
    throw invalidArgument(name, `an integer from 1 to ${max}`, String(v));
  return v as number;
}

function checkFunction(name: string, v: unknown, optional = true): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'function') throw invalidArgument(name, 'a function', typeof v);
}

/** The ordered policy entries, each with its matcher; every entry needs a context source. */
export function checkPolicy(o: ConsumerOptions): CompiledPolicy[] {
  if (!Array.isArray(o.policy) || o.policy.length === 0)
    throw invalidArgument('policy', 'a non-empty array of { match, ... } entries');
  return o.policy.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null)
      throw invalidArgument(`policy[${i}]`, 'an object { match, ... }');
    const m = entry.match;
    const matches =
      typeof m === 'function'
        ? (d: string) => m(d) === true
        : compileNamePattern(m, `policy[${i}].match`);
    compileSenderPatterns(entry.allowedSenders);
    checkClock({ maxAge: entry.maxAge });
    if (entry.context === undefined && o.context === undefined)
      throw invalidArgument(
        `policy[${i}].context`,
        'a context, or the consumer option context(destination) (the binding context)',
      );
    return { matches, entry };
  });
}

/** The retry numbers (defaults 5 attempts, 1 s, 60 s). */
export function checkRetry(r: ConsumerOptions['retry']): CheckedRetry {
  if (r !== undefined && (typeof r !== 'object' || r === null))
    throw invalidArgument('retry', 'an object { maxAttempts, backoffMs, maxBackoffMs }');
  const maxAttempts = positiveInteger('retry.maxAttempts', r?.maxAttempts, 5, 1000);
  const backoffMs = positiveInteger('retry.backoffMs', r?.backoffMs, 1000);
  const maxBackoffMs = positiveInteger('retry.maxBackoffMs', r?.maxBackoffMs, 60_000);
  if (maxBackoffMs < backoffMs)
    throw invalidArgument('retry.maxBackoffMs', `at least backoffMs (${backoffMs})`);
  return { maxAttempts, backoffMs, maxBackoffMs };
}

/** Everything but the policy and retry: keys, trust, replay, callbacks, concurrency. */
export function checkConsumerOptions(o: ConsumerOptions): { concurrency: number } {
  if (typeof o !== 'object' || o === null) throw invalidArgument('options', 'an options object');
  if ((o.recipient === undefined) === (o.keySource === undefined))
    throw invalidArgument('recipient', 'either recipient key pairs or a keySource, not both');
  if (o.keySource !== undefined) {
    checkFunction('keySource.recipientKeys', o.keySource?.recipientKeys, false);
    checkFunction('keySource.revokedKids', o.keySource.revokedKids);
  }
  if (o.resolveSender === undefined && o.trustedSenders === undefined)
    throw invalidArgument('resolveSender', 'a sender resolver or trustedSenders');
  if (!isReplayStore(o.replay))
    throw invalidArgument('replay', 'a replay store { reserve, commit, release, has, record }');
  checkReplayOptions(o.replay, o.replayLeaseMs);
  checkFunction('handler', o.handler, false);
  checkFunction('onEvent', o.onEvent);
  checkFunction('keyOf', o.keyOf);
  checkFunction('context', o.context);
  checkFunction('now', o.now);
  checkFunction('random', o.random);
  checkOpener(o);
  return { concurrency: positiveInteger('concurrency', o.concurrency, 16, 65536) };
}

/** `opener`: an object with `open`; with a fixed backend, the consumer's `backend` is that one or absent. */
function checkOpener(o: ConsumerOptions): void {
  const op = o.opener;
  if (op === undefined) return;
  if (typeof op !== 'object' || op === null) throw invalidArgument('opener', 'an object { open }');
  checkFunction('opener.open', op.open, false);
  if (op.backend !== undefined && o.backend !== undefined && op.backend !== o.backend)
    throw invalidArgument('backend', "the opener's backend (opener.backend) or none");
}

/**
 * What `open` checks of its options (SPEC.md §7, before any input), run once
 * per policy entry with the consumer's fixed options: a misconfiguration is
 * refused here, not as ERR_INVALID_ARGUMENT (permanent: dead-lettered) for
 * every message. A context given as a function, and the keys of a key source,
 * are checked per delivery (a key source's wrong answer is ERR_TRANSPORT).
 */
export function checkOpenConfiguration(o: ConsumerOptions, policies: CompiledPolicy[]): void {
  const revoked = o.revokedKids;
  // A one-shot iterator would be used up by this check: it is checked per delivery.
  const reiterable = revoked === undefined || Array.isArray(revoked) || revoked instanceof Set;
  for (const { entry } of policies) {
    const fixed = typeof entry.context === 'function' ? undefined : entry.context;
    const given: OpenOptions = {
      recipient: o.keySource === undefined ? o.recipient! : [],
      context: fixed ?? new Uint8Array(0),
      replay: o.replay,
    };
    const optional: Partial<OpenOptions> = {
      revokedKids: reiterable ? revoked : undefined,
      trustedSenders: o.trustedSenders,
      resolveSender: o.resolveSender,
      replayLeaseMs: o.replayLeaseMs,
      clockSkew: o.clockSkew,
      limits: o.limits,
      backend: o.backend,
      allowedSenders: entry.allowedSenders,
      maxAge: entry.maxAge,
      allowedSuites: entry.allowedSuites,
    };
    for (const [k, v] of Object.entries(optional)) {
      if (v !== undefined) (given as unknown as Record<string, unknown>)[k] = v;
    }
    checkArguments(() => {
      const read = readOptions<OpenOptions>(given, OPEN_OPTION_KEYS);
      const b = backendOf(read);
      checkOpenOptions(read, limitsOf(read), b);
    });
  }
}
