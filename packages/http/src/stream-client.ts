/**
 * Stream mode on the agent's side (SPEC.md §7a): the body is sealed chunk by
 * chunk as it is sent, with our stream media type. The tool answers with a
 * message sealed to the agent and signed by the tool (streams define no
 * response), whose signed claim `bw-request` must name this stream: the agent
 * opens it with its own encryption key, only from the tool it called.
 */
import {
  BlindwireError,
  ErrorCode,
  MediaType,
  open,
  sealStream,
  type Recipient,
} from '@blindwire/core';
import { BODY_HEADERS, mediaTypeOfHeader, readBounded } from './body.js';
import { PROBLEM_MEDIA_TYPE, problemCode } from './problem.js';
import { responseOf } from './answer.js';
import { decodeRecord } from './record.js';
import { REQUEST_CLAIM } from './stream-server.js';
import type { FetchLike, SealedFetchOptions } from './types.js';

/**
 * A stream's lifetime in seconds unless `ttl` is given: the server's replay
 * lease (default 5 minutes) must outlive the stream, which is cut when it
 * ends (SPEC.md §11d.4).
 */
export const DEFAULT_STREAM_TTL = 240;

interface StreamCall {
  o: SealedFetchOptions & { maxResponseBytes: number; sealHeaders: string[] };
  url: URL;
  method: string;
  path: string;
  context: string | Uint8Array;
  recipients: Recipient[];
  /** The body (a message-mode body over the message limit), else the request's own stream. */
  source?: ReadableStream<Uint8Array>;
  /** The caller's abort signal, from `init` or its Request. */
  signal?: AbortSignal | undefined;
}

export async function streamFetch(
  fetch: FetchLike,
  request: Request,
  c: StreamCall,
): Promise<Response> {
  const { o } = c;
  if (typeof o.to !== 'string' || o.keys === undefined || (!o.resolveSender && !o.trustedSenders))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      'stream mode expected "to" as the tool\'s name, "keys" and "resolveSender" or "trustedSenders"',
    );
  const s = sealStream({
    sender: o.sender,
    recipients: c.recipients,
    context: c.context,
    ttl: o.ttl ?? DEFAULT_STREAM_TTL,
    ...(o.chunkSize !== undefined && { chunkSize: o.chunkSize }),
    ...(o.now !== undefined && { now: o.now() }),
  });
  s.result.catch(() => undefined);
  const source: ReadableStream<Uint8Array> = c.source ?? request.body ?? new Blob([]).stream();
  const body = source.pipeThrough(s);
  const headers = new Headers();
  request.headers.forEach((v, k) => {
    if (!k.startsWith('content-') && !BODY_HEADERS.includes(k) && !c.o.sealHeaders.includes(k))
      headers.append(k, v);
  });
  headers.set('content-type', MediaType.Stream);
  headers.set('accept', `${MediaType.Envelope}, ${PROBLEM_MEDIA_TYPE}`);
  const res = await fetch(c.url, {
    method: c.method,
    headers,
    body,
    duplex: 'half',
    redirect: 'manual',
    ...(c.signal ? { signal: c.signal } : {}),
  } as RequestInit);
  const sent = await s.result;
  const type = mediaTypeOfHeader(res.headers.get('content-type'));
  if (type !== MediaType.Envelope) {
    const code =
      type === PROBLEM_MEDIA_TYPE
        ? problemCode(
            new TextDecoder().decode(
              await readBounded(res.body, 4096, 'a problem').catch(() => new Uint8Array()),
            ),
          )
        : undefined;
    throw new BlindwireError(
      ErrorCode.Transport,
      `the server answered ${res.status} without a sealed response`,
      {
        cause: { status: res.status, code },
      },
    );
  }
  const bytes = await readBounded(res.body, o.maxResponseBytes, 'the response');
  const opened = await open(bytes, {
    recipient: o.keys,
    context: c.context,
    allowedSenders: [o.to],
    ...(o.resolveSender !== undefined && { resolveSender: o.resolveSender }),
    ...(o.trustedSenders !== undefined && { trustedSenders: o.trustedSenders }),
    ...(o.now !== undefined && { now: o.now() }),
  });
  if (opened.header.claims?.[REQUEST_CLAIM] !== sent.messageId)
    throw new BlindwireError(ErrorCode.ContextMismatch, 'the reply answers another request');
  return responseOf(decodeRecord(opened.payload, 'response'), res);
}
