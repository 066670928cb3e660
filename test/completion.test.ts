import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeTempDir } from './helpers/cli.js';

const temp = makeTempDir('bp-completion-');
afterAll(temp.cleanup);
// The scripts call `bootstrap-plugin` by name, as an installed one would be found.
const binDir = temp.fresh();
symlinkSync(CLI, join(binDir, 'bootstrap-plugin'));
const env = cleanEnv({ PATH: `${binDir}:${process.env.PATH}` });
const shell = (program: string, script: string) =>
  execFileSync(program, ['-c', script], { cwd: temp.fresh(), env, encoding: 'utf8', timeout: 30_000 });

/** What bash offers for the command line `words` (the last one being typed). */
const bash = (words: string[]) =>
  shell(
    'bash',
    `eval "$(bootstrap-plugin completion bash)"; COMP_WORDS=(bootstrap-plugin ` +
      `${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _bootstrap_plugin; printf ` +
      `'%s\\n' "\${COMPREPLY[@]}"`,
  )
    .split('\n')
    .filter(Boolean);
/** What fish offers for the command line `line`. */
const fish = (line: string) =>
  shell('fish', `bootstrap-plugin completion fish | source; complete -C ${JSON.stringify(`bootstrap-plugin ${line}`)}`)
    .split('\n')
    .filter(Boolean)
    .map((candidate) => candidate.split('\t')[0]);

describe('bootstrap-plugin completion', () => {
  it.each([
    [[''], ['list', 'create', 'update', 'release', 'env', 'config', 'run', 'completion']],
    [['cr'], ['create']],
    [['config', 'c'], ['check']],
    [['create', 'foo', '-t', 'fl'], ['flask']],
    [['list', 'dj'], ['django']],
    [
      ['create', 'foo', '--template', 't'],
      ['tutor', 'tracim'],
    ],
    [['create', 'foo', '-t', 'flask', '--set', 'wo'], ['workers=']],
    [['create', 'foo', '--dr'], ['--dry-run']],
    [['create', 'foo', '--no'], ['--no-input']],
    [
      ['env', '--format', ''],
      ['sh', 'fish', 'dotenv', 'json'],
    ],
  ])('bash completes %j with %j', (words, expected) => {
    expect(bash(words)).toEqual(expected);
  });

  it('bash offers the fields of the default template when no template is named', () => {
    expect(bash(['create', 'foo', '--set', 'ty'])).toEqual(['type=']);
  });

  it('fish completes commands, template names and fields', () => {
    expect(fish('con')).toEqual(['config']);
    expect(fish('create foo -t dj')).toEqual(['django']);
    expect(fish('create foo -t flask --set crontab')).toEqual(['crontab_support=']);
  });

  it('zsh loads the script and registers its completion function for bootstrap-plugin', () => {
    const out = shell(
      'zsh',
      'autoload -U compinit; compinit -u -d "$PWD/.zcompdump"; eval "$(bootstrap-plugin completion zsh)"; ' +
        'print -r -- $_comps[bootstrap-plugin]',
    );
    expect(out.trim()).toBe('_bootstrap_plugin');
  });

  it('refuses another shell with one line, exit 2', () => {
    expect(() => execFileSync(process.execPath, [CLI, 'completion', 'tcsh'], { env, stdio: 'pipe' })).toThrow(
      /completion "tcsh": expected one of bash, zsh, fish/,
    );
  });
});
