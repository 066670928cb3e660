import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../packages/bootstrap-plugin/src/core/errors.js';
import { collectVariables, type Variable } from '../packages/bootstrap-plugin/src/core/env.js';
import { quoteDotenv, renderProfile, type ProfileFormat } from '../packages/bootstrap-plugin/src/core/profiles.js';
import { CLI, cleanEnv } from './helpers/cli.js';

/**
 * Fixed in CI; for a longer local hunt: FUZZ_RUNS=100000 FUZZ_SEED=random npx vitest run test/profile.test.ts
 * (a failure names the seed, so FUZZ_SEED=<it> replays it).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED =
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 42);
const PREFIX = 'BP_PROFILE_TEST_';
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

let dir: string;
let marker: string;
let values: string[];

/** Quotes, expansions and the escape: what a shell reads its own way in any text. */
const SHELL_QUOTING = ["'", '"', '$', '$(', ')', '`', '\\'];

/** Commands hidden in text: a shell that ran one would create the file at `markerPath`. */
const touchAttempts = (markerPath: string) => [
  `$(touch ${markerPath})`,
  `\`touch ${markerPath}\``,
  `'; touch ${markerPath}; '`,
  `';touch ${markerPath};'`,
  `"; touch ${markerPath}; "`,
  `(touch ${markerPath})`,
];

/** Besides SHELL_QUOTING, in values: escapes, line ends, shell operators, control characters, unicode. */
const VALUE_SPECIALS = [
  '\\\\',
  "\\'",
  '\\n',
  '\n',
  '\n\n',
  '\t',
  '\r',
  '\r\n',
  ' ',
  '!',
  '#',
  '*',
  '?',
  '~',
  '{',
  '}',
  '[',
  ']',
  ';',
  '&',
  '|',
  '<',
  '>',
  '%',
  '=',
  'é',
  '😀',
  '\u2028',
  '\u0001',
  '\u001b',
  '\u007f',
  '${HOME}',
  '$HOME',
];

/** Besides SHELL_QUOTING, in section and key names. */
const NAME_SPECIALS = [
  ' ',
  '-',
  '.',
  '=',
  ':',
  '[',
  ']',
  '{{',
  '}}',
  '#',
  ';',
  '&',
  '|',
  '*',
  'é',
  '😀',
  '\t',
  '\u0001',
  '${IFS}',
];

/**
 * Text joined from SHELL_QUOTING, `specials`, commands that would touch `markerPath`, plain
 * characters and short random runs (none holding `refused` or a lone surrogate).
 */
function hostileText(markerPath: string, specials: string[], refused: RegExp, size: fc.ArrayConstraints) {
  const special = fc.constantFrom(...SHELL_QUOTING, ...specials, ...touchAttempts(markerPath));
  const anyText = fc
    .string({ unit: 'binary', maxLength: 3 })
    .filter((s) => !refused.test(s) && !LONE_SURROGATE.test(s));
  return fc.array(fc.oneof(special, anyText, fc.constantFrom('a', 'B', '0', '_')), size).map((parts) => parts.join(''));
}

/** Shell-active text, quotes, escapes, control characters, unicode; everything but NUL. */
const valueArbitrary = (markerPath: string) => hostileText(markerPath, VALUE_SPECIALS, /\0/, { maxLength: 12 });

const variables = (): Variable[] => values.map((value, index) => ({ name: `${PREFIX}${index}`, value, file: 'test' }));

function writeProfile(format: ProfileFormat, chosen = variables()): string {
  const file = join(dir, `profile.${format}`);
  writeFileSync(file, renderProfile(chosen, format).text);
  return file;
}

/** The values dotenv can carry; the others are refused (tested below). */
const dotenvVariables = () => variables().filter((v) => !('refused' in quoteDotenv(v.value)));

/**
 * The test variables (names starting with `prefix`) a child process sees, read from its own
 * environment as exact strings.
 */
const dumpEnv = (prefix: string) =>
  'process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => ' +
  `k.startsWith('${prefix}')))))`;

function sourcedEnvironment(shell: string, script: string, profile: string, prefix = PREFIX): Record<string, string> {
  const dump = join(dir, 'dump.cjs');
  writeFileSync(dump, dumpEnv(prefix));
  const output = execFileSync(
    shell,
    ['-c', script, ...(shell === 'fish' ? [] : ['sh']), profile, process.execPath, dump],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 30_000,
    },
  );
  return JSON.parse(output) as Record<string, string>;
}

function expected(): Record<string, string> {
  return Object.fromEntries(variables().map((v) => [v.name, v.value]));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-profile-'));
  marker = join(dir, 'executed');
  values = fc.sample(valueArbitrary(marker), { seed: SEED, numRuns: RUNS });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasShell = (name: string) => spawnSync(name, ['-c', 'true']).status === 0;
const SOURCE_SH = '. "$1" && exec "$2" "$3"';

describe('the sh profile', () => {
  for (const shell of ['bash', 'dash']) {
    it(`gives ${shell} every value byte for byte and runs nothing (${RUNS} random values, seed ${SEED})`, () => {
      const profile = writeProfile('sh');
      const seen = sourcedEnvironment(shell, SOURCE_SH, profile);
      expect(seen).toEqual(expected());
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('quotes with single quotes, a quote inside closed, escaped and reopened', () => {
    const text = renderProfile([{ name: 'A', value: "it's $(x)\n", file: 't' }], 'sh').text;
    expect(text).toBe("# written by bootstrap-plugin env\nexport A='it'\\''s $(x)\n'\n");
  });
});

describe.skipIf(!hasShell('fish'))('the fish profile', () => {
  it(`gives fish every value byte for byte and runs nothing (${RUNS} random values, seed ${SEED})`, () => {
    const profile = writeProfile('fish');
    const seen = sourcedEnvironment('fish', 'source $argv[1]; and exec $argv[2] $argv[3]', profile);
    expect(seen).toEqual(expected());
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the dotenv profile', () => {
  const SOURCE_DOTENV = 'set -a; . "$1" && exec "$2" "$3"';
  for (const shell of ['sh', 'bash', 'dash', 'zsh'].filter(hasShell)) {
    it(`runs nothing, gives each value byte for byte, sourced by ${shell} -a (${RUNS} values, seed ${SEED})`, () => {
      const written = dotenvVariables();
      // Most hostile values can be carried; the share refused is what no spelling holds (counted in the next test).
      expect(written.length).toBeGreaterThan(RUNS / 2);
      const seen = sourcedEnvironment(shell, SOURCE_DOTENV, writeProfile('dotenv', written));
      expect(seen).toEqual(Object.fromEntries(written.map((v) => [v.name, v.value])));
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('refuses, naming the key and its file:line, every value no spelling keeps inert and exact (only those)', () => {
    const refused = variables().filter((v) => 'refused' in quoteDotenv(v.value));
    expect(refused.length).toBeGreaterThan(0);
    for (const variable of refused) {
      const placed = { ...variable, file: 'config.ini', line: 7 };
      expect(() => renderProfile([placed], 'dotenv')).toThrow(
        new RegExp(`^config\\.ini:7: the value of ${variable.name} .*; use --format sh or json$`),
      );
      // No spelling: a ' with something double quotes cannot hold, a CR, \\ or a final \ .
      expect(variable.value).toMatch(/'.*["$`\\]|["$`\\].*'|\r|\\\\|\\$/s);
    }
    expect(() =>
      renderProfile([{ name: 'A', value: "it's $(touch x)", file: 'config.ini', line: 3 }], 'dotenv'),
    ).toThrow(
      'config.ini:3: the value of A holds a \' (which ends a single-quoted value) and one of " $ ` \\ ' +
        '(which sh expands or reads its own way in double quotes): no dotenv spelling keeps it inert for sh ' +
        "and exact for Node's --env-file and python-dotenv; use --format sh or json",
    );
  });

  it("is read exactly by Node's own dotenv reader", () => {
    const written = dotenvVariables();
    const read = parseEnv(readFileSync(writeProfile('dotenv', written), 'utf8'));
    expect(read).toEqual(Object.fromEntries(written.map((v) => [v.name, v.value])));
  });

  const hasPythonDotenv = spawnSync('python3', ['-c', 'import dotenv']).status === 0;
  // python-dotenv parses slowly, and this is about its reading, not about running code: a share of
  // the values is enough.
  const PYTHON_DOTENV_RUNS = 2000;
  it.skipIf(!hasPythonDotenv)('is read exactly by python-dotenv, and with its ${} expansion whenever it warns', () => {
    const all = dotenvVariables().slice(0, PYTHON_DOTENV_RUNS);
    const profile = writeProfile('dotenv', all);
    const read = (interpolate: boolean) =>
      JSON.parse(
        execFileSync(
          'python3',
          [
            '-c',
            'import dotenv, json, sys; json.dump(dotenv.dotenv_values(sys.argv[1], ' +
              `interpolate=${interpolate ? 'True' : 'False'}), sys.stdout)`,
            profile,
          ],
          {
            encoding: 'utf8',
            maxBuffer: 1 << 26,
          },
        ),
      ) as Record<string, string>;
    expect(read(false)).toEqual(Object.fromEntries(all.map((v) => [v.name, v.value])));
    const expanded = read(true);
    const warned = renderProfile(all, 'dotenv').warnings;
    const exact = all.filter((v) => !warned.some((w) => w.startsWith(`${v.name}: python-dotenv expands`)));
    expect(exact.length).toBeLessThan(all.length);
    expect(Object.fromEntries(exact.map((v) => [v.name, expanded[v.name]]))).toEqual(
      Object.fromEntries(exact.map((v) => [v.name, v.value])),
    );
  });

  it('uses single quotes, else double quotes without escapes', () => {
    expect(quoteDotenv('a "b" $HOME\nc')).toEqual({ text: `'a "b" $HOME\nc'`, expandedByPython: false });
    expect(quoteDotenv('${HOME}')).toEqual({ text: `'\${HOME}'`, expandedByPython: true });
    expect(quoteDotenv("it's\nok")).toEqual({ text: `"it's\nok"`, expandedByPython: false });
    expect(quoteDotenv('C:\\dir\\')).toEqual({
      refused: 'ends with a backslash, which dotenv readers take for an escaped quote',
    });
    expect(quoteDotenv('a\rb')).toEqual({ refused: "holds a carriage return, which Node's reader drops" });
  });
});

describe('the json profile', () => {
  it('is a flat object of every variable', () => {
    const text = renderProfile(variables(), 'json').text;
    expect(JSON.parse(text)).toEqual(expected());
  });
});

describe('section and key names', () => {
  const FUZZ_MODULE = 'bpfuzz';
  /** Section and key names as hostile as the values: they become part of variable names. */
  const nameArbitrary = (markerPath: string) =>
    hostileText(markerPath, NAME_SPECIALS, /[\0\r\n]/, { minLength: 1, maxLength: 8 });

  // Ten thousand small files: in memory where the system offers it, or the disk's latency dominates.
  const filesDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bp-names-'));
  afterAll(() => rmSync(filesDir, { recursive: true, force: true }));

  /** Each random [section] key = value in a file of its own, read by env's reader; shared by the shells. */
  let fuzzed: Promise<{ variables: Variable[]; refused: number }> | undefined;
  async function readFuzzedFiles() {
    const cases = fc.sample(fc.tuple(nameArbitrary(marker), nameArbitrary(marker), valueArbitrary(marker)), {
      seed: SEED + 1,
      numRuns: RUNS,
    });
    const variables: Variable[] = [];
    let refused = 0;
    for (const [index, [section, key, value]] of cases.entries()) {
      const file = join(filesDir, `${index}.ini`);
      // One line per key: a line break in the value would make other lines, which the value fuzz covers.
      writeFileSync(file, `[${section}]\n${key} = ${value.replace(/[\r\n]/g, ' ')}\n`);
      try {
        // A module per file: every file's variables get a prefix of their own, so none collide.
        const found = await collectVariables({
          paths: [file],
          cwd: filesDir,
          module: `${FUZZ_MODULE}${index}`,
          configName: 'GENERIC',
          environment: {},
        });
        variables.push(...found.variables);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        refused++;
      }
    }
    return { variables, refused };
  }

  it.each(['bash', 'dash'])(
    `become variable names that never inject, in %s (${RUNS} random ini files, seed ${SEED})`,
    async (shell) => {
      const { variables, refused } = await (fuzzed ??= readFuzzedFiles());
      expect(refused).toBeLessThan(RUNS / 2);
      expect(variables.length).toBeGreaterThan(RUNS / 4);
      for (const { name } of variables) expect(name).toMatch(/^BPFUZZ\d+_[A-Z0-9_]*$/);
      const profile = join(filesDir, 'profile.sh');
      writeFileSync(profile, renderProfile(variables, 'sh').text);
      const seen = sourcedEnvironment(shell, SOURCE_SH, profile, FUZZ_MODULE.toUpperCase());
      expect(seen).toEqual(Object.fromEntries(variables.map((v) => [v.name, v.value])));
      expect(existsSync(marker)).toBe(false);
    },
  );
});

describe('{{VAR}} placeholders', () => {
  it('look a variable up and evaluate nothing else: the sourced profile holds the text as written', () => {
    const written = {
      command: `{{$(touch ${marker})}}`,
      backticks: `{{\`touch ${marker}\`}}`,
      shell_default: '{{HOME:-fallback}}',
      dotted: '{{a.b}}',
      nested: '{{{{HOME}}}}',
      spaced_nested: '{{ {{HOME}} }}',
      expression: '{{ 7*7 }}',
    };
    const looked = { prototype: '{{toString}}', unset: '{{BP_PLACEHOLDER_UNSET}}', set: 'x{{BP_PLACEHOLDER}}y' };
    const ini = join(dir, 'placeholders.ini');
    writeFileSync(
      ini,
      `[custom]\n${Object.entries({ ...written, ...looked })
        .map(([key, value]) => `${key} = ${value}`)
        .join('\n')}\n`,
    );
    const profile = join(dir, 'placeholders.sh');
    const environment = cleanEnv({ BP_PLACEHOLDER: `$(touch ${marker})` });
    const run = spawnSync(process.execPath, [CLI, 'env', ini, '-o', profile], {
      env: environment,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(0);
    expect(run.stderr.match(/is kept as written: only \{\{VARIABLE\}\} placeholders are replaced/g)).toHaveLength(
      Object.keys(written).length,
    );
    expect(run.stderr).toContain('{{toString}} is not set in the environment, so it is replaced by nothing');
    const seen = sourcedEnvironment('bash', SOURCE_SH, profile, 'MFSERV_CUSTOM_');
    expect(seen).toEqual({
      ...Object.fromEntries(
        Object.entries(written).map(([key, value]) => [`MFSERV_CUSTOM_${key.toUpperCase()}`, value]),
      ),
      MFSERV_CUSTOM_PROTOTYPE: '',
      MFSERV_CUSTOM_UNSET: '',
      MFSERV_CUSTOM_SET: `x$(touch ${marker})y`,
    });
    expect(existsSync(marker)).toBe(false);
  });
});
