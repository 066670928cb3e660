import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { AppPlan } from './plan.js';

/**
 * Where a request path goes, as MFSERV's nginx routes it: the longest matching prefix wins, a
 * static directory before its application, and the path is forwarded whole (prefix kept).
 */

export type Route =
  | { kind: 'app'; app: string }
  | { kind: 'static'; dir: string; rest: string }
  /** `/NAME` → `/NAME/`, as nginx answers for a location ending in a slash. */
  | { kind: 'redirect'; location: string }
  | { kind: 'none' };

interface Entry {
  prefix: string;
  route: (rest: string) => Route;
}

/** The routing table of a plugin's applications. */
export function routeTable(apps: AppPlan[]): (path: string) => Route {
  const entries: Entry[] = [];
  for (const app of apps) {
    for (const { urlPrefix, dir } of app.statics)
      entries.push({ prefix: urlPrefix, route: (rest) => ({ kind: 'static', dir, rest }) });
    if (app.workers > 0)
      for (const prefix of app.prefixes) entries.push({ prefix, route: () => ({ kind: 'app', app: app.name }) });
  }
  // Longest first; for equal prefixes the first written (statics before their application) wins.
  entries.sort((a, b) => b.prefix.length - a.prefix.length);
  return (path) => {
    for (const { prefix, route } of entries) {
      if (path === prefix && prefix !== '') return { kind: 'redirect', location: `${prefix}/` };
      if (path.startsWith(`${prefix}/`)) return route(path.slice(prefix.length));
    }
    return { kind: 'none' };
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
};
const INDEX = 'index.html';

/**
 * The file a static route serves, or undefined (404): `..`, encoded slashes and symbolic
 * links leading out of the directory are refused, a directory serves its index.html.
 */
export async function staticFile(
  dir: string,
  rest: string,
): Promise<{ file: string; contentType: string } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest.split('?')[0]);
  } catch {
    return undefined;
  }
  const parts = decoded.split('/');
  if (parts.some((part) => part === '..' || part.includes('\\') || part.includes('\0'))) return undefined;
  try {
    const root = await realpath(dir);
    const inside = async (path: string) => {
      const real = await realpath(path);
      return real === root || real.startsWith(root + sep) ? real : undefined;
    };
    let file = await inside(join(root, ...parts));
    if (file && (await stat(file)).isDirectory()) file = await inside(join(file, INDEX));
    if (!file || !(await stat(file)).isFile()) return undefined;
    return { file, contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
