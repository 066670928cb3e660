import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface Workspace {
  /** The current test's directory (its real path, so absolute paths printed by the CLI compare equal). */
  dir: string;
  /** Writes `content` to `path` under `dir`, creating parent directories; returns the absolute path. */
  write(path: string, content: string): string;
}

/** A fresh temporary directory for each test of the calling file, removed after it. */
export function useWorkspace(prefix: string): Workspace {
  const workspace: Workspace = {
    dir: '',
    write(path, content) {
      const file = join(workspace.dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
  };
  beforeEach(() => {
    workspace.dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  });
  afterEach(() => rmSync(workspace.dir, { recursive: true, force: true }));
  return workspace;
}
