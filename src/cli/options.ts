/**
 * Typed command-line options, declared once with their defaults and docs
 * (the docs become `--help`), validated at the boundary: every error names the
 * option and the accepted form, and is a UsageError (exit 2, one line).
 */
import { UsageError } from '../protocol/errors.js';

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'size' | 'percent';

export interface OptionSpec {
  /** Long name without the dashes. */
  name: string;
  type: OptionType;
  /** One line for --help. */
  doc: string;
  default?: string | number | boolean | string[];
  /** Accepted values (string options). */
  choices?: readonly string[];
  /** May be given more than once; the value is then a string[]. */
  repeatable?: boolean;
  /** Placeholder shown in --help, e.g. `<url>`. */
  arg?: string;
  min?: number;
  max?: number;
  /** Never echo the value (secrets): not in --help defaults, not in errors. */
  secret?: boolean;
  /**
   * The value is itself a command line (e.g. `--emulator-args "--faults swap=0.01"`):
   * the next word is taken as the value even when it starts with `--`.
   */
  rawValue?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage?: string;
  options: readonly OptionSpec[];
  /** Positional arguments description for --help, e.g. `<result.json>`. */
  positionals?: string;
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
  /** Names given explicitly on the command line. */
  given: Set<string>;
  help: boolean;
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/;
const DURATION_UNIT_S: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Parse `250us`, `2ms`, `1.5s`, `10` (seconds), `5m` into seconds. */
export function parseDurationS(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * DURATION_UNIT_S[m[2] ?? 's']!;
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1e6, mib: 1024 ** 2, g: 1024 ** 3, gb: 1e9, gib: 1024 ** 3 };

export function parseSizeBytes(text: string): number {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return NaN;
  return Math.round(Number(m[1]) * SIZE_UNIT[(m[2] ?? 'b').toLowerCase()]!);
}

function convert(spec: OptionSpec, raw: string): string | number | boolean {
  const bad = (form: string): never => {
    throw new UsageError(`--${spec.name}: ${spec.secret ? 'value' : JSON.stringify(raw)} is not ${form}`);
  };
  let v: number;
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) bad(`one of ${spec.choices.join(', ')}`);
      return raw;
    case 'bool':
      if (['true', '1', 'yes', 'on'].includes(raw)) return true;
      if (['false', '0', 'no', 'off'].includes(raw)) return false;
      return bad('a boolean (true/false)');
    case 'int':
      if (!/^-?\d+$/.test(raw)) bad('a whole number');
      v = Number(raw);
      break;
    case 'number':
      v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) bad('a number');
      break;
    case 'duration':
      v = parseDurationS(raw);
      if (!Number.isFinite(v)) bad('a duration (e.g. 10, 10s, 500ms, 250us, 2m)');
      break;
    case 'size':
      v = parseSizeBytes(raw);
      if (!Number.isFinite(v)) bad('a size (e.g. 64KiB, 1MiB, 4096)');
      break;
    case 'percent': {
      const t = raw.trim().replace(/%$/, '');
      v = Number(t);
      if (t === '' || !Number.isFinite(v)) bad('a percentage (e.g. 5%)');
      break;
    }
  }
  if (spec.min !== undefined && v! < spec.min) bad(`>= ${spec.min}`);
  if (spec.max !== undefined && v! > spec.max) bad(`<= ${spec.max}`);
  return v!;
}

/** Parse argv for a command. `--name value`, `--name=value`, `--flag`, `--no-flag`. */
export function parseArgs(cmd: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(cmd.options.map((o) => [o.name, o]));
  const values: OptionValues = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  for (const o of cmd.options) {
    if (o.default !== undefined) values[o.name] = o.repeatable && !Array.isArray(o.default) ? [String(o.default)] : o.default;
    else if (o.repeatable) values[o.name] = [];
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    let raw: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'bool' && raw === undefined) {
      name = name.slice(3);
      spec = byName.get(name);
      raw = 'false';
    }
    if (!spec) {
      throw new UsageError(`${cmd.name}: unknown option --${name} (see \`pagestream-bench ${cmd.name} --help\`)`);
    }
    if (raw === undefined) {
      if (spec.type === 'bool') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || (!spec.rawValue && next.startsWith('--') && next.length > 2)) {
          throw new UsageError(`--${name}: needs a value${spec.arg ? ' ' + spec.arg : ''}`);
        }
        raw = next;
        i++;
      }
    }
    const v = convert(spec, raw);
    if (spec.repeatable) {
      const list = given.has(name) ? (values[name] as string[]) : [];
      list.push(String(v));
      values[name] = list;
    } else {
      if (given.has(name)) throw new UsageError(`--${name}: given more than once`);
      values[name] = v;
    }
    given.add(name);
  }
  return { values, positionals, given, help };
}

/** A duration default as it would be typed: 6s, 500ms, 200us (0 stays 0). */
function formatDuration(s: number): string {
  const n = (x: number): string => String(Number(x.toPrecision(12)));
  if (s === 0) return '0';
  if (s >= 1) return `${n(s)}s`;
  if (s >= 1e-3) return `${n(s * 1e3)}ms`;
  return `${n(s * 1e6)}us`;
}

/** Render --help from the declaration. */
export function renderHelp(cmd: CommandSpec): string {
  const lines = [`pagestream-bench ${cmd.name}${cmd.positionals ? ' ' + cmd.positionals : ''} [options]`, '', cmd.summary, ''];
  if (cmd.usage) lines.push(cmd.usage, '');
  lines.push('Options:');
  const left = cmd.options.map((o) => `  --${o.name}${o.type === 'bool' ? '' : ' ' + (o.arg ?? `<${o.type}>`)}`);
  const w = Math.min(36, Math.max(...left.map((s) => s.length), 10) + 2);
  cmd.options.forEach((o, i) => {
    let d = o.doc;
    if (o.choices) d += ` (${o.choices.join('|')})`;
    if (o.default !== undefined && !o.secret && !(Array.isArray(o.default) && o.default.length === 0)) {
      const shown = Array.isArray(o.default) ? o.default.join(',') : o.type === 'duration' && typeof o.default === 'number' ? formatDuration(o.default) : String(o.default);
      d += ` [default: ${shown}]`;
    }
    // A name longer than the column gets its doc on the next line, never glued to it.
    lines.push(left[i]!.length + 2 > w ? `${left[i]}\n${' '.repeat(w)}${d}` : left[i]!.padEnd(w) + d);
  });
  lines.push('  --help'.padEnd(w) + 'show this help');
  return lines.join('\n') + '\n';
}
