import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords';
import { RateLimiter } from './rate-limit';
import { hashToken, newToken } from './tokens';

export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
export const ADMIN_USERNAME = 'admin';

export class AuthError extends Error {
  constructor(
    readonly kind: 'rate-limited' | 'bad-credentials' | 'already-set-up' | 'weak-password',
    message: string,
  ) {
    super(message);
  }
}

export interface SessionUser {
  id: number;
  username: string;
}

/** Console users and their sessions; tokens only ever stored hashed. */
export class AuthService {
  private readonly loginLimiter: RateLimiter;

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
  ) {
    this.loginLimiter = new RateLimiter(5, 60_000, now);
  }

  async needsSetup(): Promise<boolean> {
    return (await this.repo.countUsers()) === 0;
  }

  /** Creates the admin on first start; refused once any user exists. Returns a session token. */
  async setup(password: string): Promise<string> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new AuthError('weak-password', `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    if (!(await this.needsSetup()))
      throw new AuthError('already-set-up', 'The admin password is already set.');
    const userId = await this.repo.createUser(ADMIN_USERNAME, await hashPassword(password), this.now());
    log('info', 'console: admin password set');
    return this.startSession(userId);
  }

  async login(username: string, password: string, client: string): Promise<string> {
    if (!this.loginLimiter.attempt(client)) {
      log('warn', `console: login rate-limited for ${client}`);
      throw new AuthError('rate-limited', 'Too many attempts. Wait a minute and try again.');
    }
    const user = await this.repo.findUser(username);
    // Hash even for an unknown user, so timing does not reveal which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      log('warn', `console: failed login from ${client}`);
      throw new AuthError('bad-credentials', 'Wrong user name or password.');
    }
    return this.startSession(user.id);
  }

  async logout(token: string): Promise<void> {
    await this.repo.deleteSession(hashToken(token));
  }

  async userFor(token: string | undefined): Promise<SessionUser | null> {
    if (!token || token.length > 100) return null;
    return (await this.repo.findSessionUser(hashToken(token), this.now())) ?? null;
  }

  private async startSession(userId: number): Promise<string> {
    const token = newToken();
    const now = this.now();
    await this.repo.createSession(hashToken(token), userId, now, now + SESSION_TTL_MS);
    return token;
  }
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
