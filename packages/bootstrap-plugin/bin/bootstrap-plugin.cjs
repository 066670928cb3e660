#!/usr/bin/env node
// CommonJS, like the bundle it loads: Node starts it without its ES module loader.
// Node 22.1+ keeps compiled code between runs in its own cache directory (a no-op elsewhere).
require('node:module').enableCompileCache?.();
require('../dist/cli.cjs');
