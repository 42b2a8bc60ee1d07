/** What the message and stream paths of the sealed handler share for one call. */
import type { HttpEvent, RoutePolicy, SealedHandlerOptions } from './types.js';

/** The largest message-mode body either way, by default: 1 MiB (larger bodies go in stream mode). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** The lifetime of a sealed response, by default: 60 seconds. */
export const DEFAULT_RESPONSE_TTL = 60;

/** What the message and stream paths share for one call. */
export interface CallScope {
  o: Required<Pick<SealedHandlerOptions, 'maxMessageBytes' | 'responseTtl' | 'sealHeaders'>> &
    SealedHandlerOptions;
  request: Request;
  method: string;
  path: string;
  route: RoutePolicy;
  context: string | Uint8Array;
  emit: (e: Omit<HttpEvent, 'binding' | 'destination' | 'ms'>) => void;
}
