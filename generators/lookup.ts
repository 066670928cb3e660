import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateLookup } from '../src/core/templates.js';

/** Compiled to dist/generators/lookup.js: the package root is two levels up. */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The generators offer the templates shipped with the package (built-ins and packs). */
export const LOOKUP: TemplateLookup = { builtinDir: join(PACKAGE_ROOT, 'templates'), userDirs: [] };
