/**
 * The core of the commands off the start-up path (update, release, env, config, run, and create's
 * --make), in one module that their handlers `import()`. The build gives it one file of its own
 * (scripts/build.mjs): `--version`, `list` and `create` never load it, and a command that does
 * loads one more file, not one per module (each file costs Node a lookup, a read and a compile).
 */
export { checkConfig } from '../core/check.js';
export { getConfigValue, setConfigValues } from '../core/config.js';
export { collectVariables } from '../core/env.js';
export { writeFileAtomic } from '../core/fs-file.js';
export { checkMakeFlags, makePlugin } from '../core/make.js';
export { buildRelease } from '../core/release.js';
export { runPlugin } from '../core/run/run.js';
export { updatePlugin } from '../core/update.js';
export { FILE_ACTIONS } from '../core/update-plan.js';
