/**
 * One client connection: size-delimited frames in, requests handled one at a
 * time in arrival order, responses written in that order (Kafka protocol
 * guide, "Network": "requests will be processed in the order they are sent
 * and responses will return in that order"). Request header v1:
 * request_api_key request_api_version correlation_id client_id; response
 * header v0: correlation_id ("Headers").
 *
 * Bad input closes the socket and nothing else: a frame size below the
 * smallest header or above `maxFrameBytes`, a field that runs past its frame
 * or bytes left after the last field, an API this broker does not implement,
 * a version it did not advertise (ApiVersions excepted: answered in v0 with
 * UNSUPPORTED_VERSION), or any error of a handler.
 */
import type { Socket } from 'node:net';
import { Reader, Writer } from './codec.js';
import { CLOSE, type BrokerState, type Handler, type HandlerResult } from './context.js';
import * as admin from './handlers-admin.js';
import * as data from './handlers-data.js';
import * as group from './handlers-group.js';
import { API, ERR, VERSIONS, type ApiKey } from './protocol.js';

/** request_api_key + request_api_version + correlation_id + client_id length. */
const MIN_FRAME = 10;
/** Frames queued before the socket stops being read (back-pressure). */
const MAX_QUEUED = 32;

const HANDLERS: Readonly<Record<ApiKey, Handler>> = {
  [API.Produce]: data.produce,
  [API.Fetch]: data.fetch,
  [API.ListOffsets]: data.listOffsets,
  [API.Metadata]: admin.metadata,
  [API.OffsetCommit]: group.offsetCommit,
  [API.OffsetFetch]: group.offsetFetch,
  [API.FindCoordinator]: admin.findCoordinator,
  [API.JoinGroup]: group.joinGroup,
  [API.Heartbeat]: group.heartbeat,
  [API.LeaveGroup]: group.leaveGroup,
  [API.SyncGroup]: group.syncGroup,
  [API.DescribeGroups]: group.describeGroups,
  [API.ListGroups]: group.listGroups,
  [API.ApiVersions]: admin.apiVersions,
  [API.CreateTopics]: admin.createTopics,
  [API.DeleteTopics]: admin.deleteTopics,
  [API.InitProducerId]: admin.initProducerId,
};

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being read, or -1 while its size prefix is awaited. */
  private need = -1;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly socket: Socket,
    private readonly state: BrokerState,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.abort.abort());
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) return;
        const size = this.take(4).readInt32BE(0);
        if (size < MIN_FRAME || size > this.state.options.maxFrameBytes) return this.close();
        this.need = size;
      }
      if (this.buffered < this.need) return;
      this.queue.push(this.take(this.need));
      this.need = -1;
      if (this.queue.length >= MAX_QUEUED) this.socket.pause();
      void this.pump();
    }
  }

  /** The next `n` buffered bytes (one concatenation per frame at most). */
  private take(n: number): Buffer {
    const all =
      this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let frame = this.queue.shift(); frame !== undefined; frame = this.queue.shift()) {
        if (this.socket.destroyed) return;
        if (this.queue.length < MAX_QUEUED) this.socket.resume();
        if (!(await this.handle(frame))) return this.close();
      }
    } catch {
      this.close();
    } finally {
      this.busy = false;
    }
  }

  /** Handles one frame; false when the connection must be closed. */
  private async handle(frame: Buffer): Promise<boolean> {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const apiVersion = r.int16();
    const correlationId = r.int32();
    const clientId = r.nullableString() ?? '';
    const range = (VERSIONS as Partial<Record<number, readonly [number, number]>>)[apiKey];
    if (range === undefined) return false;
    let body: HandlerResult;
    if (apiKey === API.ApiVersions && apiVersion > range[1])
      body = admin.apiVersionsBody(ERR.UNSUPPORTED_VERSION, 0);
    else if (apiVersion < range[0] || apiVersion > range[1]) return false;
    else
      body = await HANDLERS[apiKey as ApiKey](r, {
        apiVersion,
        clientId,
        clientHost: this.socket.remoteAddress ?? '',
        state: this.state,
        signal: this.abort.signal,
      });
    if (body === CLOSE) return false;
    if (body !== null) this.send(correlationId, body);
    return true;
  }

  private send(correlationId: number, body: Writer): void {
    if (this.socket.destroyed) return;
    const bytes = body.done();
    const head = new Writer()
      .int32(bytes.length + 4)
      .int32(correlationId)
      .done();
    this.socket.write(Buffer.concat([head, bytes]));
  }

  close(): void {
    this.queue.length = 0;
    this.socket.destroy();
  }
}
