/**
 * The environment layer: turning a variable's text into the option's type, and noticing variables that look
 * like ours but are not (a typo there would otherwise be silently ignored, while the same typo in the file
 * gets "did you mean").
 */
import { ConfigError, type ConfigProblemLocation } from '../errors.js';
import { OPTION_TABLE, type OptionSpec } from './options.js';
import { closestKey, editDistance } from './suggest.js';
import { describeValue } from './yaml-document.js';

/** Prefixes of the variables persia-metrics reads; an unknown variable with one of them is probably a typo. */
export const VARIABLE_PREFIXES = ['PERSIA_METRICS_', 'PERSIA_NODE_'] as const;

/**
 * Variables with our prefixes that are read elsewhere and are not options: never warned about.
 * PERSIA_METRICS_DEBUG: stack traces in the CLI (src/cli/kit/action.ts).
 * PERSIA_METRICS_PROMETHEUS_PASSWORD: the password `view` gives Prometheus (src/cli/view-command.ts).
 */
export const NON_OPTION_VARIABLES: ReadonlySet<string> = new Set(['PERSIA_METRICS_DEBUG', 'PERSIA_GLOBAL_CONFIG', 'PERSIA_METRICS_PROMETHEUS_PASSWORD']);

/**
 * Variables whose empty (or blank) value is an error rather than "unset". PersiaML and the Kubernetes
 * manifests (src/deploy/kubernetes/manifests.ts) set REPLICA_INDEX from elsewhere: an empty one means that
 * source is missing (a cluster without the pod-index label), and read as unset it would give every pod the
 * same `<hostname>_<pid>`-style identity silently. A blank job name (an empty template value) would put the
 * node in the default job: it is refused as `job_name: ""` in the file is.
 */
export const EMPTY_IS_AN_ERROR: ReadonlySet<string> = new Set(['REPLICA_INDEX', 'REPLICA_SIZE', 'PERSIA_METRICS_JOB_NAME']);

/** The ConfigError for such a variable set to nothing but blanks. */
export function emptyVariableError(name: string, location: ConfigProblemLocation): ConfigError {
  const why = name === 'REPLICA_INDEX' ? '; on Kubernetes < 1.28 the pod-index label it is read from is missing' : '';
  return new ConfigError(location, 'a decimal integer', 'an empty value', `unset ${name} or give it a value${why}`);
}

/**
 * Environment values are text: turn them into the option's type before the shared schema checks them.
 * Numbers are decimal notation only: `Number()` would read `0x10` as 16, `1e2` as 100 and ` 1` as 1, and a
 * replica index read that way silently names another node (`rep_16`), a push interval `0x10` pushes every
 * 16 s. The same rule as the CLI's seconds flags; YAML numbers are YAML's and do not pass through here.
 */
export function parseEnvText(spec: OptionSpec, text: string, location: ConfigProblemLocation): unknown {
  if (spec.type === 'boolean') {
    const lowered = text.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
    if (['false', '0', 'no', 'off'].includes(lowered)) return false;
    return text;
  }
  if (spec.type === 'integer') {
    // A sign is let through so the schema can say "too small" about -1 rather than "not an integer".
    if (!/^-?[0-9]+$/.test(text)) {
      throw new ConfigError(location, 'a decimal integer (digits only, no spaces, hex or exponent)', describeValue(text));
    }
    return Number(text);
  }
  if (spec.type.startsWith('number')) {
    // As for integers, a sign is let through so the schema can say "too small" about -1.
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text)) {
      throw new ConfigError(location, 'a decimal number (digits with an optional fraction, no spaces, hex or exponent)', describeValue(text));
    }
    return Number(text);
  }
  return text;
}

/**
 * One warning per variable that starts with a persia-metrics prefix but is no option, with the closest
 * option variable when one is close. The value is never shown (the variable may hold a secret).
 */
export function unknownVariableWarnings(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set(OPTION_TABLE.flatMap((spec) => (spec.env === undefined ? [] : [spec.env])));
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!VARIABLE_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      // A typo in the prefix itself (PERSIA_METRIC_JOB_NAME): a name within two edits of an option variable.
      // Anything further is another program's (PersiaML's own PERSIA_* variables, REPLICA_INDEX's neighbours).
      const near = [...known].find((option) => option !== name && editDistance(option, name) <= 2);
      if (near !== undefined && name.startsWith('PERSIA')) warnings.push(`environment variable ${name} is not a persia-metrics option and is ignored (did you mean ${near}?)`);
      continue;
    }
    if (known.has(name) || NON_OPTION_VARIABLES.has(name)) continue;
    const suggestion = suggestVariable(name);
    warnings.push(
      `environment variable ${name} is not a persia-metrics option and is ignored` +
        (suggestion === undefined ? ' (`persia-metrics explain` lists the variables)' : ` (did you mean ${suggestion}?)`),
    );
  }
  return warnings;
}

/**
 * The closest option variable. Compared without the prefix (every name shares it, so whole names are all
 * "close"), and against the option's file key too: PERSIA_METRICS_ENABLE_METRICS → PERSIA_METRICS_ENABLED,
 * PERSIA_METRICS_ROLE → PERSIA_NODE_ROLE, PERSIA_METRICS_REPLICA_INDEX → REPLICA_INDEX.
 */
function suggestVariable(name: string): string | undefined {
  const byStem = new Map<string, string>();
  for (const spec of OPTION_TABLE) {
    if (spec.env === undefined) continue;
    byStem.set(stem(spec.env), spec.env);
    if (!byStem.has(spec.key)) byStem.set(spec.key, spec.env);
  }
  const match = closestKey(stem(name), [...byStem.keys()]);
  return match === undefined ? undefined : byStem.get(match);
}

function stem(name: string): string {
  const prefix = VARIABLE_PREFIXES.find((candidate) => name.startsWith(candidate));
  return (prefix === undefined ? name : name.slice(prefix.length)).toLowerCase();
}
