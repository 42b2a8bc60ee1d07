/**
 * Refusals as JSON-RPC errors (SPEC.md §11e): `-32602` (invalid params) with
 * a fixed message per code and `data: { code }`, never the arguments, the
 * sender or an inner message.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';

/** The JSON-RPC error code of a sealed call that did not open ("Invalid params"). */
export const INVALID_PARAMS = -32602;
/** JSON-RPC invalid request: a batch, or a request whose id is already in flight. */
export const INVALID_REQUEST = -32600;

const MESSAGES: Record<string, string> = {
  [ErrorCode.SenderNotAllowed]: 'Blindwire: this caller is not allowed to call this tool',
  [ErrorCode.Unsupported]: 'Blindwire: this tool accepts sealed calls only',
  [ErrorCode.Replay]: 'Blindwire: this sealed call was already processed',
  [ErrorCode.ReplayInFlight]: 'Blindwire: this sealed call is being processed',
  [ErrorCode.ContextMismatch]: 'Blindwire: the sealed call was made for another tool',
  [ErrorCode.Transport]: 'Blindwire: a key directory or the replay store is unavailable',
  [ErrorCode.LimitExceeded]: 'Blindwire: the sealed call is too large',
};

/** The code of a failure: a Blindwire code, else ERR_OPEN_FAILED (never an inner message). */
export function codeOf(e: unknown): string {
  return isBlindwireError(e) ? e.code : ErrorCode.OpenFailed;
}

/** The fixed message of a refusal with this code. */
export function messageOf(code: string): string {
  return MESSAGES[code] ?? 'Blindwire: the sealed call could not be opened';
}

/** A refusal of the call `id`: `-32602`, a fixed message, `data: { code }`. */
export function refusal(
  id: string | number,
  code: string,
): {
  jsonrpc: '2.0';
  id: string | number;
  error: { code: number; message: string; data: { code: string } };
} {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: INVALID_PARAMS,
      message: messageOf(code),
      data: { code },
    },
  };
}
