/**
 * `inspect`: the header as an intermediary sees it, with no keys
 * (SPEC.md §4.1). Gateways use it for routing and policy on public claims.
 */
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import { readHead } from '../wire/cbor.js';
import { parseFrame, type Frame } from '../wire/frame.js';
import { Kind, MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION } from '../wire/kinds.js';
import { decodeMessageHeader, decodeResponseHeader, decodeStreamHeader } from '../wire/header.js';
import { checkArguments, limitsOf, readOptions, type CommonOptions } from './common-options.js';
import { isBytes, notBytes } from './values.js';
import { headerInfo, type EnvelopeInfo } from './envelope-info.js';

/**
 * A stream's public parts (SPEC.md §7a.1) from its first bytes: the prefix and
 * the header are enough, so a gateway can inspect a stream of any length
 * without buffering it. `ciphertextBytes` counts the chunk bytes given.
 */
function inspectStream(bytes: Uint8Array, limits: Limits): EnvelopeInfo {
  const malformed = (what: string) =>
    new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed stream: ${what}`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw malformed('bad magic');
  if (bytes[2] !== VERSION) {
    throw new BlindwireError(
      ErrorCode.UnsupportedVersion,
      `unsupported envelope version ${bytes[2]}`,
    );
  }
  const [major, length, headLength] = readHead(bytes, PREFIX_LENGTH);
  if (major !== 2) throw malformed('header must be a byte string');
  if (length > limits.maxHeaderBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header of ${length} bytes exceeds maxHeaderBytes ${limits.maxHeaderBytes}`,
    );
  }
  const start = PREFIX_LENGTH + headLength;
  if (length > bytes.length - start) throw malformed('truncated');
  const header = bytes.subarray(start, start + length);
  const frame: Frame = {
    kind: Kind.Stream,
    prefix: bytes.subarray(0, PREFIX_LENGTH),
    header,
    ciphertext: bytes.subarray(start + length),
  };
  return headerInfo(decodeStreamHeader(header, limits), frame);
}

/**
 * Parses and validates an envelope's public parts without any key. For a
 * stream, the first bytes (prefix and header) are enough.
 */
export function inspect(envelope: Uint8Array, options?: CommonOptions): EnvelopeInfo {
  // Its options, each read once, as plain JavaScript may pass them.
  const limits = checkArguments(() =>
    limitsOf(readOptions<CommonOptions>(options, ['limits', 'backend'], true)),
  );
  if (!isBytes(envelope)) notBytes();
  if (envelope.length >= 4 && envelope[3] === Kind.Stream) {
    return inspectStream(envelope, limits);
  }
  if (envelope.length >= 4 && envelope[3] === Kind.Response) {
    const frame = parseFrame(envelope, Kind.Response, limits);
    return headerInfo(decodeResponseHeader(frame.header, limits), frame);
  }
  const frame = parseFrame(envelope, Kind.Message, limits);
  return headerInfo(decodeMessageHeader(frame.header, limits), frame);
}
