import { join } from 'node:path';

/** The package's root: this file is src/paths.ts, or bundled into a file of dist/, one level down either way. */
export const PACKAGE_ROOT = join(import.meta.dirname, '..');
/** The templates shipped with the package: the built-ins, the packs and their catalogue. */
export const BUILTIN_TEMPLATES = join(PACKAGE_ROOT, 'templates');
/** Stand-ins for the MetWork runtime commands `run` needs (bjoern_wrapper.py). */
export const RUNTIME_BIN = join(PACKAGE_ROOT, 'runtime', 'bin');
