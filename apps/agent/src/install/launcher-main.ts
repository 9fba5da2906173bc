// Entry of dist/launcher.mjs, installed as <agent home>/launcher.mjs: the agent home is where it lies.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './launcher.js';

await launch({ home: dirname(fileURLToPath(import.meta.url)), argv: process.argv.slice(2) });
