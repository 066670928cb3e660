import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from './helpers/cli.js';
import { readWithConfigparser } from './helpers/configparser.js';
import { createWithOriginal } from './helpers/original.js';

// A drop-in for MetWork 0.9: each template (and each `type`), with default answers, is created by
// MetWork's original bootstrap_plugin.py 0.9.15 (the peer) and by us; every file and every
// config.ini key the original writes must be in ours, and `config check` must accept its plugin.

const temp = makeTempDir('bp-parity-');
afterAll(temp.cleanup);

const NAME = 'foo';
const PEER_TIMEOUT_MS = 180_000;
const PEER_CONCURRENCY = 3;

interface Variant {
  key: string;
  template: string;
  /** Answers given to both tools (`--set` for ours). */
  answers?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  ...['python3_sync', 'python2_sync', 'aiohttp', 'gunicorn3_sync', 'gunicorn2_sync', 'gunicorn3_asyncio'].map(
    (type) => ({ key: `default ${type}`, template: 'default', answers: { type } }),
  ),
  {
    key: 'default python3_sync crontab_support=yes',
    template: 'default',
    answers: { type: 'python3_sync', crontab_support: 'yes' },
  },
  ...['python3', 'python2', 'node'].map((type) => ({ key: `empty ${type}`, template: 'empty', answers: { type } })),
  ...['python3_sync', 'gunicorn3_sync'].map((type) => ({
    key: `django ${type}`,
    template: 'django',
    answers: { type },
  })),
  { key: 'node', template: 'node' },
  { key: 'static', template: 'static' },
  { key: 'flask', template: 'flask' },
];

interface Pair {
  original: string;
  ours: string;
}

const pairs = new Map<string, Pair>();

async function createOurs(v: Variant, cwd: string): Promise<string> {
  const sets = Object.entries(v.answers ?? {}).flatMap(([field, value]) => ['--set', `${field}=${value}`]);
  const cli = await runCli(['create', `--template=${v.template}`, NAME, '--yes', ...sets], { cwd });
  expect(cli.code, cli.stderr).toBe(0);
  return join(cwd, NAME);
}

beforeAll(async () => {
  // A few at a time: the machine is shared, and the first run prepares the peer's copy of MetWork.
  const make = async (v: Variant) => {
    const work = temp.fresh();
    pairs.set(v.key, {
      original: await createWithOriginal(v.template, NAME, temp.dir, v.answers),
      ours: await createOurs(v, work),
    });
  };
  await make(VARIANTS[0]);
  const queue = VARIANTS.slice(1);
  await Promise.all(
    Array.from({ length: PEER_CONCURRENCY }, async () => {
      for (let v = queue.shift(); v; v = queue.shift()) await make(v);
    }),
  );
}, PEER_TIMEOUT_MS);

function files(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? files(dir, path) : [path];
  });
}

/** Each plugin's config.ini as `section.key`s, read by Python's configparser (one run for all). */
function configKeys(...dirs: string[]): string[][] {
  return readWithConfigparser(dirs.map((dir) => join(dir, 'config.ini'))).map((reading, i) => {
    if ('error' in reading) throw new Error(`${dirs[i]}/config.ini: ${reading.error}`);
    return reading.sections.flatMap(([section, items]) => items.map(([key]) => `${section}.${key}`));
  });
}

const includes = (dir: string) =>
  readFileSync(join(dir, 'Makefile'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('include '));
const meaningfulLines = (dir: string, path: string) =>
  readFileSync(join(dir, path), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));

describe.each(VARIANTS.map((v) => [v.key, v] as const))('%s, default answers', (key, v) => {
  it('writes every file the original writes, under the same name', () => {
    const { original, ours } = pairs.get(key)!;
    const mine = files(ours);
    const missing = files(original).filter((path) => !mine.includes(path));
    expect(missing).toEqual([]);
  });

  it('has every section.key of the original config.ini', () => {
    const { original, ours } = pairs.get(key)!;
    const [theirs, mine] = configKeys(original, ours);
    const missing = theirs.filter((k) => !mine.includes(k));
    expect(missing).toEqual([]);
  });

  it('the Makefile includes what 0.9.15 includes, and the layer files say the same', () => {
    const { original, ours } = pairs.get(key)!;
    expect(includes(ours)).toEqual(includes(original));
    for (const layer of ['.layerapi2_label', '.layerapi2_dependencies', '.layerapi2_extra_env']) {
      if (!files(original).includes(layer)) continue;
      expect(meaningfulLines(ours, layer), layer).toEqual(meaningfulLines(original, layer));
    }
  });

  it(`config check --template ${v.template} accepts the plugin the original made`, async () => {
    const { original } = pairs.get(key)!;
    const cli = await runCli(['config', 'check', original, '--template', v.template], { cwd: temp.dir });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`no problems (checked against the ${v.template} template)`);
  });
});

describe('config check on a plugin the original made still finds real mistakes', () => {
  it('a misspelt key, a non-numeric timeout and a deprecated key: exit 2, each named with its line', async () => {
    const { original } = pairs.get('flask')!;
    const file = join(original, 'config.ini');
    const text = readFileSync(file, 'utf8')
      .replace(/^timeout=0$/m, 'timeout=soon')
      .replace(/^main_arg = main\.wsgi:app$/m, 'gunicorn_arg = main.wsgi:app')
      .replace(/^redis_service=0$/m, 'redis_servce=1');
    writeFileSync(file, text);
    const lineOf = (prefix: string) => text.split('\n').findIndex((line) => line.startsWith(prefix)) + 1;
    const cli = await runCli(['config', 'check', original, '--template', 'flask'], { cwd: temp.dir });
    expect(cli.code).toBe(2);
    expect(cli.stdout.split('\n').filter(Boolean)).toEqual([
      `${file}:${lineOf('redis_servce')}: unknown key "redis_servce" in [general] (did you mean "redis_service"?)`,
      `${file}:${lineOf('timeout=')}: [app_main] timeout = "soon": expected a whole number or a {{VARIABLE}} ` +
        `placeholder (the template's default is 0)`,
      `${file}:${lineOf('gunicorn_arg')}: [app_main] gunicorn_arg is deprecated: rename it to main_arg`,
    ]);
  });
});
