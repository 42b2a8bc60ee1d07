/**
 * Node stream adapters for the streaming mode (SPEC.md §7a): each wraps the
 * WHATWG pair of core's `sealStream` / `openStream` in a `stream.Duplex`
 * (`Duplex.fromWeb`), for `pipeline()` with files, sockets and HTTP bodies.
 *
 *     const s = sealStreamNode({ sender, recipients });
 *     await pipeline(createReadStream(src), s.duplex, createWriteStream(dst));
 *     await s.result;
 *
 *     const o = openStreamNode({ recipient, trustedSenders });
 *     await pipeline(createReadStream(dst), o.duplex, createWriteStream(tmp));
 *     const { sender } = await o.result; // only now is `tmp` the sender's signed body
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type {
  ReadableStream as NodeReadable,
  WritableStream as NodeWritable,
} from 'node:stream/web';
import {
  openStream,
  sealStream,
  type OpenStreamOptions,
  type OpenStreamResult,
  type SealStreamOptions,
  type SealStreamResult,
} from '@blindwire/core';

/** Options of the Duplex itself. */
export type AdapterOptions = Pick<DuplexOptions, 'highWaterMark' | 'signal'>;

/**
 * What `sealStreamNode` returns: a Node duplex of plaintext in, sealed stream out, and the result.
 */
export interface NodeSealStream {
  /** Plaintext in, sealed stream out. */
  duplex: Duplex;
  result: Promise<SealStreamResult>;
}

/**
 * What `openStreamNode` returns: a Node duplex of ciphertext in, plaintext out, and the result
 * that resolves once the whole stream verified.
 */
export interface NodeOpenStream {
  /** Sealed stream in, plaintext out, chunk by chunk as each authenticates. */
  duplex: Duplex;
  /** Resolves once the whole body verified; until then, do not act on the plaintext. */
  result: Promise<OpenStreamResult>;
}

/** The DOM and node:stream/web typings of one runtime class differ; the objects are the same. */
function fromWeb(
  pair: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
  adapter: AdapterOptions | undefined,
): Duplex {
  return Duplex.fromWeb(
    {
      readable: pair.readable as unknown as NodeReadable,
      writable: pair.writable as unknown as NodeWritable,
    },
    adapter,
  );
}

/** `sealStream` as a Node Duplex. */
export function sealStreamNode(
  options: SealStreamOptions,
  adapter?: AdapterOptions,
): NodeSealStream {
  const s = sealStream(options);
  return { duplex: fromWeb(s, adapter), result: s.result };
}

/** `openStream` as a Node Duplex. */
export function openStreamNode(
  options: OpenStreamOptions,
  adapter?: AdapterOptions,
): NodeOpenStream {
  const o = openStream(options);
  return { duplex: fromWeb(o, adapter), result: o.result };
}
