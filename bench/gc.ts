/**
 * A forced full GC for the bench (the script runs plain `node`, so `--expose-gc` is switched on here):
 * the memory figures need it, and the push-cycle rounds use it so that one side's garbage is not
 * collected during the other side's timed push.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const forceGc = runInNewContext('gc') as () => void;
