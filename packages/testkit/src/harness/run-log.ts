/**
 * The run log of a consumer child (the accounting of SPEC.md §7b): one file,
 * appended to by every incarnation of the child, read by the harness while
 * the run goes on and at its end. Metadata only (message ids, outcomes,
 * codes), never a payload or a sender name.
 *
 *   R <incarnation>                                        the consumer is running
 *   H <incarnation> <messageId>                            the handler ran (written before it returns,
 *                                                          so before the commit)
 *   E <incarnation> <outcome> <action> <code|-> <id|->     the consumer's event (a disposition)
 *   C <messageId>                                          the harness saw the id committed in the
 *                                                          replay store (written before it publishes
 *                                                          replay copies: no handler may start after)
 *
 * Each line is one `write` to a file opened with O_APPEND: the kernel keeps
 * it when the process is SIGKILLed right after. `fsync` (option) adds
 * durability against a machine crash, which a SIGKILL test does not need.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface RunLogWriter {
  /** The consumer is running (after its subscription is set up). */
  ready(): void;
  /** Call from the handler, before it returns. */
  handled(messageId: string): void;
  /** Call from the consumer's `onEvent`. */
  event(e: { outcome: string; action: string; code?: string; messageId?: string }): void;
  /** A line of no known form (a violation the child saw), reported by the accounting. */
  stray(line: string): void;
  close(): void;
}

/** Opens `path` for appending, as incarnation `incarnation`. */
export function openRunLog(
  path: string,
  incarnation: number,
  options: { fsync?: boolean } = {},
): RunLogWriter {
  const fd = openSync(path, 'a');
  const write = (line: string) => {
    writeSync(fd, line + '\n');
    if (options.fsync === true) fsyncSync(fd);
  };
  return {
    ready: () => write(`R ${incarnation}`),
    handled: (id) => write(`H ${incarnation} ${id}`),
    event: (e) =>
      write(`E ${incarnation} ${e.outcome} ${e.action} ${e.code ?? '-'} ${e.messageId ?? '-'}`),
    stray: (line) => write(line.replace(/\n/g, ' ')),
    close: () => closeSync(fd),
  };
}

export interface HandlerCall {
  incarnation: number;
  messageId: string;
}

/** A `C` line: the harness saw `messageId` committed after `handledBefore` handler lines. */
export interface CommitSeen {
  messageId: string;
  /** Handler (`H`) lines before it in the log: `handled[k]` with k >= this came after. */
  handledBefore: number;
}

export interface LoggedEvent {
  incarnation: number;
  outcome: string;
  action: string;
  code: string | undefined;
  messageId: string | undefined;
}

export interface RunLog {
  ready: number[];
  handled: HandlerCall[];
  events: LoggedEvent[];
  /** The harness's `C` lines (absent when there is none). */
  commitsSeen?: CommitSeen[];
  /** Lines that follow none of the forms (a torn last line is not counted). */
  malformed: string[];
}

/** Parses a run log's text; a last line without its newline (torn by a kill) is ignored. */
export function parseRunLog(text: string): RunLog {
  const log: RunLog = { ready: [], handled: [], events: [], malformed: [] };
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a torn line
  for (const line of lines) {
    const f = line.split(' ');
    const inc = Number(f[1]);
    if (f[0] === 'R' && f.length === 2 && inc > 0) log.ready.push(inc);
    else if (f[0] === 'H' && f.length === 3 && inc > 0)
      log.handled.push({ incarnation: inc, messageId: f[2]! });
    else if (f[0] === 'C' && f.length === 2 && f[1]!.length > 0)
      (log.commitsSeen ??= []).push({ messageId: f[1]!, handledBefore: log.handled.length });
    else if (f[0] === 'E' && f.length === 6 && inc > 0)
      log.events.push({
        incarnation: inc,
        outcome: f[2]!,
        action: f[3]!,
        code: f[4] === '-' ? undefined : f[4],
        messageId: f[5] === '-' ? undefined : f[5],
      });
    else log.malformed.push(line);
  }
  return log;
}

/** Appends the harness's `C <messageId>` line (one write, O_APPEND, like the child's). */
export function appendCommitSeen(path: string, messageId: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, `C ${messageId}\n`);
  } finally {
    closeSync(fd);
  }
}

export function readRunLog(path: string): RunLog {
  return parseRunLog(readFileSync(path, 'utf8'));
}
