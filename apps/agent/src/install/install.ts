// `flock-agent install`: what install.sh and install.ps1 run once they have downloaded and verified
// the agent and its launcher. It builds the whole agent home in a directory beside the final one,
// pairs with the console, swaps the new home into place and starts the service. Any failure undoes
// what was done: nothing is left half-installed, and a machine that had an agent keeps it.
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { CertPinSchema, nodeVersionAtLeast, nodeVersionFloor } from '@flock/protocol';
import packageJson from '../../package.json' with { type: 'json' };
import { LINK_CREDENTIALS_FILE, loadLinkCredentials, pair } from '../link/index.js';
import {
  AGENT_BUNDLE_FILE,
  agentHome,
  commandLink,
  type HomeContext,
  type HomeLayout,
  homeLayout,
  LAUNCHER_FILE,
  versionIdOf,
} from './layout.js';
import { type CommandRunner, checkService, planForHome, runCommand, startService } from './service.js';
import { posixWrapper, windowsWrapper } from './service-files.js';
import { bundleIsIntact, readVersions, sha256Of, type Versions, writeVersions } from './versions.js';

/** The lowest Node.js version the agent runs on (the package's engines range). */
export const MIN_NODE = nodeVersionFloor(packageJson.engines.node);

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

export interface InstallOptions {
  consoleUrl: string;
  code: string;
  /** The console certificate's pin, passed on to `pair`. */
  fingerprint?: string;
  noService: boolean;
  context: HomeContext;
  /** The agent bundle to install (the file this process runs) and the launcher beside it. */
  bundleFile: string;
  launcherFile: string;
  /** Where `pair` stores the console credentials (the agent's config dir). */
  configDir: string;
  /** The node binary the service runs the agent with. */
  node?: string;
  nodeVersion?: string;
  hostname?: string;
  run?: CommandRunner;
  say?: (line: string) => void;
  /** Tests: where systemd system units and logind's linger records are. */
  systemUnitDir?: string;
  lingerDir?: string;
}

export interface InstallResult {
  home: string;
  versionId: string;
  /** The version the machine ran before, when this install replaced one. */
  replaced: string | null;
  paired: 'new' | 'kept';
  /** The service's description, or null with --no-service. */
  service: string | null;
}

function checkOptions(options: InstallOptions): URL {
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  if (!nodeVersionAtLeast(nodeVersion, MIN_NODE))
    throw new InstallError(`Node.js ${nodeVersion} is too old: the agent needs Node.js ${MIN_NODE} or newer`);
  let url: URL;
  try {
    url = new URL(options.consoleUrl);
  } catch {
    throw new InstallError(`--console: "${options.consoleUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InstallError(`--console: "${options.consoleUrl}" is not an http(s) URL`);
  if (!options.code.trim())
    throw new InstallError('--code: the pairing code from the console\'s "Add machine" is missing');
  if (options.fingerprint !== undefined && !CertPinSchema.safeParse(options.fingerprint).success)
    throw new InstallError('--fingerprint: expected sha256//<base64 of 32 bytes>, as the console shows it');
  if (!options.bundleFile.endsWith('.mjs') || !existsSync(options.launcherFile))
    throw new InstallError(
      `install runs from the built agent with ${LAUNCHER_FILE} beside it (node apps/agent/dist/${AGENT_BUNDLE_FILE} install …, after npm run build)`,
    );
  return url;
}

/** The versions a home records, or null when there is no usable one (a fresh install). */
function installedVersions(layout: HomeLayout): Versions | null {
  if (!existsSync(layout.versionsFile)) return null;
  try {
    return readVersions(layout).versions;
  } catch {
    return null;
  }
}

/** Fills `staging` with the new home: launcher, wrapper, the new version and the one it replaces. */
function stageHome(
  options: InstallOptions,
  final: HomeLayout,
  staging: HomeLayout,
  versionId: string,
  bundle: Buffer,
) {
  const old = installedVersions(final);
  const previous =
    old && old.current !== versionId && bundleIsIntact(final, old.current) ? old.current : null;
  mkdirSync(path.dirname(staging.bundleOf(versionId)), { recursive: true });
  writeFileSync(staging.bundleOf(versionId), bundle, { mode: 0o644 });
  if (previous)
    cpSync(path.dirname(final.bundleOf(previous)), path.dirname(staging.bundleOf(previous)), {
      recursive: true,
    });
  writeFileSync(staging.launcher, readFileSync(options.launcherFile), { mode: 0o644 });
  mkdirSync(staging.binDir, { recursive: true });
  const command = { node: options.node ?? process.execPath, launcher: final.launcher };
  const windows = options.context.platform === 'win32';
  writeFileSync(staging.wrapper, windows ? windowsWrapper(command) : posixWrapper(command), { mode: 0o755 });
  if (!windows) chmodSync(staging.wrapper, 0o755);
  writeVersions(staging, { current: versionId, previous, trial: null, rolledBack: null });
  return { replaced: old?.current ?? null };
}

/** Pairs unless this machine is already paired with this console; returns how to undo it. */
async function pairOnce(options: InstallOptions, url: URL, say: (line: string) => void) {
  const existing = await loadLinkCredentials(options.configDir).catch(() => null);
  if (existing && new URL(existing.consoleUrl).origin === url.origin) {
    say(`already paired with ${url.origin}: kept (to pair again: flock-agent pair ${url.origin} <code>)`);
    return { paired: 'kept' as const, undo: () => {} };
  }
  const file = path.join(options.configDir, LINK_CREDENTIALS_FILE);
  const before = existsSync(file) ? readFileSync(file) : null;
  await pair(url.href, options.code, {
    configDir: options.configDir,
    hostname: options.hostname ?? osHostname(),
    ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
  }).catch((error: Error) => {
    throw new InstallError(`pairing with ${url.origin} failed: ${error.message}`);
  });
  say(`paired with ${url.origin} (credentials in ${file}, mode 0600)`);
  return {
    paired: 'new' as const,
    undo: () => (before ? writeFileSync(file, before, { mode: 0o600 }) : rmSync(file, { force: true })),
  };
}

/**
 * Links `flock-agent` on the PATH to the wrapper (a file of another program there is left alone).
 * Returns whether it did, and how to put back what was there.
 */
function linkCommand(link: string | null, wrapper: string, say: (line: string) => void) {
  const none = { linked: false, undo: () => {} };
  if (!link) return none;
  const existing = lstatSync(link, { throwIfNoEntry: false });
  if (existing && !existing.isSymbolicLink()) {
    say(`${link} exists and is not a link: left alone`);
    return none;
  }
  const before = existing ? readlinkSync(link) : null;
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(wrapper, link);
  const undo = () => {
    rmSync(link, { force: true });
    if (before) symlinkSync(before, link);
  };
  return { linked: true, undo };
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const url = checkOptions(options);
  const bundle = readFileSync(options.bundleFile);
  const versionId = versionIdOf(packageJson.version, sha256Of(bundle));
  const final = homeLayout(agentHome(options.context), options.context.platform);
  const staging = homeLayout(`${final.home}.installing-${process.pid}`, options.context.platform);
  const replacedHome = `${final.home}.replaced-${process.pid}`;
  const undo: (() => void)[] = [() => rmSync(staging.home, { recursive: true, force: true })];
  const upgrade = existsSync(final.home);
  try {
    rmSync(staging.home, { recursive: true, force: true });
    const { replaced } = stageHome(options, final, staging, versionId, bundle);
    const plan = options.noService ? null : planForHome(options.context, final, options);
    if (plan) checkService(plan, options.run ?? runCommand); // before the pairing code is spent
    const pairing = await pairOnce(options, url, say);
    undo.push(pairing.undo);
    if (upgrade) {
      renameSync(final.home, replacedHome);
      undo.push(() => renameSync(replacedHome, final.home));
    }
    renameSync(staging.home, final.home);
    undo.push(() => rmSync(final.home, { recursive: true, force: true }));
    say(
      `${replaced ? `replaced version ${replaced} with` : 'installed version'} ${versionId} in ${final.home}`,
    );
    const link = commandLink(options.context);
    const linked = linkCommand(link, final.wrapper, say);
    undo.push(linked.undo);
    let service: string | null = null;
    if (plan) {
      startService(plan, options.run ?? runCommand);
      service = plan.description;
      say(`started ${service}`);
      for (const note of plan.notes) say(note);
    }
    rmSync(replacedHome, { recursive: true, force: true });
    const command = linked.linked ? 'flock-agent' : final.wrapper;
    const where = linked.linked ? ` (linked in ${path.dirname(link ?? '')})` : '';
    say(
      service
        ? `Done: the agent appears in the console once it connects. Its command line: ${command}${where}: status, stop, uninstall…`
        : `Installed without a service: start the agent with \`${command} run\`${where}; the console cannot restart or update it then`,
    );
    return { home: final.home, versionId, replaced, paired: pairing.paired, service };
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // undo as much as possible: the remaining steps still run
      }
    }
    const outcome = upgrade ? 'the agent installed before is unchanged' : 'nothing was installed';
    throw new InstallError(`${(error as Error).message}; ${outcome}`);
  }
}
