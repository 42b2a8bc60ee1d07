/**
 * A bare Kafka protocol client for the broker's tests: sends a request frame
 * (request header v1) and reads the response body after its correlation id,
 * or reports that the broker closed the connection. Lets the tests send what
 * no well-behaved client would: corrupted batches, odd versions, junk.
 */
import { connect, type Socket } from 'node:net';
import { Reader, Writer } from '../../src/kafka-broker/codec.js';

export class RawClient {
  private chunks: Buffer[] = [];
  private waiting: (() => void) | undefined;
  private correlation = 0;
  closed = false;

  /** The correlation id of the last request sent. */
  get lastCorrelationId(): number {
    return this.correlation;
  }

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Writes raw bytes as they are. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Frames and sends a request; returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: Uint8Array | Writer, clientId = 'raw'): number {
    const id = ++this.correlation;
    const bytes = body instanceof Writer ? body.done() : body;
    const head = new Writer().int16(apiKey).int16(apiVersion).int32(id).string(clientId).done();
    this.write(
      new Writer()
        .int32(head.length + bytes.length)
        .raw(head)
        .raw(bytes)
        .done(),
    );
    return id;
  }

  /** The next response: a Reader on its body, or 'closed' when the broker closed the socket. */
  async response(): Promise<{ correlationId: number; body: Reader } | 'closed'> {
    for (;;) {
      const all = Buffer.concat(this.chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        const size = all.readInt32BE(0);
        this.chunks = [all.subarray(4 + size)];
        return { correlationId: all.readInt32BE(4), body: new Reader(all.subarray(8, 4 + size)) };
      }
      if (this.closed) return 'closed';
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  /** Sends and awaits the response body; throws when the connection was closed instead. */
  async request(apiKey: number, apiVersion: number, body: Uint8Array | Writer): Promise<Reader> {
    const id = this.send(apiKey, apiVersion, body);
    const res = await this.response();
    if (res === 'closed') throw new Error('the broker closed the connection');
    if (res.correlationId !== id)
      throw new Error(`correlation id ${res.correlationId}, sent ${id}`);
    return res.body;
  }

  /** Ends the writing side (the broker then closes the connection once it has read everything). */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A Produce v3 request body for one partition of `topic`. */
export function produceBody(topic: string, records: Uint8Array, acks = -1, partition = 0): Writer {
  return new Writer()
    .string(null)
    .int16(acks)
    .int32(5000)
    .array([topic], (w, t) =>
      w.string(t).array([records], (w2, r) => w2.int32(partition).bytes(r)),
    );
}

/** The (error code, base offset) of the one partition of a Produce v3 response. */
export function producedPartition(r: Reader): { errorCode: number; baseOffset: number } {
  const [t] = r.array((x) => ({
    name: x.string(),
    parts: x.array((p) => ({
      index: p.int32(),
      errorCode: p.int16(),
      baseOffset: p.int64(),
      time: p.int64(),
    })),
  }));
  r.int32();
  r.end('Produce response');
  return { errorCode: t!.parts[0]!.errorCode, baseOffset: t!.parts[0]!.baseOffset };
}

/** A Fetch v4 request body for partition 0 of `topic`. */
export function fetchBody(
  topic: string,
  offset: number,
  o: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {},
): Writer {
  return new Writer()
    .int32(-1)
    .int32(o.maxWaitMs ?? 0)
    .int32(o.minBytes ?? 1)
    .int32(o.maxBytes ?? 1 << 20)
    .int8(0)
    .array([topic], (w, t) =>
      w.string(t).array([0], (w2, p) =>
        w2
          .int32(p)
          .int64(offset)
          .int32(o.partitionMaxBytes ?? 1 << 20),
      ),
    );
}

/** The one partition of a Fetch v4 response: error, high watermark and record-set bytes. */
export function fetchedPartition(r: Reader): {
  errorCode: number;
  highWatermark: number;
  records: Buffer;
} {
  r.int32(); // throttle
  const [t] = r.array((x) => ({
    name: x.string(),
    parts: x.array((p) => ({
      index: p.int32(),
      errorCode: p.int16(),
      highWatermark: p.int64(),
      lastStable: p.int64(),
      aborted: p.array((a) => [a.int64(), a.int64()]),
      records: p.bytes(),
    })),
  }));
  r.end('Fetch response');
  const p = t!.parts[0]!;
  return {
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    records: Buffer.from(p.records),
  };
}

/** A Metadata v4 request creating `topics` (auto-create allowed). */
export function metadataBody(topics: string[]): Writer {
  return new Writer().array(topics, (w, t) => w.string(t)).boolean(true);
}
