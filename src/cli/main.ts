#!/usr/bin/env node
/** The `persia-metrics` command: thin commands over the library, run against the real process. */
import { COMMANDS } from './commands.js';
import { processContext } from './kit/context.js';
import { runProgram } from './kit/program.js';

process.exitCode = await runProgram(process.argv.slice(2), processContext(), COMMANDS);
