/**
 * Secret state kept between `seal` and `openResponse`, and between `open`
 * and `sealResponse` (SPEC.md §6). It lives in WeakMaps keyed by the result
 * objects, so it is never enumerable, never serialised and never logged with
 * them, and it is collected with them. The requester's state leaves the
 * process only sealed to the requester's own key (SPEC.md §11a,
 * response-state.ts).
 */
import type { EnvelopeSuite } from '../wire/suites.js';

export interface SealState {
  suite: EnvelopeSuite;
  messageId: Uint8Array;
  /** The request's issued-at and expires-at, Unix seconds: an exported state lives until expires-at (SPEC.md §11a). */
  issuedAt: number;
  expiresAt: number;
  /** Response secret per recipient kid (hex), in the order of the request's recipient entries. */
  responders: Map<string, Uint8Array>;
  /** `responder kid/response id` (hex) of the responses accepted so far: each opens once (SPEC.md §6.3). */
  acceptedResponses: Set<string>;
}

export interface OpenState {
  suite: EnvelopeSuite;
  requestId: Uint8Array;
  /** The kid under which this endpoint opened the request. */
  responder: Uint8Array;
  responseSecret: Uint8Array;
  /** The request's expires-at as opened, Unix seconds: bounds a response's default lifetime (SPEC.md §6.4). */
  expiresAt: number;
  /** Response ids used so far: one id never seals two responses (SPEC.md §6.1). */
  responseIds: Set<string>;
}

const sealStates = new WeakMap<object, SealState>();
const openStates = new WeakMap<object, OpenState>();

export function rememberSealState(result: object, state: SealState): void {
  sealStates.set(result, state);
}
export function sealStateOf(result: object): SealState | undefined {
  return sealStates.get(result);
}
export function rememberOpenState(result: object, state: OpenState): void {
  openStates.set(result, state);
}
export function openStateOf(result: object): OpenState | undefined {
  return openStates.get(result);
}
