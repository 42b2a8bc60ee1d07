/**
 * A readable/writable pair around a sink that turns writes into pushed
 * output, with backpressure in both directions: a write resolves only once
 * its output has been queued, and each push waits until the reader has room
 * (the readable holds at most one chunk). A failure anywhere errors both
 * sides and the result promise with the same reason, after the sink has
 * erased its secrets.
 */
import { BlindwireError, ErrorCode } from '../errors.js';

/** Queues `chunk` for the reader; by default waits until the reader has room again. */
export type Push = (chunk: Uint8Array, wait?: boolean) => Promise<void>;

export interface ChannelSink<R> {
  start(push: Push): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
  /** Pushes what remains; returns the result. */
  close(): Promise<R>;
  /** Erases secrets; called once, on any failure. */
  dispose(): void;
}

export interface Channel<R> {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  result: Promise<R>;
}

/**
 * What a cancel or abort from outside becomes: every rejection is a
 * BlindwireError (SPEC.md §9), so a foreign reason (a socket error, an
 * AbortError, none at all) is ERR_TRANSPORT with that reason as its cause.
 */
function fromOutside(reason: unknown, what: string): BlindwireError {
  if (reason instanceof BlindwireError) return reason;
  return new BlindwireError(
    ErrorCode.Transport,
    `the stream was ${what}`,
    reason === undefined || reason === null ? undefined : { cause: reason },
  );
}

/** What a sink throws when it finds the stream already failed (the channel keeps the first reason). */
export function alreadyFailed(): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, 'the stream has already failed');
}

export function createChannel<R>(sink: ChannelSink<R>): Channel<R> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | undefined;
  let stopped: { reason: unknown } | undefined;
  let resolve!: (r: R) => void;
  let reject!: (e: unknown) => void;
  const result = new Promise<R>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marks the promise handled: a caller that only reads the stream (which
  // errors too) must not crash the process with an unhandled rejection.
  result.catch(() => {});

  const wakeUp = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (reason: unknown) => {
    if (stopped) return;
    stopped = { reason };
    sink.dispose();
    controller.error(reason);
    reject(reason);
    wakeUp();
  };
  const check = () => {
    if (stopped) throw stopped.reason;
  };
  const push: Push = async (chunk, wait = true) => {
    check();
    controller.enqueue(chunk);
    while (wait && !stopped && (controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((r) => (wake = r));
    }
    check();
  };
  const guard = async <T>(step: () => Promise<T>): Promise<T> => {
    check();
    try {
      return await step();
    } catch (e) {
      fail(e);
      throw stopped!.reason; // the first failure's reason, on every side
    }
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: wakeUp,
      cancel: (reason) => {
        fail(fromOutside(reason, 'cancelled by its reader'));
      },
    },
    { highWaterMark: 1 },
  );
  const writable = new WritableStream<Uint8Array>(
    {
      start: () => guard(() => sink.start(push)),
      write: (chunk) => guard(() => sink.write(chunk)),
      close: async () => {
        const r = await guard(() => sink.close());
        controller.close();
        resolve(r);
      },
      abort: (reason) => fail(fromOutside(reason, 'aborted by its writer')),
    },
    { highWaterMark: 1 },
  );
  return { readable, writable, result };
}
