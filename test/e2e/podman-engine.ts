/**
 * A private Podman engine for the e2e test: its own API socket in a temp dir (DOCKER_HOST for docker-compose
 * and dockerode), started by the test and stopped by pid. The two settings shared/CONTAINERS.md found
 * necessary on these machines go into a private containers.conf (CONTAINERS_CONF), not into /etc, and the
 * engine keeps its images and containers in a store of its own (CONTAINERS_STORAGE_CONF) in the temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onProcessExit } from '../../src/local-stack/exit-cleanup.js';

/** Absolute path of `name` on PATH or in /usr/bin, else undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export interface PodmanEngine {
  readonly socket: string;
  /** unix://<socket>, for DOCKER_HOST. */
  readonly dockerHost: string;
  /** Environment for podman / docker-compose / build-images.sh child processes. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/v1.41/version', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * The environment of a private Podman in `dir` (settings and store there, see the top of this file), for
 * podman commands run directly (test/e2e/kubernetes-pods.test.ts) or for the API service below.
 */
export function privatePodmanEnv(podman: string, dir: string): NodeJS.ProcessEnv {
  const conf = join(dir, 'containers.conf');
  // No CAP_SYS_RESOURCE in the sandbox: default rlimits fail. crun refuses the hybrid cgroup layout: runc.
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n');
  // A store of its own (images, containers, locks) in the run's temp dir: another podman on the machine (a
  // second test run) holds the shared store's locks for minutes and this service would wait on them; and
  // nothing built here is left behind.
  const storage = join(dir, 'storage.conf');
  // skip_mount_home: no private bind mount of the store on itself, which would keep the temp dir busy.
  writeFileSync(
    storage,
    `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, 'store')}"\nrunroot = "${join(dir, 'run')}"\n[storage.options.overlay]\nskip_mount_home = "true"\n`,
  );
  return { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, PODMAN: podman };
}

export async function startPodmanEngine(podman: string, dir: string): Promise<PodmanEngine> {
  const socket = join(dir, 'podman.sock');
  const env = { ...privatePodmanEnv(podman, dir), DOCKER_HOST: `unix://${socket}` };
  const child: ChildProcess = spawn(podman, ['system', 'service', '--time=0', `unix://${socket}`], { env, stdio: 'ignore' });
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Usually up in 1-3 s. Under sustained CPU load it does not answer at all until the load ends (measured:
  // 41 s behind three busy loops), which is why `npm test` runs test/e2e after the other tests, alone.
  const started = Date.now();
  const deadline = started + 90_000;
  while (!(await answers(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`podman system service did not answer on ${socket} within ${Date.now() - started} ms (exit ${String(child.exitCode)})`);
    }
    await sleep(200);
  }
  return {
    socket,
    dockerHost: `unix://${socket}`,
    env,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
        if (timedOut) child.kill('SIGKILL');
      }
      unregister();
    },
  };
}

/** Runs a command to completion; throws with its output when it fails. */
export function runOrThrow(command: string, args: readonly string[], options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): string {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output.slice(-4000)}`);
  return output;
}
