import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { variantScore } from './env.js';
import { DEFAULT_SECTION, readIniFile, type IniDocument, type IniEntry, type IniSection } from './ini.js';
import { CONFIG_FILE } from './plugin.js';

/**
 * A format-2 plugin's configuration as MetWork's mfplugin reads it: config.ini, then the
 * administrator's override files, merged key by key; `key[CONFIG]` variants resolved on the
 * merge; `{{VARIABLE}}` replaced; sections starting with `_` dropped. Its ini dialect is
 * narrower than configparser's defaults (`=` only, `#` comments only, `[DEFAULT]` an ordinary
 * section, keys case-sensitive): what it reads differently is reported, with its line.
 */

/** One key's value after variants and placeholders, and where it was written. */
export interface Format2Value {
  value: string;
  file: string;
  line: number;
}

export interface Format2Section {
  name: string;
  file: string;
  line: number;
  /** By key as written (mfplugin keeps the case of keys). */
  keys: Map<string, Format2Value>;
}

/**
 * A finding about the configuration: `error` is what mfplugin refuses, `warning` what it reads
 * otherwise than it looks.
 */
export interface Format2Finding {
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  message: string;
}

export interface Format2Config {
  /** The files read, config.ini first. */
  files: string[];
  sections: Map<string, Format2Section>;
  findings: Format2Finding[];
}

export interface Format2ReadOptions {
  /** Absolute plugin directory. */
  dir: string;
  /** How the user named it, for messages. */
  shown: string;
  name: string;
  module: string;
  /** Lower-case configuration name (`$MFCONFIG`). */
  configName: string;
  environment: Record<string, string | undefined>;
  /** A placeholder's value (environment, plugin identity, MetWork's machine values). */
  lookup: (name: string) => string | undefined;
  /** More ini files read last (`env DIR FILE…`). */
  extraFiles?: string[];
}

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;
const PLACEHOLDER_NAME = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/;
const VARIANT = /^(.*?)\[(.+)\]$/s;

/** config.ini and the override files MetWork reads after it, those that exist. */
export function format2ConfigFiles(
  options: Pick<Format2ReadOptions, 'dir' | 'shown' | 'name' | 'module' | 'environment'>,
): string[] {
  const runtime = options.environment.MFMODULE_RUNTIME_HOME;
  // mfplugin falls back on /tmp when MFMODULE_RUNTIME_HOME is unset: a file anyone can plant there
  // is not read here.
  const overrides = [
    ...(runtime ? [join(runtime, 'config', 'plugins', `${options.name}.ini`)] : []),
    join('/etc/metwork.config.d', options.module, 'plugins', `${options.name}.ini`),
  ];
  return [join(options.shown, CONFIG_FILE), ...overrides.filter((file) => existsSync(file))];
}

/** Reads and merges the configuration files; a file configparser cannot read at all is a ConfigError. */
export async function readFormat2Config(options: Format2ReadOptions): Promise<Format2Config> {
  const files = [...format2ConfigFiles(options), ...(options.extraFiles ?? [])];
  const findings: Format2Finding[] = [];
  const merged = new Map<string, { section: Format2Section; entries: Map<string, IniEntry & { file: string }> }>();
  for (const [index, file] of files.entries()) {
    const doc = await readIniFile(index === 0 ? join(options.dir, CONFIG_FILE) : file, file);
    findings.push(...dialectFindings(doc));
    const sections: IniSection[] = [...(doc.defaults ? [doc.defaults] : []), ...doc.sections.values()];
    for (const section of sections) {
      const line = section.headers[0];
      const target = merged.get(section.name) ?? {
        section: { name: section.name, file, line, keys: new Map() },
        entries: new Map(),
      };
      merged.set(section.name, target);
      for (const entry of section.entries.values()) target.entries.set(entry.key, { ...entry, file });
    }
  }
  const sections = new Map<string, Format2Section>();
  for (const { section, entries } of merged.values()) {
    if (section.name.startsWith('_')) continue;
    for (const [key, entry] of chooseVariants(entries, options.configName)) {
      section.keys.set(key, { value: expand(entry, options.lookup, findings), file: entry.file, line: entry.line });
    }
    sections.set(section.name, section);
  }
  return { files, sections, findings };
}

/** Lines configparser's defaults read but mfplugin's `=`-only, `#`-only reader does not. */
function dialectFindings(doc: IniDocument): Format2Finding[] {
  const findings: Format2Finding[] = [];
  doc.kinds.forEach((kind, index) => {
    const text = doc.lines[index].trim();
    const at = { file: doc.file, line: index + 1 };
    if (kind === 'comment' && text.startsWith(';')) {
      findings.push(
        text.includes('=')
          ? {
              ...at,
              severity: 'warning',
              message: `MetWork reads "${text}" as a key, not a comment: start comments with "#"`,
            }
          : { ...at, severity: 'error', message: `MetWork cannot read this line: comments start with "#", not ";"` },
      );
    }
    if (kind === 'key') {
      const equals = text.indexOf('=');
      const colon = text.indexOf(':');
      if (equals === -1)
        findings.push({
          ...at,
          severity: 'error',
          message: 'MetWork cannot read this line: write key=value ("=", not ":")',
        });
      else if (colon !== -1 && colon < equals) {
        findings.push({
          ...at,
          severity: 'warning',
          message: `MetWork reads the key as "${text.slice(0, equals).trim()}" (it splits at "=" only)`,
        });
      }
    }
    if (kind === 'section' && text === `[${DEFAULT_SECTION}]`) {
      findings.push({
        ...at,
        severity: 'warning',
        message: `[${DEFAULT_SECTION}] is an ordinary section for MetWork: its keys are not lent to the other sections`,
      });
    }
  });
  return findings;
}

/** MetWork's variant rule (env's), on keys as written: a variant matching neither the name nor a prefix is dropped. */
function chooseVariants(
  entries: Map<string, IniEntry & { file: string }>,
  configName: string,
): Map<string, IniEntry & { file: string }> {
  const chosen = new Map<string, { entry: IniEntry & { file: string }; score: number }>();
  for (const entry of entries.values()) {
    const match = entry.key.endsWith(']') ? VARIANT.exec(entry.key) : null;
    const key = match ? match[1] : entry.key;
    const score = match ? variantScore(match[2].toLowerCase(), configName) : 0;
    if (score < 0) continue;
    const previous = chosen.get(key);
    if (!previous || score > previous.score) chosen.set(key, { entry, score });
  }
  return new Map([...chosen].map(([key, { entry }]) => [key, entry]));
}

/** `{{VARIABLE}}` → its value; mfplugin renders values with Jinja2, whose other syntax is kept as written here. */
function expand(
  entry: IniEntry & { file: string },
  lookup: (name: string) => string | undefined,
  findings: Format2Finding[],
): string {
  if (!entry.value.includes('{{')) return entry.value;
  const value = entry.value.replace(PLACEHOLDER, (whole, inner: string) => {
    const name = PLACEHOLDER_NAME.exec(inner)?.[1];
    if (name === undefined) {
      findings.push({
        severity: 'warning',
        file: entry.file,
        line: entry.line,
        message:
          `"${whole}" is kept as written: only {{VARIABLE}} placeholders are replaced (MetWork would ` +
          'evaluate it as Jinja2)',
      });
      return whole;
    }
    const found = lookup(name);
    if (found === undefined)
      findings.push({
        severity: 'warning',
        file: entry.file,
        line: entry.line,
        message: `{{${name}}} is not set in the environment, so it is replaced by nothing`,
      });
    return found ?? '';
  });
  if (value.includes('\0'))
    throw new ConfigError(
      entry.file,
      entry.line,
      `the value of "${entry.key}" holds a NUL character, which no environment variable can carry`,
    );
  return value;
}
