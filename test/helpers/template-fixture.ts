import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes a user template (`template.json` + `files/`) into `root/name` and returns its path. */
export function writeTemplate(
  root: string,
  name: string,
  manifest: Record<string, unknown>,
  files: Record<string, string | Buffer | { content: string | Buffer; mode: number }>,
): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(
    join(dir, 'template.json'),
    JSON.stringify({ name, description: `${name} test template`, ...manifest }, null, 2),
  );
  for (const [path, spec] of Object.entries(files)) {
    const target = join(dir, 'files', path);
    mkdirSync(dirname(target), { recursive: true });
    const { content, mode } =
      typeof spec === 'object' && !Buffer.isBuffer(spec) ? spec : { content: spec, mode: 0o644 };
    writeFileSync(target, content);
    chmodSync(target, mode);
  }
  return dir;
}
