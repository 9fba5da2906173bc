// The SheepIt account the agent logs in with: its own (`--login`/`--password`, config file,
// FLOCK_PASSWORD) or, without one, the account its console sends over the link. The console's is kept
// 0600 as `farm-account.json` in the config dir, so a restart renders at once, before the console is
// reachable. The local account always wins; the state says which one applies.
import { EventEmitter } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type FarmAccount,
  FarmAccountSchema,
  type FarmAccountSource,
  type FarmAccountWithheldReason,
} from '@flock/protocol';
import { writeConfigFile } from '../config/index.js';
import type { FarmAccountUpdate } from '../link/linked-agent.js';
import type { Logger } from '../log/index.js';

export const FARM_ACCOUNT_FILE = 'farm-account.json';

/** What the farm's login takes: the user name and the password or render key. */
export interface FarmCredentials {
  login: string;
  password: string;
}

export interface FarmAccountsOptions {
  /** The agent's own account, from its settings; it always wins. */
  local: FarmCredentials | null;
  /** The config dir where the console's account is kept; without it, it is kept in memory only. */
  configDir?: string;
  log: Logger;
}

export class FarmAccounts extends EventEmitter<{ change: [] }> {
  private fromConsole: FarmCredentials | null;
  private withheldReason: FarmAccountWithheldReason | null = null;

  private constructor(
    private readonly options: FarmAccountsOptions,
    stored: FarmCredentials | null,
  ) {
    super();
    this.fromConsole = stored;
    if (options.local) options.log.addSecret(options.local.password);
    if (stored) options.log.addSecret(stored.password);
  }

  static async open(options: FarmAccountsOptions): Promise<FarmAccounts> {
    return new FarmAccounts(options, await readStored(options));
  }

  /** The credentials to log in with (the same object until they change), or null: none yet. */
  get current(): FarmCredentials | null {
    return this.options.local ?? this.fromConsole;
  }

  get source(): FarmAccountSource {
    if (this.options.local) return 'local';
    return this.fromConsole ? 'console' : 'none';
  }

  /** For the console's machine page and `status`: which account applies, never its key. */
  get view(): { source: FarmAccountSource; login: string | null } {
    return { source: this.source, login: this.current?.login ?? null };
  }

  /** Why the agent has no account yet, and what to do, for its status and the console. */
  missingMessage(linkedToConsole: boolean): string {
    if (this.withheldReason === 'plain-link')
      return 'Waiting for a farm account: the console does not send it over a plain HTTP link. Serve the console over HTTPS (its default off loopback) and pair this machine with its fingerprint, or give this agent --login and --password.';
    return linkedToConsole
      ? "Waiting for a farm account from the console: set one in the console's Fleet settings (or this machine's page), or give this agent --login and --password."
      : 'No farm account: give this agent --login and --password, or pair it with a console that has one.';
  }

  /**
   * What the console said. True when the credentials to log in with changed (the caller logs in
   * again after the current frame); a withheld account keeps what was stored before.
   */
  async update(update: FarmAccountUpdate): Promise<boolean> {
    const before = this.current;
    if ('withheld' in update) {
      const news = this.withheldReason !== update.withheld;
      this.withheldReason = update.withheld;
      if (news) this.options.log.warn(this.missingMessage(true));
      this.emit('change');
      return false;
    }
    this.withheldReason = null;
    const next = update.account && { login: update.account.login, password: update.account.renderKey };
    if (!sameCredentials(next, this.fromConsole)) {
      if (next) this.options.log.addSecret(next.password);
      this.fromConsole = next;
      await this.store(update.account);
      this.options.log.info(
        next
          ? 'farm account received from the console'
          : 'the console removed its farm account for this machine',
        { login: next?.login ?? '', applies: this.options.local ? 'no: the local account wins' : 'yes' },
      );
    }
    this.emit('change');
    return this.current !== before;
  }

  private async store(account: FarmAccount | null): Promise<void> {
    const { configDir, log } = this.options;
    if (!configDir) return;
    const file = join(configDir, FARM_ACCOUNT_FILE);
    try {
      if (account) await writeConfigFile(file, account);
      else await rm(file, { force: true });
    } catch (error) {
      log.warn('cannot keep the farm account from the console', { file, error: (error as Error).message });
    }
  }
}

const sameCredentials = (a: FarmCredentials | null, b: FarmCredentials | null) =>
  a?.login === b?.login && a?.password === b?.password;

/** The console's account kept by an earlier run; a damaged file is ignored with a log line. */
async function readStored({ configDir, log }: FarmAccountsOptions): Promise<FarmCredentials | null> {
  if (!configDir) return null;
  const file = join(configDir, FARM_ACCOUNT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('cannot read the farm account from the console', { file, error: (error as Error).message });
    return null;
  }
  let parsed: ReturnType<typeof FarmAccountSchema.safeParse>;
  try {
    parsed = FarmAccountSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = FarmAccountSchema.safeParse(undefined);
  }
  if (!parsed.success) {
    log.warn(`${file} is damaged and ignored: the console sends its account again when the link connects`);
    return null;
  }
  return { login: parsed.data.login, password: parsed.data.renderKey };
}
