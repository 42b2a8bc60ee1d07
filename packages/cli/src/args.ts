/**
 * Command specifications, argument parsing (`node:util` parseArgs, strict)
 * and the help text generated from the same specifications, so a flag that
 * parses is a flag that is documented.
 */
import { parseArgs } from 'node:util';
import type { BlindwireError } from '@blindwire/core';
import type { CliIo } from './io.js';

/** A command line that does not follow a command's usage: exit code 2. */
export class UsageError extends Error {
  /** The command whose `--help` the message points to (e.g. `anchor create`). */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder in the help text, e.g. `FILE`. */
  value?: string;
  description: string;
}

export interface Positionals {
  /** Placeholder in the help text, e.g. `NAME` or `FILE...`. */
  name: string;
  min: number;
  max: number;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  io: CliIo;
  values: Values;
  positionals: string[];
  /** `anchor create`, `directory serve`... */
  command: string;
}

export interface CommandSpec {
  /** `anchor create`, `inspect`... */
  name: string;
  summary: string;
  /** After `blindwire <name> `: `NAME --out FILE [options]`. */
  usage: string;
  /** Longer description, one paragraph per entry. */
  description?: string[];
  positionals: Positionals;
  options: Record<string, OptionSpec>;
  examples: string[];
  run(ctx: Context): Promise<number>;
  /** The exit status of a failed operation (exit-codes.ts); 1 when absent. */
  exitStatus?(e: BlindwireError): number;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help.' };

/** Parses `argv` (after the command words) against `spec`; throws UsageError. */
export function parseCommand(
  spec: CommandSpec,
  argv: string[],
): { values: Values; positionals: string[] } | 'help' {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = { help: HELP };
  for (const [k, o] of Object.entries(spec.options)) {
    options[k] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: attachValues(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e), spec.name);
  }
  if (parsed.values['help'] === true) return 'help';
  const { min, max } = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing ${spec.positionals.name}`, spec.name);
  if (n > max) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[max])}`,
      spec.name,
    );
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/**
 * A string option takes the next word as its value, as getopt does, even when
 * that word starts with a dash: kids are base64url and one in 64 starts with
 * `-` (`--kid -Ehed2sS_5oR0F4DZI6DNA`). parseArgs refuses such a value as
 * ambiguous, so the pair is joined into `--kid=-Ehed...` first. A next word
 * that is itself one of the command's options (`--kid --reason`) is left
 * alone, and parseArgs reports the missing value.
 */
function attachValues(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
): string[] {
  const known = new Set<string>();
  const takesValue = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) {
    known.add(`--${name}`);
    if (o.short) known.add(`-${o.short}`);
    if (o.type === 'string') {
      takesValue.set(`--${name}`, `--${name}`);
      if (o.short) takesValue.set(`-${o.short}`, `--${name}`);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const long = takesValue.get(word);
    const next = argv[i + 1];
    if (
      long !== undefined &&
      next !== undefined &&
      next.startsWith('-') &&
      !known.has(next) &&
      next !== '--'
    ) {
      out.push(`${long}=${next}`);
      i++;
    } else {
      out.push(word);
    }
  }
  return out;
}

/** parseArgs messages are good but long; keep the first sentence. */
function parseArgsMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('. To specify')[0]!.replace(/\.$/, '');
}

/** The value of a string option, or undefined. */
export function optString(ctx: Context, name: string): string | undefined {
  const v = ctx.values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

/** The value of a required string option; a UsageError names it when missing. */
export function reqString(ctx: Context, name: string): string {
  const v = optString(ctx, name);
  if (v === undefined || v.length === 0) throw new UsageError(`missing --${name}`, ctx.command);
  return v;
}

export function optList(ctx: Context, name: string): string[] {
  const v = ctx.values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function flag(ctx: Context, name: string): boolean {
  return ctx.values[name] === true;
}

/** Splits `text` into lines of at most `width` characters, each prefixed by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

const HELP_WIDTH = 100;

/** The help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: blindwire ${spec.name} ${spec.usage}`, '', spec.summary];
  for (const p of spec.description ?? []) lines.push('', ...wrap(p, HELP_WIDTH));
  lines.push('', 'Options:');
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([k, o]) => {
    const left = `${o.short ? `-${o.short}, ` : ''}--${k}${o.value ? ` ${o.value}` : ''}`;
    return [left, o.description + (o.multiple ? ' Repeatable.' : '')] as const;
  });
  const width = Math.min(32, Math.max(...rows.map(([l]) => l.length)) + 2);
  for (const [l, d] of rows) {
    const text = wrap(d, HELP_WIDTH, ' '.repeat(width + 2));
    if (l.length + 2 > width) lines.push(`  ${l}`);
    else text[0] = `  ${l.padEnd(width)}${text[0]!.trimStart()}`;
    lines.push(...text);
  }
  if (spec.examples.length > 0) {
    lines.push('', spec.examples.length === 1 ? 'Example:' : 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n') + '\n';
}
