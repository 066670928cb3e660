#!/usr/bin/env node
// Node 22.1+ keeps compiled code between runs in its own cache directory (a no-op elsewhere).
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/cli.js');
