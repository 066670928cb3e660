// Registered in vitest's processes (vitest.config.ts, execArgv) and so in the worker threads they
// start: the render worker of a user template is src/core/render-worker.ts in the unit tier,
// which Node 20 cannot run without these hooks (dist/ has it bundled as JavaScript).
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);
