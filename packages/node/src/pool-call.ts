/**
 * One call of the open pool, in the calling thread (SPEC.md §7): the
 * options checked exactly as core `open` checks them, before any input and
 * in the same order, then turned into data for the worker (pool-wire.ts);
 * the worker's questions answered with the caller's own callbacks (the
 * replay store or guard of §7 step 18, the resolver of §7 step 14); and the
 * result rebuilt as `open` returns it: the reservation bound to the caller's
 * store with the token the worker reserved under, the response state
 * (§6.1) remembered for `sealResponse`, errors with their causes.
 */
import {
  BlindwireError,
  ErrorCode,
  toBase64url,
  type CryptoBackend,
  type OpenOptions,
  type OpenResult,
  type ReplayEntry,
  type ReplayGuard,
  type ReplayStore,
  type SenderResolver,
} from '@blindwire/core';
import {
  OPEN_OPTION_KEYS,
  checkArguments,
  checkOpenOptions,
  createReservation,
  invalidArgument,
  isBytes,
  isReplayStore,
  limitsOf,
  notBytes,
  readOptions,
  rememberOpenState,
  resolvedSenderKey,
  suiteFromIds,
} from '@blindwire/core/internal';
import {
  toWireValue,
  type FromWorker,
  type ReserveArgs,
  type ToWorker,
  type WireError,
  type WireOptions,
  type WireResult,
} from './pool-wire.js';

/** A call on its way: what the calling thread keeps while the worker opens. */
export interface PoolCall {
  readonly message: Extract<ToWorker, { t: 'open' }>;
  /** Buffers moved to the worker (copies of the private keys): none stays here. */
  readonly transfer: ArrayBuffer[];
  readonly replay: ReplayGuard | ReplayStore | undefined;
  readonly resolveSender: SenderResolver | undefined;
  /** Built before any check, as `open` builds it: its stack holds the caller's frames only. */
  readonly failed: BlindwireError;
  /** What the caller's callbacks threw, by number: rethrown, or the cause of what the worker threw. */
  readonly refs: unknown[];
  /** The entry and token of the reservation the caller's store granted. */
  reserved?: { entry: ReplayEntry; token: string };
  settled: boolean;
  resolve(r: OpenResult): void;
  reject(e: unknown): void;
}

/**
 * Checks `options` as `open` does (ERR_INVALID_ARGUMENT and the rest, in the
 * same order) and builds the worker's message. A `backend` option must be the
 * pool's own (its workers run that one), or absent.
 */
export function prepareCall(
  id: number,
  envelope: unknown,
  options: OpenOptions,
  backend: CryptoBackend,
): Omit<PoolCall, 'resolve' | 'reject' | 'settled' | 'failed' | 'refs'> {
  const { o, limits, policy } = checkArguments(() => {
    const o = readOptions<OpenOptions>(options, OPEN_OPTION_KEYS);
    if (o.backend !== undefined && o.backend !== backend)
      throw invalidArgument(
        'backend',
        "the pool's backend (pool.backend, which its workers run) or none",
      );
    const limits = limitsOf(o);
    return { o, limits, policy: checkOpenOptions(o, limits, backend) };
  });
  if (!isBytes(envelope)) notBytes();
  const recipient = policy.keys.map(({ key }) => ({
    kid: key.kid,
    publicKey: copyOf(key.publicKey),
    privateKey: copyOf(key.privateKey), // moved to the worker, which zeroes it after the call
  }));
  const wire: WireOptions = {
    recipient,
    revokedKids: policy.revokedKids.map((k) => toBase64url(k)),
    context: copyOf(policy.context),
    resolveSender: policy.resolveSender !== undefined,
    clockSkew: policy.skew,
    replayLeaseMs: policy.replayLeaseMs,
    limits,
  };
  // Copied too: a posted view carries its whole buffer (a Buffer pool slab's other secrets).
  if (policy.trustedSenders)
    wire.trustedSenders = policy.trustedSenders.map(({ name, signing }) => ({
      name,
      signing: { kid: signing.kid, publicKey: copyOf(signing.publicKey) },
    }));
  if (o.allowedSenders !== undefined) wire.allowedSenders = Array.from(o.allowedSenders);
  if (policy.allowedSuites) wire.allowedSuites = [...policy.allowedSuites];
  if (policy.now !== undefined) wire.now = policy.now;
  if (policy.maxAge !== undefined) wire.maxAge = policy.maxAge;
  if (policy.replay) wire.replay = isReplayStore(policy.replay) ? 'store' : 'guard';
  // A view of a shared or larger buffer is copied: the worker gets these bytes only.
  const bytes = copyOf(envelope);
  return {
    message: { t: 'open', id, bytes, o: wire },
    transfer: [bytes.buffer, ...recipient.map((k) => k.privateKey.buffer as ArrayBuffer)],
    replay: policy.replay,
    resolveSender: policy.resolveSender,
  };
}

/** A callback's error kept here under a number; its code and message go to the worker. */
function kept(call: PoolCall, e: unknown): WireError {
  const ref = call.refs.push(e) - 1;
  if (e instanceof BlindwireError) return { ref, code: e.code, message: e.message };
  return { ref, message: 'the callback failed' };
}

/** Runs the callback the worker asks for, with the caller's objects; the answer for the port. */
export async function answer(
  call: PoolCall,
  ask: Extract<FromWorker, { t: 'ask' }>,
  backend: CryptoBackend,
  release: (call: PoolCall) => void,
): Promise<ToWorker> {
  const { n } = ask;
  try {
    if (ask.fn === 'resolve') {
      // The resolver's answer checked here (§7 step 14): only a key crosses.
      const [sender, kid] = ask.args as [string, string];
      const key = await resolvedSenderKey(call.resolveSender!, sender, kid, backend);
      // A copy: the caller's answer may be a view, and a posted view carries its whole buffer.
      return { t: 'answer', n, ok: true, value: key ? { bytes: copyOf(key) } : { v: undefined } };
    }
    if (ask.fn === 'has') {
      const [messageId, sender] = ask.args as [string, string];
      return {
        t: 'answer',
        n,
        ok: true,
        value: toWireValue(await call.replay!.has(messageId, sender)),
      };
    }
    const [entry, leaseMs, token] = ask.args as ReserveArgs;
    const got: unknown = await (call.replay as ReplayStore).reserve(entry, leaseMs, token);
    if (got === 'reserved') {
      call.reserved = { entry, token };
      if (call.settled) release(call); // the call already failed (its worker stopped): free the id
    }
    return { t: 'answer', n, ok: true, value: toWireValue(got) };
  } catch (e) {
    return { t: 'answer', n, ok: false, error: kept(call, e) };
  }
}

/** The result as `open` returns it, from the worker's. */
export function resultOf(call: PoolCall, w: WireResult): OpenResult {
  const r: OpenResult = {
    payload: w.payload,
    sender: w.sender,
    senderKid: w.senderKid,
    messageId: w.messageId,
    header: w.header,
  };
  if (w.contentType !== undefined) r.contentType = w.contentType;
  if (w.reserved) {
    const { entry, token } = call.reserved!;
    r.reservation = createReservation(call.replay as ReplayStore, entry, token);
  }
  rememberOpenState(r, {
    suite: suiteFromIds(w.header.suite, undefined),
    requestId: w.state.requestId,
    responder: w.state.responder,
    responseSecret: w.state.responseSecret,
    expiresAt: w.header.expiresAt,
    responseIds: new Set(),
  });
  return r;
}

/** The error as `open` throws it, from the worker's. */
export function errorOf(call: PoolCall, e: WireError): unknown {
  if (e.ref !== undefined) return call.refs[e.ref];
  if (e.code === ErrorCode.OpenFailed) return call.failed;
  if (e.code !== undefined) {
    const made = e.cause && new (e.cause.name === 'TypeError' ? TypeError : Error)(e.cause.message);
    const cause = e.causeRef === undefined ? made : call.refs[e.causeRef];
    return new BlindwireError(
      e.code as ErrorCode,
      e.message,
      cause === undefined ? undefined : { cause },
    );
  }
  return new BlindwireError(ErrorCode.Transport, 'an open pool worker failed', {
    cause: new Error(e.message),
  });
}

/**
 * A copy in a buffer of its own, safe to transfer. Not `x.slice()`: on a Node
 * Buffer (a Uint8Array) that is a view, and transferring its buffer would
 * detach the caller's memory (a client's socket buffer, Node's Buffer pool).
 */
function copyOf(x: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(x);
}
