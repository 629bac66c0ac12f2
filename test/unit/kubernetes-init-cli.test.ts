/**
 * `persia-metrics init --target kubernetes` in-process through commander: the files it writes (parsed back
 * as the objects the Kubernetes tests validate), the replica count, and exit 2 with a message naming the
 * option for every bad value or an option that belongs to the other target.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess, type InProcessResult } from '../helpers/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-k8s-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `persia-metrics <args>` in-process; returns exit code and what it printed. */
function cli(...args: string[]): Promise<InProcessResult> {
  return runInProcess(args);
}

describe('init --target kubernetes', () => {
  it('sizes each gateway pod for the job when --nodes and --series-per-node are given (found by a README-only session: fixed requests against the advice)', async () => {
    const gatewayResources = (target: string) => {
      const documents = loadAll(readFileSync(join(target, 'kubernetes', 'gateway.yaml'), 'utf8')) as Array<{
        kind?: string;
        spec?: { template?: { spec?: { containers?: Array<{ resources?: unknown }> } } };
      }>;
      return documents.find((document) => document.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0]?.resources;
    };
    const plain = join(dir, 'sized-plain');
    expect((await cli('init', '--target', 'kubernetes', '--job', 'sized', '--gateways', '6', '--dir', plain)).code).toBe(0);
    expect(gatewayResources(plain)).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } });
    const sized = join(dir, 'sized-big');
    const result = await cli('init', '--target', 'kubernetes', '--job', 'sized', '--gateways', '6', '--nodes', '2048', '--series-per-node', '2000', '--dir', sized);
    expect(result.code, result.err).toBe(0);
    const cores = Number(/gateway cores: ([\d.]+)/.exec(result.out)?.[1]);
    const gib = Number(/gateway memory: ([\d.]+) GiB/.exec(result.out)?.[1]);
    const resources = gatewayResources(sized) as { requests: { cpu: string; memory: string }; limits: { memory: string } };
    const podCores = Number(resources.requests.cpu.replace('m', '')) / 1000;
    const podMiB = Number(resources.requests.memory.replace('Mi', ''));
    // Six pods together request what the advice printed (rounded up per pod), never less.
    expect(podCores * 6).toBeGreaterThanOrEqual(cores - 0.05 * 6);
    expect(podCores * 6).toBeLessThan(cores + 0.1 * 6 + 0.1);
    expect((podMiB * 6) / 1024).toBeGreaterThanOrEqual(gib - 0.1);
    expect(resources.limits.memory).toBe(`${2 * podMiB}Mi`);
  });

  it("runs the gateway with its own consistency check where the job's size allows it, and without it otherwise", async () => {
    const gatewayArgs = (target: string) => {
      const documents = loadAll(readFileSync(join(target, 'kubernetes', 'gateway.yaml'), 'utf8')) as Array<{
        kind?: string;
        spec?: { template?: { spec?: { containers?: Array<{ args?: string[] }> } } };
      }>;
      return documents.find((document) => document.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0]?.args;
    };
    const run = async (name: string, ...size: string[]) => {
      const target = join(dir, `check-${name}`);
      const result = await cli('init', '--target', 'kubernetes', '--job', 'check', '--dir', target, ...size);
      expect(result.code, result.err).toBe(0);
      return { args: gatewayArgs(target), out: result.out };
    };
    const small = await run('small', '--nodes', '10', '--series-per-node', '500');
    expect(small.args).toEqual(['--persistence.file=']);
    expect(small.out).toContain('gateway.yaml runs the gateway without --push.disable-consistency-check');
    expect((await run('big', '--nodes', '500', '--series-per-node', '500')).args).toEqual(['--push.disable-consistency-check', '--persistence.file=']);
    // No size given: off, as the shipped manifests.
    expect((await run('unsized')).args).toEqual(['--push.disable-consistency-check', '--persistence.file=']);
  });

  it('jobs whose names map to the same DNS label get distinct object names, and init says how a name was mapped', async () => {
    const namesOf = (sub: string): string[] =>
      readdirSync(join(dir, sub, 'kubernetes'))
        .filter((file) => file.endsWith('.yaml') && file !== 'prometheus-rules.yaml')
        .flatMap((file) =>
          (loadAll(readFileSync(join(dir, sub, 'kubernetes', file), 'utf8')) as Array<{ kind: string; metadata: { name: string } }>).map((o) => `${o.kind}/${o.metadata.name}`),
        );
    const seen = new Set<string>();
    for (const [index, job] of ['dlrm_v1.0', 'dlrm-v1-0', 'DLRM.V1.0'].entries()) {
      const result = await cli('init', '--target', 'kubernetes', '--job', job, '--dir', join(dir, `collide-${index}`));
      expect(result.code, result.err).toBe(0);
      if (job === 'dlrm-v1-0') expect(result.out).not.toContain('object names start with');
      else expect(result.out).toMatch(new RegExp(`object names start with dlrm-v1-0-[0-9a-f]{6}-: "${job.replace(/\./g, '\\.')}" is no DNS label`));
      for (const name of namesOf(`collide-${index}`)) {
        expect(seen.has(name), `${job}: ${name} is another job's`).toBe(false);
        seen.add(name);
      }
    }
  });

  it('writes the manifests for the job with the asked number of gateways, and no compose files', async () => {
    const target = join(dir, 'dlrm');
    const result = await cli('init', '--target', 'kubernetes', '--job', 'dlrm_v1.0', '--gateways', '3', '--dir', target);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('wrote 8 files for job "dlrm_v1.0"');
    expect(result.out).toContain('alert and recording rules: kubernetes/prometheus-rules.yaml (ConfigMap to mount), or kubernetes/prometheus-operator/prometheus-rule.yaml');
    expect(readFileSync(join(target, 'kubernetes/prometheus-rules.yaml'), 'utf8')).toContain('PersiaNodeStoppedPushing');
    expect(readFileSync(join(target, 'kubernetes/prometheus-operator/prometheus-rule.yaml'), 'utf8')).toContain('kind: PrometheusRule');
    expect(result.out).toMatch(/nodes push to dlrm-v1-0-[0-9a-f]{6}-metrics-gateway-service:9091 \(3 gateway replicas, headless Service\)/);
    expect(readdirSync(target)).toEqual(['kubernetes']);
    const gateway = loadAll(readFileSync(join(target, 'kubernetes/gateway.yaml'), 'utf8')) as Array<{ kind: string; metadata: { name: string }; spec: { replicas?: number } }>;
    expect(gateway.map((o) => [o.kind, o.metadata.name, o.spec.replicas])).toEqual([
      ['Deployment', expect.stringMatching(/^dlrm-v1-0-[0-9a-f]{6}-metrics-gateway$/), 3],
      ['Service', expect.stringMatching(/^dlrm-v1-0-[0-9a-f]{6}-metrics-gateway-service$/), undefined],
    ]);
    const [configMap] = loadAll(readFileSync(join(target, 'kubernetes/global-config.yaml'), 'utf8')) as Array<{ data: Record<string, string> }>;
    expect((load(configMap?.data['global_config.yaml'] ?? '') as { PersiaMetricsConfig: { job_name: unknown } }).PersiaMetricsConfig.job_name).toBe('dlrm_v1.0');

    const again = await cli('init', '--target', 'kubernetes', '--job', 'dlrm_v1.0', '--dir', target);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/refusing to overwrite existing files .*gateway\.yaml.*--force/);
    expect((await cli('init', '--target', 'kubernetes', '--job', 'dlrm_v1.0', '--dir', target, '--force')).code).toBe(0);
    expect(readFileSync(join(target, 'kubernetes/gateway.yaml'), 'utf8')).toContain('replicas: 1\n');
  });

  it.each([
    [['--target', 'swarm'], "option '--target <target>' argument 'swarm' is invalid. expected compose or kubernetes"],
    [['--target', 'kubernetes', '--gateways', '0'], "option '--gateways <n>' argument '0' is invalid. expected a whole number from 1 to 64"],
    [['--target', 'kubernetes', '--gateways', '2.5'], 'expected a whole number from 1 to 64, found "2.5"'],
    [['--target', 'kubernetes', '--gateways', '1e1'], 'expected a whole number from 1 to 64, found "1e1"'],
    [['--target', 'kubernetes', '--gateways', '0x2'], 'expected a whole number from 1 to 64, found "0x2"'],
    [['--target', 'kubernetes', '--gateways', ' 2'], 'expected a whole number from 1 to 64, found " 2"'],
    [['--gateways', '2'], '--gateways applies to --target kubernetes'],
    [['--target', 'kubernetes', '--second-job', 'b'], '--second-job applies to --target compose'],
    [['--target', 'kubernetes', '--remote-write-url', 'http://vm:8428/api/v1/write'], '--remote-write-url applies to --target compose'],
  ])('%j exits 2: %s, and writes nothing', async (args, message) => {
    const target = join(dir, 'bad');
    const result = await cli('init', '--job', 'ok', '--dir', target, ...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a job name Kubernetes cannot carry in a label', async () => {
    const result = await cli('init', '--target', 'kubernetes', '--job', 'trailing_', '--dir', join(dir, 'bad'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('job name "trailing_" must end with a letter or digit for Kubernetes');
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('documents the target in --help', async () => {
    const help = await cli('init', '--help');
    expect(help.out).toContain('--target <target>');
    expect(help.out).toContain('persia-metrics init --target kubernetes --job dlrm_v1.0 --gateways 4');
  });
});
