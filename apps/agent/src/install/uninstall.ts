// `flock-agent uninstall [--purge]`: stops and removes the service and the agent home. The cache
// (frames waiting for upload, downloaded projects) and the pairing stay unless --purge is given.
import { existsSync, lstatSync, readdirSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LINK_CREDENTIALS_FILE } from '../link/index.js';
import { agentHome, commandLink, type HomeContext, homeLayout, type ServiceScope } from './layout.js';
import { type CommandRunner, planForHome, removeService, runCommand } from './service.js';

/** Files the agent keeps in its config dir: removed with --purge. */
const CONFIG_FILES = ['agent.json', LINK_CREDENTIALS_FILE, 'farm-account.json'];

export interface UninstallOptions {
  context: HomeContext;
  purge: boolean;
  configDir: string;
  /** The agent's cache dir when known (flag or config file). */
  cacheDir?: string;
  run?: CommandRunner;
  say?: (line: string) => void;
  systemUnitDir?: string;
}

/** A root user may have installed either way: the scope whose home exists, the default one first. */
function installedScope(context: HomeContext): HomeContext {
  if (context.platform !== 'linux' || existsSync(agentHome(context))) return context;
  const other: ServiceScope = context.scope === 'system' ? 'user' : 'system';
  const alternative = { ...context, scope: other };
  return context.isRoot === true && existsSync(agentHome(alternative)) ? alternative : context;
}

export function uninstall(options: UninstallOptions): { removed: boolean } {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const context = installedScope(options.context);
  const layout = homeLayout(agentHome(context), context.platform);
  const plan = planForHome(context, layout, options);
  const hadService = removeService(plan, options.run ?? runCommand);
  if (hadService) say(`removed ${plan.description}`);
  const link = commandLink(context);
  if (
    link &&
    lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() &&
    readlinkSync(link) === layout.wrapper
  )
    rmSync(link);
  const hadHome = existsSync(layout.home);
  rmSync(layout.home, { recursive: true, force: true });
  if (hadHome) say(`removed ${layout.home}`);
  if (!hadService && !hadHome) say(`no installed agent found (looked for ${layout.home})`);
  if (options.purge) purge(options, say);
  else {
    const kept = [
      options.cacheDir && `the cache (${options.cacheDir})`,
      `the settings and pairing (${options.configDir})`,
    ];
    say(`kept ${kept.filter(Boolean).join(' and ')}; \`flock-agent uninstall --purge\` removes them too`);
  }
  return { removed: hadService || hadHome };
}

function purge(options: UninstallOptions, say: (line: string) => void): void {
  if (options.cacheDir) {
    rmSync(options.cacheDir, { recursive: true, force: true });
    say(`removed the cache, ${options.cacheDir}`);
  } else say('no cache dir configured: no cache to remove');
  for (const name of CONFIG_FILES) rmSync(path.join(options.configDir, name), { force: true });
  if (existsSync(options.configDir) && readdirSync(options.configDir).length === 0)
    rmdirSync(options.configDir);
  say(`removed the settings and pairing from ${options.configDir}`);
}
