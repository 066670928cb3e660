import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, ROOT } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';

/**
 * The product is the packed tarball installed with `npm install -g`, not the checkout: these
 * tests pack the workspace twice, install the CLI's tarball into a temp prefix and run it there.
 */
const temp = makeTempDir('bp-packaging-');
afterAll(temp.cleanup);
const PACKAGES = ['bootstrap-plugin', 'generator-bootstrap-plugin'];
const MAX_CLI_PACKAGES = 40;

const npm = (args: string[], cwd = ROOT) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({ npm_config_loglevel: 'error' }),
    timeout: 300_000,
  });
const pack = (into: string) => {
  mkdirSync(into);
  npm(['pack', '--workspaces', '--pack-destination', into, '--silent']);
  return Object.fromEntries(
    readdirSync(into).map((file) => [file.replace(/-\d+\.\d+\.\d+\.tgz$/, ''), join(into, file)]),
  );
};
const tarList = (tarball: string) =>
  execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
const tarFile = (tarball: string, path: string) => execFileSync('tar', ['xzOf', tarball, path], { encoding: 'utf8' });

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
    expect(cli.bin).toEqual({ 'bootstrap-plugin': 'bin/bootstrap-plugin.js' });
    expect(generator.bin).toBeUndefined();
    expect(Object.keys(generator.dependencies).sort()).toEqual(['bootstrap-plugin', 'yeoman-generator']);
    expect(cli.dependencies).not.toHaveProperty('yeoman-generator');
  });

  it('ships one build of the CLI, no V8 cache and no patched sources', () => {
    const files = tarList(first['bootstrap-plugin']).filter((file) => !file.startsWith('package/templates/'));
    expect(files.filter((file) => /\.(cjs|v8cache)$|\/bundle\/|\/locales\//.test(file))).toEqual([]);
    expect(
      files
        .filter((file) => /^package\/dist\/[^/]+\.js$/.test(file))
        .map((file) => file.replace(/-[A-Z0-9]{8}\.js$/, '.js'))
        .sort(),
    ).toEqual(['package/dist/api.js', 'package/dist/chunk.js', 'package/dist/cli.js', 'package/dist/render-worker.js']);
  });
});

describe('the CLI installed from its tarball with npm install -g', () => {
  const prefix = join(temp.dir, 'prefix');
  const bin = join(prefix, 'bin', 'bootstrap-plugin');
  const run = (args: string[], cwd: string) =>
    execFileSync(bin, args, { cwd, encoding: 'utf8', env: cleanEnv({ NO_COLOR: '1' }), timeout: 60_000 });
  beforeAll(() => {
    npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', first['bootstrap-plugin']], temp.dir);
  }, 600_000);

  it(`holds at most ${MAX_CLI_PACKAGES} packages, none of them Yeoman's`, () => {
    const installed = npm(['ls', '--global', '--prefix', prefix, '--all', '--parseable'], temp.dir)
      .split('\n')
      .filter((line) => line.includes('node_modules'));
    expect(installed.length).toBeGreaterThan(1);
    expect(installed.length).toBeLessThanOrEqual(MAX_CLI_PACKAGES);
    expect(installed.filter((path) => /yeoman|mem-fs/.test(path))).toEqual([]);
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
