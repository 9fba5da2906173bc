import { z } from 'zod';

/** What the console serves, without login, so a machine can install the agent from it. */
export const AGENT_MANIFEST_PATH = '/agent/manifest.json';
export const INSTALL_SH_PATH = '/install.sh';
export const INSTALL_PS1_PATH = '/install.ps1';

/** The files of one agent build: the bundle and the launcher it is installed with. */
export const AGENT_BUILD_FILES = ['flock-agent.mjs', 'launcher.mjs'] as const;
export type AgentBuildFile = (typeof AGENT_BUILD_FILES)[number];

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256: 64 lowercase hex digits');

/** `/agent/builds/<sha256 of the bundle>/<file>`: a build is named by its bundle's SHA-256. */
export const agentBuildPath = (bundleSha256: string, file: AgentBuildFile): string =>
  `/agent/builds/${Sha256Schema.parse(bundleSha256)}/${file}`;

/** The inverse of agentBuildPath, or null for any other path. */
export function parseAgentBuildPath(path: string): { sha256: string; file: AgentBuildFile } | null {
  const match = /^\/agent\/builds\/([0-9a-f]{64})\/([a-z-]+\.mjs)$/.exec(path);
  const file = match?.[2] as AgentBuildFile | undefined;
  return match?.[1] && file && AGENT_BUILD_FILES.includes(file) ? { sha256: match[1], file } : null;
}

const BuildFileSchema = z.object({ sha256: Sha256Schema, url: z.string().startsWith('/agent/builds/') });

/** `GET /agent/manifest.json`: the current agent build (URLs are relative to the console). */
export const AgentManifestSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/),
  /** The lowest Node.js version the agent runs on, e.g. "20.19.0". */
  minNode: z.string().regex(/^\d+\.\d+\.\d+$/),
  agent: BuildFileSchema,
  launcher: BuildFileSchema,
});
export type AgentManifest = z.infer<typeof AgentManifestSchema>;

/** The lowest version a `>=X.Y[.Z]` engines range admits ("20.19.0" for ">=20.19"). */
export function nodeVersionFloor(range: string): string {
  const match = /^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range);
  if (!match) throw new Error(`expected an engines range like ">=20.19", got "${range}"`);
  return `${match[1]}.${match[2] ?? 0}.${match[3] ?? 0}`;
}

/** True when `version` ("20.20.2" or "v20.20.2") is at least `floor` ("20.19.0"). */
export function nodeVersionAtLeast(version: string, floor: string): boolean {
  const parts = (text: string) =>
    text
      .replace(/^v/, '')
      .split('.')
      .map((part) => Number.parseInt(part, 10) || 0);
  const [have, need] = [parts(version), parts(floor)];
  for (let index = 0; index < 3; index++) {
    const difference = (have[index] ?? 0) - (need[index] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}
