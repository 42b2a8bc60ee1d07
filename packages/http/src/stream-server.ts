/**
 * Stream mode on the tool's side (SPEC.md §7a): the request body is opened as
 * it arrives; the handler starts once the first chunk verified (the agent's
 * header signature, the route's allowed senders, the context and the replay
 * reservation checked, §7a.5 step 9) and reads the body as it verifies. The
 * call fails, whatever the handler answered, if the stream's final check
 * fails. Streams define no response (§7a.2), so the answer is a message
 * sealed to the verified agent (resolved through `resolveRecipient`) and
 * signed by the tool, its claim `bw-request` naming the stream's message id.
 *
 * The reservation is a lease (`replayLeaseMs`): a stream still arriving when
 * it ends is cut and refused with ERR_EXPIRED (SPEC.md §11d.4), so that a
 * proxy holding the upload open cannot have a copy and the original both run.
 */
import {
  BlindwireError,
  DEFAULT_REPLAY_LEASE_MS,
  ErrorCode,
  MediaType,
  openStream,
  seal,
  type OpenStreamResult,
  type SenderResolver,
} from '@blindwire/core';
import { resolveRecipients } from '@blindwire/core/internal';
import { codeOf, problem } from './problem.js';
import { isResponse } from './answer.js';
import { encodeRecord } from './record.js';
import { settle } from './settle.js';
import { senderAllowed } from './policy.js';
import { outerResponse, recordOf } from './reply.js';
import type { CallScope } from './scope.js';

/** The largest stream-mode request the handler accepts, by default: 1 GiB. */
export const DEFAULT_MAX_STREAM_BYTES = 1024 * 1024 * 1024;
/** The public claim that ties a stream-mode reply to its request. */
export const REQUEST_CLAIM = 'bw-request';

export async function handleStream(s: CallScope): Promise<Response> {
  const { o } = s;
  const refuse = (code: string, status?: number): Response => {
    const r = problem(code, status);
    s.emit({ outcome: 'refused', code, status: r.status, mode: 'stream', bytes: 0 });
    return r;
  };
  if (!o.identity || !o.resolveRecipient) return refuse(ErrorCode.Unsupported, 415);
  if (s.request.body === null) return refuse(ErrorCode.EnvelopeMalformed);
  let os: ReturnType<typeof openStream>;
  const named: { sender?: string; kid?: string } = {};
  try {
    os = openerFor(s, named);
  } catch (e) {
    return refuse(codeOf(e));
  }
  const result = os.result;
  result.catch(() => undefined);
  // The lease starts no later than the store's: taken before record 0 is read.
  const clock = (): number => o.now?.() ?? Date.now();
  const leaseEnds = clock() + (o.replayLeaseMs ?? DEFAULT_REPLAY_LEASE_MS);
  const expired = (): boolean => clock() >= leaseEnds;
  const outlived = (): BlindwireError =>
    new BlindwireError(ErrorCode.Expired, 'the stream outlived its replay lease');
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(outlived()), Math.max(0, leaseEnds - clock()));
  (timer as { unref?: () => void }).unref?.();
  s.request.body.pipeTo(os.writable, { signal: abort.signal }).catch(() => undefined);
  const cut = (): void => {
    if (!expired()) return;
    const e = outlived();
    abort.abort(e);
    throw e;
  };
  try {
    return await streamCall(s, os, result, cut, refuse, named);
  } finally {
    clearTimeout(timer);
  }
}

async function streamCall(
  s: CallScope,
  os: ReturnType<typeof openStream>,
  result: Promise<OpenStreamResult>,
  cut: () => void,
  refuse: (code: string, status?: number) => Response,
  named: { sender?: string; kid?: string },
): Promise<Response> {
  const { o } = s;
  const reader = os.readable.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (e) {
    return refuse(codeOf(e));
  }
  // Record 0 verified (signature, context, reservation): the sender whose key
  // was resolved is the stream's. The route's senders are checked now, after
  // the context, like a message's (SPEC.md §11d.4).
  if (named.sender === undefined || !senderAllowed(s.route, named.sender)) {
    await reader.cancel().catch(() => undefined);
    const r = await result.catch(() => undefined);
    await r?.reservation?.release().catch(() => undefined);
    return refuse(ErrorCode.SenderNotAllowed);
  }
  const body = released(first, reader, cut);
  const settled = result.then(({ sender, senderKid, messageId }) => {
    cut();
    return { sender, senderKid, messageId };
  });
  settled.catch(() => undefined);
  const verified = verifiedOnceRead(settled, () => !body.stream.locked && !body.touched());
  let res: Response | undefined;
  let handlerFailed = false;
  let handlerError: unknown;
  try {
    res = await o.streamHandler!({
      method: s.method,
      path: s.path,
      request: s.request,
      sender: named.sender,
      senderKid: named.kid!,
      body: body.stream,
      verified,
    });
    if (!isResponse(res)) throw new TypeError('the handler must return a Response');
  } catch (e) {
    handlerFailed = true;
    handlerError = e;
  }
  await body.drain();
  let r: OpenStreamResult;
  try {
    r = await result;
  } catch (e) {
    return refuse(codeOf(e)); // the final check failed: whatever the handler answered
  }
  try {
    cut(); // the lease ended before the stream did: a copy may hold the reservation now
  } catch (e) {
    return refuse(codeOf(e));
  }
  if (handlerFailed || res === undefined) {
    await r.reservation?.release().catch(() => undefined);
    s.emit({
      outcome: 'handler-failed',
      code: 'ERR_HANDLER',
      error: handlerError,
      status: 500,
      mode: 'stream',
      bytes: 0,
      messageId: r.messageId,
    });
    return problem('ERR_HANDLER');
  }
  return sealStreamReply(s, r, res);
}

type Verified = { sender: string; senderKid: string; messageId: string };

/**
 * `verified` settles once the whole body verified, so only after the body
 * was read: awaited before the handler started reading it (or cancelled it),
 * it could never settle, and rejects at once instead.
 */
function verifiedOnceRead(settled: Promise<Verified>, early: () => boolean): Promise<Verified> {
  const verified = {
    then(ok, fail) {
      if (!early()) return settled.then(ok, fail);
      return Promise.reject(
        new BlindwireError(
          ErrorCode.InvalidArgument,
          'call.verified settles once the whole body verified: read call.body first',
        ),
      ).then(ok, fail);
    },
    catch(fail) {
      return this.then(undefined, fail);
    },
    finally(f) {
      return this.then(
        (v) => Promise.resolve(f?.()).then(() => v),
        (e: unknown) =>
          Promise.resolve(f?.()).then(() => {
            throw e;
          }),
      );
    },
    [Symbol.toStringTag]: 'Promise',
  } as Promise<Verified>;
  return verified;
}

async function sealStreamReply(
  s: CallScope,
  r: OpenStreamResult,
  res: Response,
): Promise<Response> {
  const { o } = s;
  let out: Response;
  try {
    const record = await recordOf(res, o.sealHeaders, o.maxMessageBytes);
    const recipients = await resolveRecipients(r.sender, o.resolveRecipient, s.context);
    const sealed = await seal(encodeRecord(record), {
      sender: o.identity!,
      recipients,
      context: s.context,
      claims: { [REQUEST_CLAIM]: r.messageId },
      ttl: o.responseTtl,
      ...(o.padding !== undefined && { padding: o.padding }),
      ...(o.now !== undefined && { now: o.now() }),
    });
    out = outerResponse(
      res,
      sealed.envelope,
      MediaType.Envelope,
      { messageId: sealed.messageId, requestId: r.messageId },
      o.sealHeaders,
    );
  } catch (e) {
    await r.reservation?.release().catch(() => undefined);
    return problem(codeOf(e), 500);
  }
  const failed = await settle(r.reservation);
  if (failed !== undefined) {
    s.emit({
      outcome: 'commit-failed',
      code: failed,
      status: out.status,
      mode: 'stream',
      bytes: 0,
      messageId: r.messageId,
    });
    return out;
  }
  s.emit({
    outcome: 'delivered',
    status: out.status,
    mode: 'stream',
    bytes: r.bodyBytes,
    messageId: r.messageId,
  });
  return out;
}

/** The handler's body: the first read, then the rest; `drain` reads what the handler left. */
function released(
  first: ReadableStreamReadResult<Uint8Array>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  check: () => void,
): {
  stream: ReadableStream<Uint8Array>;
  drain: () => Promise<void>;
  touched: () => boolean;
} {
  let touched = false;
  let pending: ReadableStreamReadResult<Uint8Array> | undefined = first;
  let ended = first.done;
  const next = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (pending) {
      const p = pending;
      pending = undefined;
      return p;
    }
    const r = await reader.read();
    if (r.done) ended = true;
    check();
    return r;
  };
  // highWaterMark 0: pull runs only when the handler reads, so it tells that it did.
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        touched = true;
        try {
          const r = await next();
          if (r.done) c.close();
          else c.enqueue(r.value);
        } catch (e) {
          c.error(e);
        }
      },
      cancel() {
        touched = true;
        void drain(); // the handler stopped reading: the rest is drained (and verified) now
      },
    },
    { highWaterMark: 0 },
  );
  const drain = async (): Promise<void> => {
    try {
      while (!ended) {
        const r = await next();
        if (r.done) break;
      }
    } catch {
      // the stream's error is reported by its result
    }
  };
  return { stream, drain, touched: () => touched };
}

/** The stream opener of a call: the route's senders, the context, the replay store (SPEC.md §7a.5). */
function openerFor(
  s: CallScope,
  named: { sender?: string; kid?: string },
): ReturnType<typeof openStream> {
  const { o } = s;
  // Pinned senders first, then the resolver (SPEC.md §7 step 14), through one
  // resolver that notes the name it was asked for: core admits record 0 only
  // under the key it returned, so once record 0 verified that name is the sender.
  const trusted = o.trustedSenders ?? [];
  const resolveSender: SenderResolver = (name, kid) => {
    named.sender = name;
    named.kid = kid;
    const pinned = trusted.find((t) => t.name === name && t.signing.kid === kid);
    if (pinned !== undefined) return pinned.signing.publicKey;
    return o.resolveSender?.(name, kid) ?? null;
  };
  return openStream({
    recipient: o.recipient,
    ...(o.revokedKids !== undefined && { revokedKids: o.revokedKids }),
    resolveSender,
    ...(o.allowedSuites !== undefined && { allowedSuites: o.allowedSuites }),
    ...(o.clockSkew !== undefined && { clockSkew: o.clockSkew }),
    ...(s.route.maxAge !== undefined && { maxAge: s.route.maxAge }),
    ...(o.replayLeaseMs !== undefined && { replayLeaseMs: o.replayLeaseMs }),
    ...(o.now !== undefined && { now: o.now() }),
    context: s.context,
    replay: o.replay!,
    limits: { maxStreamBytes: o.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES },
  });
}
