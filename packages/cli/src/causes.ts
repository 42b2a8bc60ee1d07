/**
 * What a client library's error says, for the CLI's own error messages when
 * it connects to a store: the error's code (`ECONNREFUSED`, a Redis error
 * such as `ERR DB index is out of range`) and message, without secrets. The
 * directory's store adapters describe their own failures the same way; this
 * covers the connections the CLI makes itself (stores.ts).
 */

/** Longest piece of a client's message that an error repeats, characters. */
const MAX_CAUSE_CHARS = 200;

/** `text` with URL user information and secret-looking `name=value` pairs replaced by `***`. */
export function redactSecrets(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@')
      .replace(
        /\b(password|passwd|pwd|pass|token|secret|apikey|api_key|auth)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi,
        '$1$2***',
      )
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

/**
 * The code and message of `cause`, redacted (redactSecrets) and cut at
 * MAX_CAUSE_CHARS; empty when it says nothing. Never throws.
 */
export function describeCause(cause: unknown): string {
  let code: unknown;
  let message: unknown;
  try {
    code = (cause as { code?: unknown } | null)?.code;
    message = cause instanceof Error ? cause.message : undefined;
  } catch {
    return '';
  }
  const c = typeof code === 'string' && /^[A-Za-z0-9_]{1,32}$/.test(code) ? code : '';
  const m = typeof message === 'string' ? redactSecrets(message) : '';
  const text = c && !m.includes(c) ? `${c} ${m}`.trim() : m || c;
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}...` : text;
}
