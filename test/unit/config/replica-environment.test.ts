/**
 * REPLICA_INDEX / REPLICA_SIZE set to nothing: on a Kubernetes cluster without the pod-index label the
 * downward API gives an empty REPLICA_INDEX, and docs/kubernetes.md promises the node then refuses to start naming
 * the variable, instead of running under a `<hostname>_<pid>` identity. Unset stays unset. The CLI cases
 * run the command in-process with that environment (test/helpers/in-process-cli.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/resolve.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { configError } from '../../helpers/config-files.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-replica-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig: an empty REPLICA_INDEX / REPLICA_SIZE', () => {
  it.each([
    ['REPLICA_INDEX', { REPLICA_INDEX: '', REPLICA_SIZE: '2' }],
    ['REPLICA_INDEX', { REPLICA_INDEX: '  ' }],
    ['REPLICA_SIZE', { REPLICA_SIZE: '', REPLICA_INDEX: '0' }],
    ['REPLICA_SIZE', { REPLICA_SIZE: '\t' }],
  ])('%s set to blanks is a configuration error naming it (%j)', (name, env) => {
    const error = configError(() => loadConfig({ env }));
    expect(error.source).toBe(`environment variable ${name}`);
    expect(error.found).toBe('an empty value');
    expect(error.message).toContain(`unset ${name} or give it a value`);
  });

  it('the index error says where an empty one comes from on Kubernetes', () => {
    expect(configError(() => loadConfig({ env: { REPLICA_INDEX: '' } })).message).toContain('Kubernetes < 1.28');
  });

  it('unset stays unset, without a warning', () => {
    const { options, warnings } = loadConfig({ env: {} });
    expect(options.replicaIndex).toBeUndefined();
    expect(options.replicaSize).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('REPLICA_SIZE without an index is a warning naming both', () => {
    const { options, warnings } = loadConfig({ env: { REPLICA_SIZE: '2' } });
    expect(options.replicaSize).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/replica_size 2 is set \(REPLICA_SIZE\) but replica_index is not.*set REPLICA_INDEX too/)]);
  });
});

describe('the command with an empty REPLICA_INDEX', () => {
  const config = join(dir, 'global_config.yaml');
  writeFileSync(config, 'PersiaMetricsConfig:\n  job_name: "dlrm_v1.0"\n');

  it('check exits 2 naming REPLICA_INDEX; --json gives the stable code', async () => {
    const result = await runInProcess(['check', '--config', config], { env: { REPLICA_INDEX: '', REPLICA_SIZE: '2', PERSIA_NODE_ROLE: 'trainer' } });
    expect(result.code, result.out + result.err).toBe(2);
    expect(result.err).toContain('environment variable REPLICA_INDEX');
    const json = await runInProcess(['check', '--config', config, '--json'], { env: { REPLICA_INDEX: '' } });
    expect(json.code).toBe(2);
    expect(json.err + json.out).toContain('PERSIA_CONFIG_INVALID');
  });

  it('a node (simulate-node) refuses to start, naming REPLICA_INDEX, instead of pushing as <host>_<pid>', async () => {
    const result = await runInProcess(['simulate-node', '--role', 'trainer'], {
      env: { REPLICA_INDEX: '', REPLICA_SIZE: '2', PERSIA_GLOBAL_CONFIG: config, PERSIA_METRICS_GATEWAY_ADDR: '127.0.0.1:1' },
    });
    expect(result.code, result.out + result.err).toBe(2);
    expect(result.err).toContain('REPLICA_INDEX');
  });

  it('check shows the warning for REPLICA_SIZE without an index', async () => {
    const result = await runInProcess(['check', '--config', config], { env: { REPLICA_SIZE: '2' } });
    expect(result.code, result.err).toBe(0);
    expect(result.out + result.err).toContain('replica_index is not');
  });
});
