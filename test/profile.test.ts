import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteDotenv, renderProfile, type ProfileFormat, type Variable } from '../src/core/env.js';

const RUNS = 2000;
const PREFIX = 'BP_PROFILE_TEST_';
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

let dir: string;
let marker: string;
let values: string[];

/** Shell-active text, quotes, escapes, control characters, unicode; everything but NUL. */
function valueArbitrary(markerPath: string): fc.Arbitrary<string> {
  const specials = fc.constantFrom(
    "'", '"', '$', '$(', ')', '`', '\\', '\\\\', "\\'", '\\n', '\n', '\n\n', '\t', '\r', '\r\n', ' ', '!', '#', '*', '?', '~',
    '{', '}', '[', ']', ';', '&', '|', '<', '>', '%', '=', 'é', '😀', '\u2028', '\u0001', '\u001b', '\u007f', '${HOME}', '$HOME',
    `$(touch ${markerPath})`, `\`touch ${markerPath}\``, `'; touch ${markerPath}; '`, `"; touch ${markerPath}; "`, `(touch ${markerPath})`,
  );
  const anyText = fc.string({ unit: 'binary', maxLength: 3 }).filter((s) => !s.includes('\0') && !LONE_SURROGATE.test(s));
  return fc.array(fc.oneof(specials, anyText, fc.constantFrom('a', 'B', '0', '_')), { maxLength: 12 }).map((parts) => parts.join(''));
}

const variables = (): Variable[] => values.map((value, index) => ({ name: `${PREFIX}${index}`, value, file: 'test' }));

function writeProfile(format: ProfileFormat, chosen = variables()): string {
  const file = join(dir, `profile.${format}`);
  writeFileSync(file, renderProfile(chosen, format).text);
  return file;
}

/** dotenv refuses a value ending with a backslash (tested below); the others must read back exactly. */
const dotenvVariables = () => variables().filter((v) => !v.value.endsWith('\\'));

/** The test variables a child process sees, read from its own environment as exact strings. */
const DUMP_ENV = `process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('${PREFIX}')))))`;

function sourcedEnvironment(shell: string, script: string, profile: string): Record<string, string> {
  const dump = join(dir, 'dump.cjs');
  writeFileSync(dump, DUMP_ENV);
  const output = execFileSync(shell, ['-c', script, ...(shell === 'fish' ? [] : ['sh']), profile, process.execPath, dump], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: 30_000,
  });
  return JSON.parse(output) as Record<string, string>;
}

function expected(): Record<string, string> {
  return Object.fromEntries(variables().map((v) => [v.name, v.value]));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-profile-'));
  marker = join(dir, 'executed');
  values = fc.sample(valueArbitrary(marker), { seed: 42, numRuns: RUNS });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasShell = (name: string) => spawnSync(name, ['-c', 'true']).status === 0;

describe('the sh profile', () => {
  for (const shell of ['bash', 'dash']) {
    it(`gives ${shell} every value byte for byte and runs nothing (${RUNS} random values)`, () => {
      const profile = writeProfile('sh');
      const seen = sourcedEnvironment(shell, '. "$1" && exec "$2" "$3"', profile);
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
  it(`gives fish every value byte for byte and runs nothing (${RUNS} random values)`, () => {
    const profile = writeProfile('fish');
    const seen = sourcedEnvironment('fish', 'source $argv[1]; and exec $argv[2] $argv[3]', profile);
    expect(seen).toEqual(expected());
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the dotenv profile', () => {
  it("is read exactly by Node's own dotenv reader whenever it says so", () => {
    const read = parseEnv(readFileSync(writeProfile('dotenv', dotenvVariables()), 'utf8'));
    const exact = dotenvVariables().filter((v) => !quoteDotenv(v.value).misreadBy.some((r) => r.startsWith('Node')));
    expect(exact.length).toBeGreaterThan(RUNS / 4);
    expect(Object.fromEntries(exact.map((v) => [v.name, read[v.name]]))).toEqual(Object.fromEntries(exact.map((v) => [v.name, v.value])));
  });

  const hasPythonDotenv = spawnSync('python3', ['-c', 'import dotenv']).status === 0;
  it.skipIf(!hasPythonDotenv)('is read exactly by python-dotenv, and with its ${} expansion whenever it says so', () => {
    const profile = writeProfile('dotenv', dotenvVariables());
    const read = (interpolate: boolean) =>
      JSON.parse(
        execFileSync('python3', ['-c', `import dotenv, json, sys; json.dump(dotenv.dotenv_values(sys.argv[1], interpolate=${interpolate ? 'True' : 'False'}), sys.stdout)`, profile], {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        }),
      ) as Record<string, string>;
    const all = dotenvVariables();
    expect(read(false)).toEqual(Object.fromEntries(all.map((v) => [v.name, v.value])));
    const expanded = read(true);
    const exact = all.filter((v) => !quoteDotenv(v.value).misreadBy.some((r) => r.startsWith('python')));
    expect(Object.fromEntries(exact.map((v) => [v.name, expanded[v.name]]))).toEqual(Object.fromEntries(exact.map((v) => [v.name, v.value])));
  });

  it('refuses a value ending with a backslash, naming where it comes from', () => {
    const variable = { name: 'A', value: 'C:\\dir\\', file: 'config.ini', line: 3 };
    expect(() => renderProfile([variable], 'dotenv')).toThrow('config.ini:3: the value of A ends with a backslash');
    expect(values.some((v) => v.endsWith('\\'))).toBe(true);
  });

  it('uses single quotes when nothing needs escaping, double quotes with escapes otherwise', () => {
    expect(quoteDotenv('a "b" $HOME\nc')).toEqual({ text: `'a "b" $HOME\nc'`, misreadBy: [] });
    expect(quoteDotenv('${HOME}')).toEqual({ text: `'\${HOME}'`, misreadBy: ['python-dotenv (it expands ${…})'] });
    expect(quoteDotenv("it's")).toEqual({ text: `"it's"`, misreadBy: [] });
    expect(quoteDotenv('a\\b"\r')).toEqual({ text: '"a\\\\b\\"\\r"', misreadBy: ["Node's --env-file and motdotla/dotenv"] });
  });
});

describe('the json profile', () => {
  it('is a flat object of every variable', () => {
    const text = renderProfile(variables(), 'json').text;
    expect(JSON.parse(text)).toEqual(expected());
  });
});
