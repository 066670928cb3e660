import { join } from 'node:path';

/**
 * The command line MFSERV runs for one worker of an application: from its 0.9 `type`, or from
 * a 2.x `_cmd_and_args` with its `{placeholders}` filled in. Commands are argument vectors,
 * never shell text: a value in config.ini is split into words, not evaluated.
 */

/** The 0.9 types that start a process, and the static one that does not. */
export const TYPES_09 = [
  'python3_sync',
  'python2_sync',
  'gunicorn3_sync',
  'gunicorn2_sync',
  'gunicorn3_asyncio',
  'aiohttp',
  'node',
  'static',
] as const;
export type Type09 = (typeof TYPES_09)[number];

export const isType09 = (type: string): type is Type09 => (TYPES_09 as readonly string[]).includes(type);

/** What a worker's command depends on. */
export interface WorkerContext {
  pluginName: string;
  pluginDir: string;
  /** The section name without `app_`. */
  appName: string;
  socketPath: string;
  timeoutSeconds: number;
  debug: boolean;
}

/** The package's stand-ins for MFSERV's runtime commands (`bjoern_wrapper.py`). */
export interface Runtime {
  binDir: string;
  python: string;
}

const WSGI_WRAPPER = 'bjoern_wrapper.py';
const WSGI_DEBUG_OPTIONS = ['--debug', '--debug-evalex'];

/**
 * A 0.9 type's command (python2 types run under Python 3: the templates' code is written for
 * both, and python2 is gone from current systems). `static` has none.
 */
export function command09(
  type: Type09,
  mainArg: string,
  nodeOptions: string,
  runtime: Runtime,
  context: WorkerContext,
): string[] | undefined {
  const { socketPath, timeoutSeconds } = context;
  const gunicorn = (extra: string[]) => [
    runtime.python,
    '-m',
    'gunicorn',
    '--bind',
    `unix:${socketPath}`,
    '--timeout',
    String(timeoutSeconds),
    '--workers',
    '1',
    ...extra,
    mainArg,
  ];
  switch (type) {
    case 'python3_sync':
    case 'python2_sync':
      return [
        runtime.python,
        join(runtime.binDir, WSGI_WRAPPER),
        ...(context.debug ? WSGI_DEBUG_OPTIONS : []),
        `--timeout=${timeoutSeconds}`,
        mainArg,
        socketPath,
      ];
    case 'gunicorn3_sync':
    case 'gunicorn2_sync':
      return gunicorn(context.debug ? ['--log-level', 'debug'] : []);
    case 'gunicorn3_asyncio':
      return gunicorn(['--worker-class', 'aiohttp.GunicornWebWorker']);
    case 'aiohttp':
      return [runtime.python, join(context.pluginDir, mainArg), socketPath, String(timeoutSeconds)];
    case 'node':
      return [
        'node',
        ...splitWords(nodeOptions),
        join(context.pluginDir, context.appName, mainArg),
        socketPath,
        String(timeoutSeconds),
      ];
    case 'static':
      return undefined;
  }
}

const PLACEHOLDER = /\{(unix_socket_path|timeout|plugin_name|plugin_dir|app_name|debug_extra_options)\}/g;

/**
 * A 2.x `_cmd_and_args` as an argument vector. Words are split first, then placeholders
 * filled, so a path with spaces stays one argument; `{debug_extra_options}` standing alone
 * becomes its own words (none unless debug=1).
 */
export function command2(cmdAndArgs: string, debugExtraOptions: string, context: WorkerContext): string[] {
  const values: Record<string, string> = {
    unix_socket_path: context.socketPath,
    timeout: String(context.timeoutSeconds),
    plugin_name: context.pluginName,
    plugin_dir: context.pluginDir,
    app_name: context.appName,
    debug_extra_options: context.debug ? debugExtraOptions : '',
  };
  return splitWords(cmdAndArgs).flatMap((word) =>
    word === '{debug_extra_options}'
      ? splitWords(values.debug_extra_options)
      : [word.replace(PLACEHOLDER, (_, name: string) => values[name])],
  );
}

/**
 * Splits a command line into words the way a POSIX shell would for plain words, '…' and "…"
 * quoting and backslash escapes, and nothing else: no variables, globs or substitutions.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && /["\\$`]/.test(text[i + 1] ?? '')) word += text[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + char;
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}
