/**
 * A worker thread of the open pool (open-pool.ts): runs core `open`
 * (SPEC.md §7, every step in order) on the options the calling thread
 * checked and cloned (pool-wire.ts), asking the calling thread for the
 * replay store or guard (§7 step 18) and the sender resolver (§7 step 14).
 *
 * After each call nothing secret stays in byte arrays here: the cloned
 * private keys are zeroed (and the node backend's cached copies of them
 * dropped), the payload and the response secret are copied into buffers that
 * are moved to the calling thread, and the originals are zeroed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  BlindwireError,
  open,
  pureBackend,
  type ErrorCode,
  type OpenOptions,
  type ReplayGuard,
  type ReplayStore,
} from '@blindwire/core';
import { forgetPrivateKeys, nodeBackend } from '@blindwire/core/backend/node';
import { openStateOf } from '@blindwire/core/internal';
import {
  fromWireValue,
  type AskFunction,
  type FromWorker,
  type PoolBackendName,
  type ToWorker,
  type WireError,
  type WireOptions,
  type WireResult,
} from './pool-wire.js';

const port = parentPort!;
const backend =
  (workerData as { backend: PoolBackendName }).backend === 'pure' ? pureBackend : nodeBackend;

/** An error standing for one the calling thread holds under `ref`. */
type Stand = Error & { poolRef?: number };

const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextAsk = 0;

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

/** Asks the calling thread to run one of the caller's callbacks for call `id`. */
function ask(id: number, fn: AskFunction, args: unknown[]): Promise<unknown> {
  const n = nextAsk++;
  return new Promise((resolve, reject) => {
    asked.set(n, { resolve, reject });
    post({ t: 'ask', id, n, fn, args });
  });
}

/** The stand-in of an error thrown in the calling thread: a BlindwireError if that one was. */
function standIn(e: WireError): Stand {
  const s: Stand =
    e.code === undefined
      ? new Error(e.message)
      : new BlindwireError(e.code as ErrorCode, e.message);
  if (e.ref !== undefined) s.poolRef = e.ref;
  return s;
}

/** `open`'s options in this thread: the data, and the callbacks as questions to the calling thread. */
function optionsOf(id: number, w: WireOptions): OpenOptions {
  const o: OpenOptions = {
    recipient: w.recipient,
    revokedKids: w.revokedKids,
    context: w.context,
    clockSkew: w.clockSkew,
    replayLeaseMs: w.replayLeaseMs,
    limits: w.limits,
    backend,
  };
  if (w.trustedSenders !== undefined) o.trustedSenders = w.trustedSenders;
  if (w.resolveSender)
    o.resolveSender = (sender, kid) => ask(id, 'resolve', [sender, kid]) as Promise<Uint8Array>;
  if (w.allowedSenders !== undefined) o.allowedSenders = w.allowedSenders;
  if (w.allowedSuites !== undefined) o.allowedSuites = w.allowedSuites;
  if (w.now !== undefined) o.now = w.now;
  if (w.maxAge !== undefined) o.maxAge = w.maxAge;
  if (w.replay === 'guard') {
    const guard: ReplayGuard = {
      has: (messageId, sender) => ask(id, 'has', [messageId, sender]) as Promise<boolean>,
      record: () => undefined, // never called by open
    };
    o.replay = guard;
  } else if (w.replay === 'store') {
    const never = () => Promise.reject(new Error('not asked of a worker'));
    const store: ReplayStore = {
      reserve: (entry, leaseMs, token) =>
        ask(id, 'reserve', [entry, leaseMs, token]) as ReturnType<ReplayStore['reserve']>,
      commit: never,
      release: never,
      has: never,
      record: never,
    };
    o.replay = store;
  }
  return o;
}

/** The error of a failed call, for the port. */
function wireError(e: unknown): WireError {
  const ref = (e as Stand | undefined)?.poolRef;
  if (ref !== undefined) return { ref, message: '' };
  if (e instanceof BlindwireError) {
    const out: WireError = { code: e.code, message: e.message };
    const cause = e.cause as Stand | undefined;
    if (cause?.poolRef !== undefined) out.causeRef = cause.poolRef;
    else if (cause instanceof Error) out.cause = { name: cause.name, message: cause.message };
    return out;
  }
  return { message: e instanceof Error ? e.message : 'a non-error was thrown' };
}

/** Copies `b` into a buffer of its own (to move to the calling thread) and zeroes `b`. */
function moveOut(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  b.fill(0);
  return out;
}

async function run(m: Extract<ToWorker, { t: 'open' }>): Promise<void> {
  const keys = m.o.recipient.map((k) => k.privateKey);
  try {
    const r = await open(m.bytes, optionsOf(m.id, m.o));
    const state = openStateOf(r)!;
    const out: WireResult = {
      payload: moveOut(r.payload),
      sender: r.sender,
      senderKid: r.senderKid,
      messageId: r.messageId,
      header: r.header,
      reserved: r.reservation !== undefined,
      state: {
        requestId: state.requestId,
        responder: state.responder,
        responseSecret: moveOut(state.responseSecret),
      },
    };
    if (r.contentType !== undefined) out.contentType = r.contentType;
    post({ t: 'done', id: m.id, r: out }, [
      out.payload.buffer as ArrayBuffer,
      out.state.responseSecret.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    post({ t: 'fail', id: m.id, e: wireError(e) });
  } finally {
    for (const k of keys) k.fill(0);
    if (backend === nodeBackend) forgetPrivateKeys(...keys);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'open') {
    void run(m);
    return;
  }
  const a = asked.get(m.n);
  if (!a) return;
  asked.delete(m.n);
  if (m.ok) a.resolve(fromWireValue(m.value));
  else a.reject(standIn(m.error));
});
