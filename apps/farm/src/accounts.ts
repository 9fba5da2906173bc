import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { FarmDb } from './db/client';
import { type AccountRow, accounts } from './db/schema';

export interface AccountCredentials {
  login: string;
  password: string;
}

/** With no account configured the farm has one: `demo` / `demo`. */
export const DEFAULT_ACCOUNTS: readonly AccountCredentials[] = [{ login: 'demo', password: 'demo' }];

export class Accounts {
  /** Built once: every job request reads the account's credits. */
  private readonly byLogin;

  constructor(private readonly db: FarmDb) {
    this.byLogin = db
      .select()
      .from(accounts)
      .where(eq(accounts.login, sql.placeholder('login')))
      .prepare();
  }

  /** Creates the given accounts or updates their password; render keys and credits are kept. */
  ensure(list: readonly AccountCredentials[]): void {
    this.db.transaction((tx) => {
      for (const { login, password } of list) {
        tx.insert(accounts)
          .values({ login, password, publicKey: randomBytes(16).toString('hex') })
          .onConflictDoUpdate({ target: accounts.login, set: { password } })
          .run();
      }
    });
  }

  /** The account when `secret` is its password or its render key (clients log in again with the key). */
  authenticate(login: string, secret: string): AccountRow | undefined {
    const account = this.get(login);
    if (!account || secret === '') return undefined;
    return secret === account.password || secret === account.publicKey ? account : undefined;
  }

  get(login: string): AccountRow | undefined {
    return this.byLogin.get({ login });
  }

  credits(login: string): number {
    return this.get(login)?.credits ?? 0;
  }
}
