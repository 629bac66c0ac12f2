/** Every command of `persia-metrics`, in the order `--help` lists them. */
import { registerAgentCommand } from './agent-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDiscoverCommand } from './discover-command.js';
import { registerEndJobCommand } from './end-job-command.js';
import { registerExpireCommand } from './expire-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerInitCommand } from './init-command.js';
import type { RegisterCommand } from './kit/program.js';
import { registerRepairCommand } from './repair-command.js';
import { registerSimulateCommand } from './simulate-command.js';
import { registerSimulateNodeCommand } from './simulate-node-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerViewCommand } from './view-command.js';

export const COMMANDS: readonly RegisterCommand[] = [
  registerCheckCommand,
  registerExplainCommand,
  registerSimulateCommand,
  registerSimulateNodeCommand,
  registerAgentCommand,
  registerDemoCommand,
  registerInitCommand,
  registerDiscoverCommand,
  registerStatusCommand,
  registerViewCommand,
  registerExpireCommand,
  registerEndJobCommand,
  registerRepairCommand,
];
