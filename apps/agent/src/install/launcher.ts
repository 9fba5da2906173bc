// The launcher of an installed agent (dist/launcher.mjs, written at install and replaced only by a
// new install, so a broken agent version cannot break it). It picks the version to run from
// versions.json, starts a version on trial once with a watchdog, rolls a failed trial back, and
// imports the chosen bundle into this same process (a second node process would double the memory).
// Node built-ins only.
import { pathToFileURL } from 'node:url';
import { EXIT_RESTART, HOME_ENV, type HomeLayout, homeLayout, VERSION_ENV } from './layout.js';
import {
  bundleIsIntact,
  readVersions,
  rolledBackFrom,
  type Versions,
  VersionsDamaged,
  writeVersions,
} from './versions.js';

/** How long a new version has to connect to its console before it is rolled back. */
export const TRIAL_WATCHDOG_MS = 60_000;

export interface LauncherClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
}

export interface LaunchOptions {
  home: string;
  argv: readonly string[];
  clock?: LauncherClock;
  watchdogMs?: number;
  /** One line for the user (stderr by default). */
  say?: (line: string) => void;
  exit?: (code: number) => void;
  importBundle?: (file: string) => Promise<unknown>;
  /** Where HOME_ENV and VERSION_ENV are set for the agent (process.env by default). */
  env?: NodeJS.ProcessEnv;
}

export type LaunchResult = { started: string; trial: boolean } | { exitCode: number };

const systemLauncherClock: LauncherClock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
};

/** The first line of an error, short enough for versions.json and a log line. */
const firstLine = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0] ?? '';

interface Launch {
  layout: HomeLayout;
  clock: LauncherClock;
  say: (line: string) => void;
}

/** Records that the trial failed (current stays) and says so. */
function rollBack(launch: Launch, versions: Versions, reason: string): Versions {
  const next = rolledBackFrom(versions, launch.clock.now(), reason);
  writeVersions(launch.layout, next);
  launch.say(`rolled back from version ${versions.trial?.id}: ${reason}; running ${next.current}`);
  return next;
}

/** A pending trial is started once; one found already started failed (crash, or the watchdog). */
function takeTrial(launch: Launch, versions: Versions): { versions: Versions; trialId: string | null } {
  const { trial } = versions;
  if (!trial) return { versions, trialId: null };
  if (trial.startedAt !== null)
    return {
      versions: rollBack(launch, versions, 'it stopped before it connected to the console'),
      trialId: null,
    };
  if (!bundleIsIntact(launch.layout, trial.id))
    return { versions: rollBack(launch, versions, 'its file is missing or damaged'), trialId: null };
  const started = { ...versions, trial: { id: trial.id, startedAt: launch.clock.now() } };
  writeVersions(launch.layout, started);
  launch.say(`starting version ${trial.id} on trial (it must connect to the console within a minute)`);
  return { versions: started, trialId: trial.id };
}

/** The current version, or the previous one when the current one's file is missing or damaged. */
function intactCurrent(launch: Launch, versions: Versions): string | null {
  if (bundleIsIntact(launch.layout, versions.current)) return versions.current;
  const { previous } = versions;
  if (!previous || !bundleIsIntact(launch.layout, previous)) {
    launch.say(
      `version ${versions.current} is missing or damaged and there is no good one before it: ` +
        'install the agent again with the command from the console\'s "Add machine"',
    );
    return null;
  }
  launch.say(`version ${versions.current} is missing or damaged; running the previous one, ${previous}`);
  writeVersions(launch.layout, { ...versions, current: previous, previous: null });
  return previous;
}

/** After the watchdog's time, a trial that did not confirm is rolled back and the agent restarted. */
function armWatchdog(launch: Launch, trialId: string, ms: number, exit: (code: number) => void): void {
  const timer = launch.clock.setTimeout(() => {
    let versions: Versions;
    try {
      versions = readVersions(launch.layout).versions;
    } catch {
      return;
    }
    if (versions.trial?.id !== trialId) return; // confirmed, or replaced by a newer update
    rollBack(launch, versions, `it did not connect to the console within ${Math.round(ms / 1000)} s`);
    exit(EXIT_RESTART);
  }, ms);
  timer.unref?.(); // an agent that ends by itself is not kept alive by the watchdog
}

export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const launch: Launch = {
    layout: homeLayout(options.home),
    clock: options.clock ?? systemLauncherClock,
    say: options.say ?? ((line) => process.stderr.write(`flock-agent launcher: ${line}\n`)),
  };
  const exit = (code: number): LaunchResult => {
    (options.exit ?? process.exit)(code);
    return { exitCode: code };
  };
  let versions: Versions;
  try {
    const read = readVersions(launch.layout);
    if (read.repaired)
      launch.say(`${read.repaired}; using its last good copy (version ${read.versions.current})`);
    versions = read.versions;
  } catch (error) {
    if (!(error instanceof VersionsDamaged)) throw error;
    launch.say(error.message);
    return exit(1);
  }
  // Only the agent's `run` starts a trial: `flock-agent status` and the like use the current version.
  const taken = options.argv[0] === 'run' ? takeTrial(launch, versions) : { versions, trialId: null };
  const chosen = taken.trialId ?? intactCurrent(launch, taken.versions);
  if (chosen === null) return exit(1);
  const env = options.env ?? process.env;
  env[HOME_ENV] = options.home;
  env[VERSION_ENV] = chosen;
  if (taken.trialId) armWatchdog(launch, taken.trialId, options.watchdogMs ?? TRIAL_WATCHDOG_MS, exit);
  const importBundle = options.importBundle ?? ((file: string) => import(pathToFileURL(file).href));
  let runCli: unknown;
  try {
    runCli = ((await importBundle(launch.layout.bundleOf(chosen))) as { runCli?: unknown }).runCli;
    if (typeof runCli !== 'function') throw new Error('the bundle exports no runCli');
  } catch (error) {
    if (!taken.trialId) {
      launch.say(`cannot start version ${chosen}: ${firstLine(error)}`);
      return exit(1);
    }
    rollBack(launch, readVersions(launch.layout).versions, `it failed to start (${firstLine(error)})`);
    return exit(EXIT_RESTART);
  }
  (runCli as (argv: readonly string[]) => void)(options.argv);
  return { started: chosen, trial: taken.trialId !== null };
}
