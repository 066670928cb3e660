import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Format2Config, Format2Finding, Format2Section } from './format2-config.js';
import { didYouMean } from './suggest.js';

/**
 * What mfplugin (with MFSERV's configuration class) accepts in a format-2 config.ini, and the
 * typed document it makes of it: required `[general]` keys, a `_version` of its characters,
 * no unknown key in `[app_*]`/`[extra_daemon_*]`/`[general]`, no unknown section; typed keys
 * coerced as MetWork coerces them (booleans from 1/true/yes/y/t, whole numbers else 0, `null`
 * strings empty) and absent keys given MetWork's defaults.
 */

export type Format2Scalar = string | number | boolean;

type Kind = 'string' | 'nullable' | 'integer' | 'boolean' | 'logsplit' | 'timeout';

interface Rule {
  kind: Kind;
  required?: boolean;
  default?: Format2Scalar;
  pattern?: RegExp;
  nonEmpty?: boolean;
  /** An extra nginx file of the plugin (must exist), or `;`-separated routes. */
  check?: 'pluginFile' | 'routes';
  /** For `logsplit`: the module setting AUTO defers to ({MODULE}_LOG_TRY_TO_SPLIT_…). */
  setting?: string;
}

type Schema = Record<string, Rule>;

const string = (extra: Partial<Rule> = {}): Rule => ({ kind: 'nullable', default: '', ...extra });
const integer = (value: number): Rule => ({ kind: 'integer', default: value });
const boolean = (value: boolean): Rule => ({ kind: 'boolean', default: value });
const required = (extra: Partial<Rule> = {}): Rule => ({ kind: 'string', required: true, nonEmpty: true, ...extra });

const GENERAL: Schema = {
  _version: required({ pattern: /^[a-z0-9\-_.]+$/, nonEmpty: false }),
  _release: string({ default: '1' }),
  _summary: required(),
  _license: required(),
  _url: required(),
  _maintainer: required(),
  _vendor: required(),
  _add_plugin_dir_to_python_path: boolean(true),
};

const COMMAND: Schema = {
  log_split_stdout_stderr: { kind: 'logsplit', default: 'AUTO', setting: 'LOG_TRY_TO_SPLIT_STDOUT_STDERR' },
  log_split_multiple_workers: { kind: 'logsplit', default: 'AUTO', setting: 'LOG_TRY_TO_SPLIT_MULTIPLE_WORKERS' },
  numprocesses: integer(0),
  _cmd_and_args: string(),
  graceful_timeout: integer(10),
  max_age: integer(0),
  rlimit_as: integer(0),
  rlimit_nofile: integer(0),
  rlimit_stack: integer(0),
  rlimit_fsize: integer(0),
  debug: boolean(false),
};

/** Keys of the 0.9 format whose new name no spelling distance finds. */
const RENAMED = new Map([
  ['workers', 'numprocesses'],
  ['main_arg', '_cmd_and_args'],
  ['type', '_cmd_and_args'],
]);

const NGINX_FILE = string({ check: 'pluginFile' });

/** MFSERV's additions (mfserv.plugins.MfservConfiguration). */
const MFSERV_GENERAL: Schema = {
  _extra_nginx_http_conf_filename: NGINX_FILE,
  _extra_nginx_server_conf_filename: NGINX_FILE,
  _extra_nginx_init_worker_by_lua_block_filename: NGINX_FILE,
  _add_plugin_dir_to_lua_path: boolean(true),
};

const MFSERV_APP: Schema = {
  smart_stop_signal: integer(15),
  smart_stop_delay: integer(3),
  smart_start_delay: integer(3),
  timeout: { kind: 'timeout' },
  _debug_extra_options: string(),
  _prefix_based_routing: boolean(true),
  _virtualdomain_based_routing: boolean(false),
  virtualdomain_based_routing_extra_vhosts: string(),
  _static_routing: boolean(true),
  _static_url_prefix: string({ default: '/static' }),
  _static_directory: string({ default: '/static' }),
  prefix_based_routing_extra_routes: string({ check: 'routes' }),
  _gateway_interface_mode: string(),
  _extra_nginx_conf_filename: NGINX_FILE,
  _extra_nginx_conf_static_filename: NGINX_FILE,
  _http_test_endpoint: string(),
  _http_test_expected_status_code: integer(200),
  _http_test_expected_body: string({ default: 'OK' }),
  _http_test_timeout: integer(10),
};

const MFSERV_INTERNAL: Schema = { disable_nginx_conf: boolean(false) };

/** The schema of a section, `'any'` for `[custom*]`, undefined for a section MetWork refuses. */
function sectionSchema(section: string, mfserv: boolean): Schema | 'any' | undefined {
  if (section === 'general') return mfserv ? { ...GENERAL, ...MFSERV_GENERAL } : GENERAL;
  if (section.startsWith('app_')) return mfserv ? { ...COMMAND, ...MFSERV_APP } : COMMAND;
  if (section.startsWith('extra_daemon_')) return COMMAND;
  if (section.startsWith('custom')) return 'any';
  if (mfserv && section === 'internal') return MFSERV_INTERNAL;
  return undefined;
}

export type Format2Document = Map<string, Map<string, Format2Scalar>>;

export interface ValidateOptions {
  /** Absolute plugin directory (extra nginx files are relative to it). */
  dir: string;
  module: string;
  /** MetWork variables the coercions read (nginx timeout, log splitting). */
  lookup: (name: string) => string | undefined;
}

/** Checks the merged configuration and returns MetWork's typed document of it, with every finding. */
export function validateFormat2(
  config: Format2Config,
  options: ValidateOptions,
): { document: Format2Document; findings: Format2Finding[] } {
  const mfserv = options.module === 'mfserv';
  const findings: Format2Finding[] = [];
  const document: Format2Document = new Map();
  const firstFile = config.files[0];
  if (!config.sections.has('general'))
    findings.push({
      severity: 'error',
      file: firstFile,
      message: 'the [general] section is missing (it holds _version, _summary, _license, _url, _maintainer, _vendor)',
    });
  for (const section of config.sections.values()) {
    const schema = sectionSchema(section.name, mfserv);
    if (schema === undefined) {
      findings.push({
        severity: 'error',
        file: section.file,
        line: section.line,
        message:
          `unknown section [${section.name}]: MetWork accepts [general], [app_NAME], ` +
          `[extra_daemon_NAME] and [custom…]${mfserv ? ', [internal]' : ''}`,
      });
      continue;
    }
    document.set(section.name, normalizeSection(section, schema, options, findings));
  }
  return { document, findings };
}

function normalizeSection(
  section: Format2Section,
  schema: Schema | 'any',
  options: ValidateOptions,
  findings: Format2Finding[],
): Map<string, Format2Scalar> {
  const values = new Map<string, Format2Scalar>();
  if (schema === 'any') {
    for (const [key, entry] of section.keys) values.set(key, entry.value);
    return values;
  }
  for (const [key, entry] of section.keys) {
    const rule = Object.hasOwn(schema, key) ? schema[key] : undefined;
    const at = { file: entry.file, line: entry.line };
    if (!rule) {
      const renamed = RENAMED.get(key);
      const hint =
        renamed && schema[renamed] ? ` (MetWork 2 names it "${renamed}")` : didYouMean(key, Object.keys(schema));
      findings.push({ ...at, severity: 'error', message: `unknown key "${key}" in [${section.name}]${hint}` });
      continue;
    }
    const value = coerce(rule, entry.value, options);
    values.set(key, value);
    for (const message of ruleProblems(rule, key, value, options))
      findings.push({ ...at, severity: 'error', message: `[${section.name}] ${message}` });
  }
  for (const [key, rule] of Object.entries(schema)) {
    if (values.has(key) || section.keys.has(key)) continue;
    if (rule.required)
      findings.push({
        severity: 'error',
        file: section.file,
        line: section.line,
        message: `[${section.name}] ${key} is required`,
      });
    else values.set(key, rule.kind === 'timeout' ? nginxTimeout(options) : coerce(rule, String(rule.default), options));
  }
  return values;
}

function ruleProblems(rule: Rule, key: string, value: Format2Scalar, options: ValidateOptions): string[] {
  const text = String(value);
  const problems: string[] = [];
  if (rule.nonEmpty && text === '') problems.push(`${key} is empty: give it a value`);
  if (rule.pattern && !rule.pattern.test(text))
    problems.push(`${key}="${text}": use only lower-case letters, digits, ".", "-" and "_" (such as 1.2.3)`);
  if (rule.check === 'pluginFile' && text !== '' && !isFile(join(options.dir, text))) {
    problems.push(`${key}="${text}": no such file in the plugin directory (a path relative to it, or null)`);
  }
  if (rule.check === 'routes' && text !== '') {
    for (const route of text.split(';').map((r) => r.trim())) {
      if (route === '/') continue;
      if (!route.startsWith('/')) problems.push(`${key}: route "${route}" must start with "/"`);
      if (route.endsWith('/')) problems.push(`${key}: route "${route}" must not end with "/" ("/" alone is allowed)`);
    }
  }
  return problems;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

const TRUE_WORDS = ['1', 'true', 'yes', 'y', 't'];
const PYTHON_INT = /^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$/;

/** MetWork's coercions: they never fail, they turn what they cannot read into 0, false or "". */
function coerce(rule: Rule, raw: string, options: ValidateOptions): Format2Scalar {
  switch (rule.kind) {
    case 'string':
      return raw;
    case 'nullable':
      return raw === 'null' ? '' : raw;
    case 'integer':
      return toInt(raw);
    case 'boolean':
      return TRUE_WORDS.includes(raw.toLowerCase());
    case 'logsplit':
      return TRUE_WORDS.includes(
        (raw === 'AUTO'
          ? (options.lookup(`${options.module.toUpperCase()}_${rule.setting}`) ?? '')
          : raw
        ).toLowerCase(),
      );
    case 'timeout': {
      const seconds = PYTHON_INT.test(raw) ? toInt(raw) : 0;
      return seconds <= 0 ? nginxTimeout(options) : seconds;
    }
  }
}

function toInt(raw: string): number {
  return PYTHON_INT.test(raw) ? Number.parseInt(raw.replaceAll('_', ''), 10) : 0;
}

function nginxTimeout(options: ValidateOptions): number {
  return toInt(options.lookup(`${options.module.toUpperCase()}_NGINX_TIMEOUT`) ?? '');
}
