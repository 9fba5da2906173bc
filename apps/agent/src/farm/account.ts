// The SheepIt account the agent logs in with, and the farm it logs in to: its own (`--login`/`--password`,
// `--server`, config file, FLOCK_PASSWORD) or, without one, what its console sends over the link. An
// account is only valid on its farm, so the console's farm server is kept with the console's account,
// 0600 as `farm-account.json` in the config dir: a restart logs in to the right farm at once, before
// the console is reachable. The agent's own values always win; the state says which account applies.
import { EventEmitter } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FarmAccountSchema,
  type FarmAccountSource,
  type FarmAccountWithheldReason,
  FarmServerUrlSchema,
} from '@flock/protocol';
import { writeConfigFile } from '../config/index.js';
import { DEFAULT_SERVER } from '../config/settings.js';
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
  /** The agent's own farm server (`--server`); it always wins. */
  localServer?: string;
  /** The config dir where the console's account is kept; without it, it is kept in memory only. */
  configDir?: string;
  log: Logger;
}

export class FarmAccounts extends EventEmitter<{ change: [] }> {
  private fromConsole: FarmCredentials | null;
  /** The console's farm server (null: the public farm); undefined: no console ever said. */
  private consoleServer: string | null | undefined;
  private withheldReason: FarmAccountWithheldReason | null = null;
  /** The writes of the kept file, one after the other, each of what is current when it runs. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: FarmAccountsOptions,
    stored: KeptFromConsole,
  ) {
    super();
    this.fromConsole = stored.account;
    this.consoleServer = stored.farmServer;
    if (options.local) options.log.addSecret(options.local.password);
    if (stored.account) options.log.addSecret(stored.account.password);
  }

  static async open(options: FarmAccountsOptions): Promise<FarmAccounts> {
    return new FarmAccounts(options, await readStored(options));
  }

  /** The farm to log in to next: the agent's own, else the console's, else the public farm. */
  get server(): string {
    return this.options.localServer ?? this.consoleServer ?? DEFAULT_SERVER;
  }

  /** False while the agent has no server of its own and no console ever said which farm (here or kept). */
  get serverKnown(): boolean {
    return this.options.localServer !== undefined || this.consoleServer !== undefined;
  }

  /**
   * The console's farm server for the fleet (null: the public farm), kept with its account. True when
   * the farm to log in to changed or became known (never for an agent with its own server).
   */
  setConsoleServer(server: string | null): boolean {
    const before = { server: this.server, known: this.serverKnown };
    if (server === this.consoleServer) return false;
    this.consoleServer = server;
    void this.save();
    return this.server !== before.server || this.serverKnown !== before.known;
  }

  /** Resolves once what the console sent is on disk. */
  saved(): Promise<void> {
    return this.saving;
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
      await this.save();
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

  /** Keeps what the console sent (the account with its farm server) for the next run. */
  private save(): Promise<void> {
    this.saving = this.saving.then(() => this.writeKept());
    return this.saving;
  }

  private async writeKept(): Promise<void> {
    const { configDir, log } = this.options;
    if (!configDir) return;
    const file = join(configDir, FARM_ACCOUNT_FILE);
    const account = this.fromConsole && {
      login: this.fromConsole.login,
      renderKey: this.fromConsole.password,
    };
    const kept = {
      ...account,
      ...(this.consoleServer === undefined ? {} : { farmServer: this.consoleServer }),
    };
    try {
      if (Object.keys(kept).length > 0) await writeConfigFile(file, kept);
      else await rm(file, { force: true });
    } catch (error) {
      log.warn('cannot keep the farm account from the console', { file, error: (error as Error).message });
    }
  }
}

const sameCredentials = (a: FarmCredentials | null, b: FarmCredentials | null) =>
  a?.login === b?.login && a?.password === b?.password;

interface KeptFromConsole {
  account: FarmCredentials | null;
  farmServer: string | null | undefined;
}

const NOTHING_KEPT: KeptFromConsole = { account: null, farmServer: undefined };

/** What the console sent an earlier run; a damaged file is ignored with a log line. */
async function readStored({ configDir, log }: FarmAccountsOptions): Promise<KeptFromConsole> {
  if (!configDir) return NOTHING_KEPT;
  const file = join(configDir, FARM_ACCOUNT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('cannot read the farm account from the console', { file, error: (error as Error).message });
    return NOTHING_KEPT;
  }
  let kept: KeptFromConsole | null;
  try {
    kept = parseKept(JSON.parse(text));
  } catch {
    kept = null;
  }
  if (!kept) {
    log.warn(`${file} is damaged and ignored: the console sends its account again when the link connects`);
    return NOTHING_KEPT;
  }
  return kept;
}

/**
 * `farm-account.json`: the console's account (`login`, `renderKey`; absent: none) beside its farm
 * server (`farmServer`, null: the public farm; absent: not known, as kept by versions before it).
 * Null when any of them is not what the console could have sent.
 */
function parseKept(value: unknown): KeptFromConsole | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { login, renderKey, farmServer } = value as Record<string, unknown>;
  let account: FarmCredentials | null = null;
  if (login !== undefined || renderKey !== undefined) {
    const parsed = FarmAccountSchema.safeParse({ login, renderKey });
    if (!parsed.success) return null;
    account = { login: parsed.data.login, password: parsed.data.renderKey };
  }
  if (farmServer === undefined) return { account, farmServer: undefined };
  const server = FarmServerUrlSchema.nullable().safeParse(farmServer);
  return server.success ? { account, farmServer: server.data } : null;
}
