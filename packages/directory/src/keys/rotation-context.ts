/**
 * The checked options and shared state of one key rotator (SPEC.md §11.4),
 * passed to the modules that make up `createKeyRotator`: held-keys.ts,
 * rotation-publish.ts and rotation-steps.ts.
 */
import { BlindwireError, ErrorCode, getDefaultBackend, type CryptoBackend } from '@blindwire/core';
import { wipe } from '@blindwire/core/internal';
import { MAX_TIMER_MS, readClock, show, wholeSeconds } from '../checks.js';
import { DEFAULT_KEY_SECONDS, type RevocationReasonName } from '../records/publish.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import { checkClockSkew, checkTrustPolicy, type TrustPolicy } from '../trust/policy.js';
import { assertRemovable } from '../stores/paging.js';
import { checkHorizon } from '../trust/prune.js';
import type { StoredKey } from './key-store.js';
import type { KeyRotatorOptions } from './rotation-types.js';

export interface RotationContext {
  readonly options: KeyRotatorOptions;
  /** Lifetime of each key, seconds. */
  readonly lifetime: number;
  /** Propagation delay, seconds. */
  readonly delay: number;
  /** Rotate when the newest key expires within this many seconds. */
  readonly before: number;
  /** How long a private key is kept after it expired, seconds. */
  readonly retention: number;
  /** Longest time one step may take, ms. */
  readonly stepTimeout: number;
  readonly backend: CryptoBackend;
  /** The clock in ms, checked: a NaN time would make tick() never rotate, silently. */
  readonly nowMs: () => number;
  /** Kids this rotator revoked itself, with the reason: known without asking `isRevoked`. */
  readonly revokedHere: Map<string, RevocationReasonName>;
  /** The last serial given to a record: serials never go backwards in this process. */
  serialFloor: number;
  /** The newest held key when `revoke()` erased it for compromise: the next tick reports it. */
  revokedNewest: string | undefined;
  /** The first tombstone write that failed since the last tick (reported by it). */
  tombstoneError: unknown;
  /** Pruning after each tick (SPEC.md §11.6), with the horizon checked. */
  readonly prune?: { store: DirectoryStore; trust: TrustPolicy; horizon: number };
}

/** Checks the options (ERR_INVALID_ARGUMENT naming the bad one) and sets up the state. */
export function createRotationContext(options: KeyRotatorOptions): RotationContext {
  if (options.kem !== undefined && options.kem !== 'X25519' && options.kem !== 'X-Wing') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"kem" expected "X25519" or "X-Wing", got ${show(options.kem)}`,
    );
  }
  const lifetime = wholeSeconds(options.lifetimeSeconds, DEFAULT_KEY_SECONDS, 'lifetimeSeconds');
  const delay = wholeSeconds(options.propagationDelaySeconds, 300, 'propagationDelaySeconds');
  const before = wholeSeconds(
    options.rotateBeforeSeconds,
    Math.floor(lifetime / 4),
    'rotateBeforeSeconds',
  );
  const retention = wholeSeconds(options.retentionSeconds, undefined, 'retentionSeconds');
  const invalid = (message: string): never => {
    throw new BlindwireError(ErrorCode.InvalidArgument, message);
  };
  if (retention <= 0) invalid('"retentionSeconds" expected > 0 (longer than any queue retention)');
  const minimum = minimumRetention(options);
  if (retention < minimum.seconds)
    invalid(
      `"retentionSeconds" expected at least ${minimum.seconds} (${minimum.rule}), got ${retention}`,
    );
  if (before <= delay) invalid('"rotateBeforeSeconds" expected more than propagationDelaySeconds');
  if (lifetime <= before) invalid('"lifetimeSeconds" expected more than rotateBeforeSeconds');
  for (const f of ['now', 'isRevoked'] as const) {
    if (options[f] !== undefined && typeof options[f] !== 'function')
      invalid(`"${f}" expected a function`);
  }
  const stepTimeout = options.stepTimeoutMs ?? 120_000;
  if (!Number.isSafeInteger(stepTimeout) || stepTimeout < 1 || stepTimeout > MAX_TIMER_MS)
    invalid(
      `"stepTimeoutMs" expected whole ms from 1 to ${MAX_TIMER_MS}, got ${show(stepTimeout)}`,
    );
  const prune = checkPrune(options.prune, retention);
  const clock = options.now ?? Date.now;
  return {
    options,
    lifetime,
    delay,
    before,
    retention,
    stepTimeout,
    backend: options.backend ?? getDefaultBackend(),
    nowMs: () => readClock(clock),
    revokedHere: new Map(),
    serialFloor: 0,
    revokedNewest: undefined,
    tombstoneError: undefined,
    ...(prune ? { prune } : {}),
  };
}

/**
 * SPEC.md §11.4: the smallest safe retention, `q + 3s`. A sender seals to a key
 * until its own clock reads not-after + s, and that clock may run s behind
 * (true time not-after + 2s); the message then waits up to q; the rotator
 * erases once its clock reads past not-after + retention, and that clock may
 * run s ahead. Ticks only ever erase late, never early: the tick interval
 * lengthens how long a private key lives, not the minimum.
 */
export function minimumRetention(
  options: Pick<KeyRotatorOptions, 'maxQueueSeconds' | 'clockSkewSeconds'>,
): { seconds: number; rule: string } {
  const q = wholeSeconds(options.maxQueueSeconds, 0, 'maxQueueSeconds');
  const s = wholeSeconds(options.clockSkewSeconds, 60, 'clockSkewSeconds');
  return {
    seconds: q + 3 * s,
    rule: `maxQueueSeconds ${q} + 3 × clockSkewSeconds ${s}: the sender's tolerance and clock offset and the rotator's clock offset`,
  };
}

/** The `prune` option: a store that can remove records, a trust policy, a horizon ≥ 3 × its skew (SPEC.md §11.6). */
function checkPrune(p: KeyRotatorOptions['prune'], retention: number): RotationContext['prune'] {
  if (p === undefined) return undefined;
  if (typeof p !== 'object' || p === null || typeof p.store?.list !== 'function') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"prune.store" expected a DirectoryStore that can remove records',
    );
  }
  assertRemovable(p.store, 'prune.store'); // a read-only store (http) would fail every tick
  checkTrustPolicy(p.trust);
  const horizon = checkHorizon(p.horizonSeconds ?? retention, checkClockSkew(p.trust.clockSkew));
  return { store: p.store, trust: p.trust, horizon };
}

export const wipeAll = (keys: StoredKey[]) => keys.forEach((k) => wipe(k.privateKey));
