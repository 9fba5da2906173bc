// The agent builds the console serves (install, updates). At start the console reads the agent's
// dist/ (flock-agent.mjs, launcher.mjs, build.json) and, when the bundle is new, copies both files
// to <data>/agent-builds/<sha256 of the bundle>/: a rebuilt agent becomes the current build and the
// one before stays for rollback. builds.json lists them, newest first.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AGENT_BUILD_FILES,
  type AgentBuildFile,
  type AgentManifest,
  agentBuildPath,
  nodeVersionFloor,
} from '@flock/protocol';
import { z } from 'zod';
import { log } from '../log';

/** The builds kept: the current one, the previous (rollback) and one more. */
const KEPT_BUILDS = 3;

const AgentBuildSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/),
  minNode: z.string().regex(/^\d+\.\d+\.\d+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  launcherSha256: z.string().regex(/^[0-9a-f]{64}$/),
  addedAt: z.number().int().nonnegative(),
});
export type AgentBuild = z.infer<typeof AgentBuildSchema>;

const BuildListSchema = z.array(AgentBuildSchema).max(100);
const BuildInfoSchema = z.object({ version: AgentBuildSchema.shape.version, node: z.string().max(40) });

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export class AgentBuilds {
  private constructor(
    private readonly dir: string,
    private list: AgentBuild[],
  ) {}

  /** Newest first: [current, previous, …]. */
  get builds(): readonly AgentBuild[] {
    return this.list;
  }

  get current(): AgentBuild | null {
    return this.list[0] ?? null;
  }

  /** The file of a kept build, or null for an unknown SHA-256 (never a path built from the request alone). */
  file(sha256: string, file: AgentBuildFile): string | null {
    const build = this.list.find((candidate) => candidate.sha256 === sha256);
    return build ? join(this.dir, build.sha256, file) : null;
  }

  manifest(): AgentManifest | null {
    const build = this.current;
    if (!build) return null;
    return {
      version: build.version,
      minNode: build.minNode,
      agent: { sha256: build.sha256, url: agentBuildPath(build.sha256, 'flock-agent.mjs') },
      launcher: { sha256: build.launcherSha256, url: agentBuildPath(build.sha256, 'launcher.mjs') },
    };
  }

  /**
   * Loads the kept builds from `<dataDir>/agent-builds` and adds the agent's dist/ when it holds a
   * bundle not seen before. A missing or unreadable dist/ is logged: the kept builds are served.
   */
  static async load(options: {
    dataDir: string;
    agentDist?: string;
    now: () => number;
  }): Promise<AgentBuilds> {
    const dir = join(options.dataDir, 'agent-builds');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const builds = new AgentBuilds(dir, await readList(dir));
    if (options.agentDist) await builds.addFrom(options.agentDist, options.now());
    if (!builds.current)
      log('warn', 'agent builds: none yet, /install.sh cannot install agents (npm run build)');
    return builds;
  }

  private async addFrom(dist: string, now: number): Promise<void> {
    let files: Buffer[];
    let info: z.infer<typeof BuildInfoSchema>;
    try {
      files = await Promise.all(AGENT_BUILD_FILES.map((name) => readFile(join(dist, name))));
      info = BuildInfoSchema.parse(JSON.parse(await readFile(join(dist, 'build.json'), 'utf8')));
    } catch (error) {
      log(
        'warn',
        `agent builds: no agent build in ${dist} (${(error as Error).message.split('\n')[0]}); run npm run build`,
      );
      return;
    }
    const [bundle = Buffer.alloc(0), launcher = Buffer.alloc(0)] = files;
    const sha256 = sha256Of(bundle);
    if (this.current?.sha256 === sha256) return;
    const staging = join(this.dir, `.${sha256}.${process.pid}.partial`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    for (const name of AGENT_BUILD_FILES) await copyFile(join(dist, name), join(staging, name));
    await rm(join(this.dir, sha256), { recursive: true, force: true });
    await rename(staging, join(this.dir, sha256));
    const build: AgentBuild = {
      version: info.version,
      minNode: nodeVersionFloor(info.node),
      sha256,
      launcherSha256: sha256Of(launcher),
      addedAt: now,
    };
    const kept = [build, ...this.list.filter((old) => old.sha256 !== sha256)].slice(0, KEPT_BUILDS);
    for (const old of this.list)
      if (!kept.includes(old)) await rm(join(this.dir, old.sha256), { recursive: true, force: true });
    this.list = kept;
    await writeList(this.dir, kept);
    log('info', `agent builds: ${build.version} (${sha256.slice(0, 12)}) is the current agent build`);
  }
}

async function readList(dir: string): Promise<AgentBuild[]> {
  const file = join(dir, 'builds.json');
  if (!existsSync(file)) return [];
  try {
    const list = BuildListSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    return list.filter((build) => existsSync(join(dir, build.sha256, 'flock-agent.mjs')));
  } catch (error) {
    log(
      'warn',
      `agent builds: ${file} is damaged (${(error as Error).message.split('\n')[0]}); starting a new list`,
    );
    return [];
  }
}

async function writeList(dir: string, list: readonly AgentBuild[]): Promise<void> {
  const file = join(dir, 'builds.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
