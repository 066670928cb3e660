#!/usr/bin/env node
// CommonJS, like the bundle it loads: Node starts it without its ES module loader.
// Node 22.1+ keeps compiled code between runs in its own cache directory. Node 20 has no such
// cache, and asking node:module for it would load Node's ES module loader for nothing (~1 ms).
if (!process.version.startsWith('v20.')) require('node:module').enableCompileCache?.();
require('../dist/cli.cjs');
