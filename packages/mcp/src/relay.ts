/**
 * The decorator's frame: a Transport that forwards to the wrapped one,
 * rewriting messages each way through async steps. Incoming messages are
 * handled in arrival order (one queue), so a progress notification is never
 * delivered after the answer it precedes. Properties the SDKs read
 * (`sessionId`, `hasPerRequestStream`) and set (`setProtocolVersion`) pass
 * through; the SDK's callbacks are read when a message arrives, since the
 * SDK reassigns them.
 */
import type { JsonRpcMessage, McpTransport } from './types.js';

type Step<T> = (m: JsonRpcMessage, options?: unknown) => Promise<T>;

export class Relay implements McpTransport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  readonly #inner: McpTransport;
  readonly #out: Step<JsonRpcMessage>;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    inner: McpTransport,
    incoming: Step<JsonRpcMessage | undefined>,
    outgoing: Step<JsonRpcMessage>,
    onClosed?: () => Promise<void>,
  ) {
    this.#inner = inner;
    this.#out = outgoing;
    inner.onclose = () => {
      if (onClosed) this.#queue = this.#queue.then(onClosed).catch(() => undefined);
      this.onclose?.();
    };
    inner.onerror = (e) => this.onerror?.(e);
    inner.onmessage = (message: JsonRpcMessage, extra?: unknown) => {
      this.#queue = this.#queue.then(async () => {
        try {
          const m = await incoming(message);
          if (m !== undefined) this.onmessage?.(m, extra);
        } catch (e) {
          this.onerror?.(e instanceof Error ? e : new Error(String(e)));
        }
      });
    };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  get hasPerRequestStream(): boolean | undefined {
    return this.#inner.hasPerRequestStream;
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  async send(message: JsonRpcMessage, options?: unknown): Promise<void> {
    await this.#inner.send(await this.#out(message, options), options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.#inner.setSupportedProtocolVersions?.(versions);
  }
}
