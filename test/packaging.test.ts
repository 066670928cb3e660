import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApplicable, type Answers } from '../packages/bootstrap-plugin/src/core/fields.js';
import { findTemplate } from '../packages/bootstrap-plugin/src/core/templates.js';
import { cleanEnv, CLI_PACKAGE, makeTempDir } from './helpers/cli.js';
import { readTree } from './helpers/expected-tree.js';
import {
  AS_USER,
  extraNodes,
  installedEnv,
  installGlobal,
  npm,
  openTo,
  pack,
  runInstalled,
  spawnInstalled,
  tarFile,
  tarList,
} from './helpers/packed.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { inTerminalCommand } from './helpers/terminal.js';

/**
 * The product is the packed tarball installed with `npm install -g`, not the checkout: these
 * tests pack the workspace twice, install the CLI's tarball into a temp prefix and run it there.
 */
const temp = makeTempDir('bp-packaging-');
afterAll(temp.cleanup);
const PACKAGES = ['bootstrap-plugin', 'generator-bootstrap-plugin'];
const MAX_CLI_PACKAGES = 40;

let first: Record<string, string>;
let second: Record<string, string>;
beforeAll(() => {
  first = pack(join(temp.dir, 'first'));
  second = pack(join(temp.dir, 'second'));
}, 600_000);

describe('npm pack --workspaces', () => {
  it('packs both packages, byte-identical when packed twice', () => {
    expect(Object.keys(first).sort()).toEqual(PACKAGES);
    for (const name of PACKAGES) expect(readFileSync(second[name]).equals(readFileSync(first[name])), name).toBe(true);
  });

  it.each(PACKAGES)('%s has a LICENSE, repository, homepage, bugs and the engines of its dependencies', (name) => {
    expect(tarList(first[name])).toContain('package/LICENSE');
    const manifest = JSON.parse(tarFile(first[name], 'package/package.json')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name,
      license: 'BSD-3-Clause',
      engines: { node: '^20.19.0 || ^22.13.0 || >=23.5.0' },
    });
    for (const field of ['repository', 'homepage', 'bugs']) expect(manifest[field], field).toBeTruthy();
  });

  it('only the CLI package has a bin; the generator depends on the CLI package, not on its files', () => {
    const cli = JSON.parse(tarFile(first['bootstrap-plugin'], 'package/package.json')) as Record<
      string,
      Record<string, string>
    >;
    const generator = JSON.parse(tarFile(first['generator-bootstrap-plugin'], 'package/package.json')) as Record<
      string,
      Record<string, string>
    >;
    expect(cli.bin).toEqual({ 'bootstrap-plugin': 'bin/bootstrap-plugin.cjs' });
    expect(generator.bin).toBeUndefined();
    expect(Object.keys(generator.dependencies).sort()).toEqual(['bootstrap-plugin', 'yeoman-generator']);
    expect(cli.dependencies).not.toHaveProperty('yeoman-generator');
  });

  it('ships one build of the CLI, no V8 cache and no patched sources', () => {
    const files = tarList(first['bootstrap-plugin']).filter((file) => !file.startsWith('package/templates/'));
    expect(files.filter((file) => /\.v8cache$|\/bundle\/|\/locales\/|\/src\//.test(file))).toEqual([]);
    // One esbuild build: the CLI (CommonJS: its entry and a few chunks, see scripts/build.mjs), the
    // API (an ES module), the render worker, the licence of the EJS they bundle, beside the API's
    // declarations; no second (tsc) copy of the sources.
    const dist = files.filter((file) => file.startsWith('package/dist/') && !file.startsWith('package/dist/types/'));
    const chunks = dist.filter((file) => /^package\/dist\/[a-z-]+-[A-Z0-9]{8}\.cjs$/.test(file));
    expect(chunks.length).toBeLessThanOrEqual(5);
    expect(dist.filter((file) => !chunks.includes(file)).sort()).toEqual([
      'package/dist/api.js',
      'package/dist/cli.cjs',
      'package/dist/ejs.LICENSE',
      'package/dist/render-worker.js',
    ]);
    expect(files.filter((file) => file.startsWith('package/dist/types/') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('package/bin/'))).toEqual(['package/bin/bootstrap-plugin.cjs']);
  });
});

describe('the CLI installed from its tarball with npm install -g', () => {
  const prefix = join(temp.dir, 'prefix');
  const bin = join(prefix, 'bin', 'bootstrap-plugin');
  const run = (args: string[], cwd: string) =>
    execFileSync(bin, args, { cwd, encoding: 'utf8', env: cleanEnv({ NO_COLOR: '1' }), timeout: 60_000 });
  beforeAll(() => {
    installGlobal(prefix, [first['bootstrap-plugin']], temp.dir);
  }, 600_000);

  it(`holds at most ${MAX_CLI_PACKAGES} packages, none of them Yeoman's`, () => {
    const installed = npm(['ls', '--global', '--prefix', prefix, '--all', '--parseable'], temp.dir)
      .split('\n')
      .filter((line) => line.includes('node_modules'));
    expect(installed.length).toBeGreaterThan(1);
    expect(installed.length).toBeLessThanOrEqual(MAX_CLI_PACKAGES);
    expect(installed.filter((path) => /yeoman|mem-fs/.test(path))).toEqual([]);
  });

  it('list and create leave V8 nothing to optimise: a compile on a background thread, which the exit waits for', () => {
    // path.join over a template's paths under a long prefix like this one made V8 optimise its
    // normalising at each start, ~9 ms that the exit waited for (docs/decisions.md).
    const work = temp.fresh();
    const optimised = (args: string[]) =>
      execFileSync(process.execPath, ['--trace-opt', bin, ...args], { cwd: work, encoding: 'utf8', env: cleanEnv() })
        .split('\n')
        .filter((line) => line.startsWith('[compiling method'));
    expect(prefix.length).toBeGreaterThan(25);
    expect(optimised(['list'])).toEqual([]);
    expect(optimised(['create', 'demo', '--template=flask', '--yes'])).toEqual([]);
  });

  it('lists, creates a plugin and prints its environment', () => {
    const work = temp.fresh();
    expect(run(['list'], work)).toMatch(/^List of available plugin templates:\n {5}\* default {4}/);
    expect(run(['create', 'demo', '--template=flask', '--yes'], work)).toMatch(
      /^Plugin demo successfully created on directory /,
    );
    expect(run(['env'], join(work, 'demo'))).toMatch(/^export MFSERV_CURRENT_PLUGIN_NAME='demo'$/m);
    // A user template renders in the package's worker (dist/render-worker.js), helpers included.
    writeTemplate(work, 'mine', { fields: [] }, { 'key.txt.ejs': '<%- name %> <%- secret(7) %>\n' });
    expect(run(['create', 'own', '--template=./mine', '--yes'], work)).toMatch(/^Plugin own successfully created/);
    expect(readFileSync(join(work, 'own', 'key.txt'), 'utf8')).toMatch(/^own \S{7}\n$/);
    expect(run(['--version'], work).trim()).toBe(
      (JSON.parse(tarFile(first['bootstrap-plugin'], 'package/package.json')) as { version: string }).version,
    );
  });
});

/**
 * `npm install -g yo generator-bootstrap-plugin` beside an installed CLI, from the tarballs: the
 * generator's `bootstrap-plugin` dependency is unpublished here, so npm must find it in the same
 * command (from the registry, npm nests its own copy: only top-level packages link bins).
 * The real `yo` runs as an unprivileged user, on this machine's Node and on each extra Node.
 */
describe('yo and the generator installed beside the CLI, from the tarballs', () => {
  const prefix = join(temp.dir, 'yo-prefix');
  let home = '';
  const env = (node: string) => installedEnv(node, prefix, home);
  /** A working directory the unprivileged user owns. */
  const workDir = () => openTo(temp.fresh(), true);
  beforeAll(() => {
    openTo(temp.dir);
    home = workDir();
    installGlobal(prefix, [first['bootstrap-plugin']], temp.dir);
    installGlobal(prefix, ['yo@7', first['bootstrap-plugin'], first['generator-bootstrap-plugin']], temp.dir);
  }, 600_000);

  it('links the two bins without EEXIST; the generator uses the CLI package installed beside it', () => {
    expect(readdirSync(join(prefix, 'bin')).sort()).toEqual(['bootstrap-plugin', 'yo']);
    const generatorModules = join(prefix, 'lib', 'node_modules', 'generator-bootstrap-plugin', 'node_modules');
    expect(existsSync(join(generatorModules, 'bootstrap-plugin'))).toBe(false);
  });

  /** `yo ARGS` with stdin closed, and the CLI's `create CREATE_ARGS` as the expectation, both on `node`; yo's log. */
  const sameTreeAsCli = (node: string, name: string, yoArgs: string[], createArgs: string[]) => {
    const [byYo, byCli] = [workDir(), workDir()];
    // Yeoman logs on stderr.
    const yo = spawnInstalled(['yo', ...yoArgs], byYo, env(node));
    expect(yo.status, yo.stderr).toBe(0);
    expect(yo.stderr).toContain(`Plugin ${name} successfully created on directory ${join(byYo, name)}`);
    runInstalled(['bootstrap-plugin', 'create', name, ...createArgs, '--yes'], byCli, env(node));
    // The one legitimate difference: Yeoman's own record of the run, holding the same answers.
    const { '.yo-rc.json': yoRc, ...tree } = readTree(join(byYo, name));
    expect(JSON.parse(yoRc!.content)).toMatchObject({ 'generator-bootstrap-plugin': { name } });
    expect(tree).toEqual(readTree(join(byCli, name)));
    return yo.stderr;
  };

  describe.each([{ node: process.execPath, version: process.version }, ...extraNodes()])(
    'on Node $version ($node)',
    ({ node, version }) => {
      it('runs the installed CLI: list, create, eval "$(bootstrap-plugin env)"', () => {
        expect(existsSync(node), `${node} is missing: fetch it with .ci/fetch-nodes`).toBe(true);
        const work = workDir();
        expect(runInstalled(['node', '--version'], work, env(node)).trim()).toBe(version);
        expect(runInstalled(['bootstrap-plugin', 'list'], work, env(node))).toMatch(/\* flask /);
        runInstalled(['bootstrap-plugin', 'create', '--template=flask', 'demo', '--yes'], work, env(node));
        const shell = 'eval "$(bootstrap-plugin env)" && printf %s "$MFSERV_CURRENT_PLUGIN_LABEL"';
        expect(runInstalled(['bash', '-c', shell], join(work, 'demo'), env(node))).toBe('plugin_demo@mfserv');
      });

      it('yo bootstrap-plugin:flask demo --yes, without a TTY, makes the CLI tree', () => {
        expect(existsSync(node), `${node} is missing: fetch it with .ci/fetch-nodes`).toBe(true);
        const log = sameTreeAsCli(node, 'demo', ['bootstrap-plugin:flask', 'demo', '--yes'], ['--template=flask']);
        expect(log).not.toContain('no terminal');
      });
    },
  );

  it('yo bootstrap-plugin (the default generator) NAME --yes makes the CLI tree of the default template', () => {
    sameTreeAsCli(process.execPath, 'demo', ['bootstrap-plugin', 'demo', '--yes'], []);
  });

  it('without --yes and without a TTY, yo takes the defaults as the CLI does, and says which', () => {
    const log = sameTreeAsCli(process.execPath, 'demo', ['bootstrap-plugin:flask', 'demo'], ['--template=flask']);
    expect(log).toMatch(/no terminal to ask on, so these took their defaults: version, release, summary, /);
  });

  it.each([
    [['--yes'], 'a plugin name is needed with --yes: yo bootstrap-plugin NAME --yes'],
    [[], 'a plugin name is needed without a terminal to ask on: yo bootstrap-plugin NAME --yes'],
  ])(
    'yo bootstrap-plugin %j without a name and without a TTY fails, asking for one, and writes nothing',
    (args, message) => {
      const work = workDir();
      const run = spawnInstalled(['yo', 'bootstrap-plugin', ...args], work, env(process.execPath));
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(message);
      expect(readdirSync(work)).toEqual([]);
    },
  );

  it('re-asks a name refused at the prompt (by the rules, then by the template) and then succeeds', async () => {
    const work = workDir();
    const template = findTemplate('tutor', { builtinDir: join(CLI_PACKAGE, 'templates'), userDirs: [] }, work);
    const defaults: Answers = {};
    const fieldSteps: Array<[string, string]> = [];
    for (const field of template.fields) {
      if (!isApplicable(field, defaults)) continue;
      defaults[field.name] = field.default!;
      fieldSteps.push([field.message, '\r']);
    }
    const erase = (typed: string) => '\x7f'.repeat(typed.length);
    const steps: Array<[string, string]> = [
      ['Plugin name', 'bad name\r'],
      ['use only letters, digits', `${erase('bad name')}my-site\r`],
      ['the tutor template needs a lower-case Python identifier', `${erase('my-site')}my_site\r`],
      ...fieldSteps,
      ['Plugin my_site successfully created', ''],
    ];
    const command = [...AS_USER, 'yo', 'bootstrap-plugin:tutor'];
    const terminalEnv = { ...env(process.execPath), TERM: 'xterm-256color' };
    const session = await inTerminalCommand(command, steps, { cwd: work, env: terminalEnv, timeoutMs: 180_000 });
    expect(session.timeout, session.output).toBeNull();
    expect(session.code, session.output).toBe(0);
    const cli = workDir();
    runInstalled(['bootstrap-plugin', 'create', 'my_site', '--template=tutor', '--yes'], cli, env(process.execPath));
    const { '.yo-rc.json': _, ...tree } = readTree(join(work, 'my_site'));
    expect(tree).toEqual(readTree(join(cli, 'my_site')));
  });
});
