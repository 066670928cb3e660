import * as fs from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { applyChanges, type Change } from '../packages/bootstrap-plugin/src/core/fs-changes.js';
import { makeTempDir } from './helpers/cli.js';

/**
 * The one staged write into a directory in use (`create --force`, `update`): all or nothing,
 * files at their final mode, nothing outside the changes touched.
 */

vi.mock('node:fs', async (original) => {
  const real = await original<typeof fs>();
  return { ...real, renameSync: vi.fn(real.renameSync) };
});

const temp = makeTempDir('bp-changes-');
afterAll(temp.cleanup);
afterEach(() => vi.mocked(fs.renameSync).mockReset());

/** A directory in use: two files the changes replace and remove, one of the user's they never name. */
function inUse(): string {
  const dir = temp.fresh();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.txt'), 'old a');
  writeFileSync(join(dir, 'sub', 'gone.txt'), 'old gone');
  writeFileSync(join(dir, 'mine.txt'), 'mine');
  return dir;
}

const changes: Change[] = [
  { path: 'a.txt', content: Buffer.from('new a'), mode: 0o600 },
  { path: 'new/b.sh', content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  { path: 'sub/gone.txt' },
];

/** Every entry under `dir` with its content, hidden ones included. */
function tree(dir: string): Record<string, string> {
  const paths = readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  return Object.fromEntries(
    paths.map((path) => {
      const at = join(dir, path);
      return [path, statSync(at).isDirectory() ? 'dir' : readFileSync(at, 'utf8')];
    }),
  );
}

describe('applyChanges', () => {
  it('writes, adds and removes, with final modes, touching nothing else and leaving no temporary name', async () => {
    const dir = inUse();
    const result = await applyChanges(dir, changes);
    expect(result).toEqual({ replaced: ['a.txt'], leftovers: [] });
    expect(tree(dir)).toEqual({ 'a.txt': 'new a', 'mine.txt': 'mine', new: 'dir', 'new/b.sh': '#!/bin/sh\n' });
    expect(statSync(join(dir, 'a.txt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'new', 'b.sh')).mode & 0o777).toBe(0o755);
  });

  it.each([1, 2, 3])('puts everything back when swap %i fails: all or nothing', async (failing) => {
    const dir = inUse();
    const before = tree(dir);
    const real = vi.mocked(fs.renameSync).getMockImplementation()!;
    let calls = 0;
    // The swaps' renames (new content into place, a removed file aside), counted: the failing one is refused.
    vi.mocked(fs.renameSync).mockImplementation((from, to) => {
      if ([from, to].some((path) => String(path).includes('.bootstrap-plugin-')) && ++calls === failing)
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      return real(from, to);
    });
    await expect(applyChanges(dir, changes)).rejects.toThrow('no space');
    expect(tree(dir)).toEqual(before);
  });

  it('lists, in a dry run, what it would replace and which leftovers of a killed run it would remove', async () => {
    const dir = inUse();
    // 4194305 is above Linux's largest pid: no process has it.
    const leftover = join(dir, 'sub', '.gone.txt.bootstrap-plugin-4194305-0123abcd');
    writeFileSync(leftover, 'half');
    const before = tree(dir);
    expect(await applyChanges(dir, changes, { dryRun: true })).toEqual({ replaced: ['a.txt'], leftovers: [leftover] });
    expect(tree(dir)).toEqual(before);
    expect((await applyChanges(dir, changes)).leftovers).toEqual([leftover]);
    expect(tree(dir)).not.toHaveProperty('sub/.gone.txt.bootstrap-plugin-4194305-0123abcd');
  });

  it('never removes nor writes through a symbolic link standing for a directory', async () => {
    const dir = inUse();
    const elsewhere = temp.fresh();
    writeFileSync(join(elsewhere, 'gone.txt'), 'not the plugin’s');
    fs.rmSync(join(dir, 'sub'), { recursive: true });
    symlinkSync(elsewhere, join(dir, 'sub'));
    await expect(applyChanges(dir, changes)).rejects.toThrow(
      `${join(dir, 'sub')} is a symbolic link, and the template writes sub/gone.txt there`,
    );
    expect(readFileSync(join(elsewhere, 'gone.txt'), 'utf8')).toBe('not the plugin’s');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('old a');
  });
});
