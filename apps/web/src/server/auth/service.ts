import type { ServerResponse } from 'node:http';
import type { Role } from '../../lib/roles';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import { LiveStreams } from './live-streams';
import { HashSlots, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords';
import { RateLimiter } from './rate-limit';
import { hashToken, newToken } from './tokens';

export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
export const ADMIN_USERNAME = 'admin';

export type AuthErrorKind =
  | 'rate-limited'
  | 'busy'
  | 'bad-credentials'
  | 'wrong-current-password'
  | 'already-set-up'
  | 'weak-password'
  | 'bad-name'
  | 'name-taken'
  | 'last-admin'
  | 'no-such-user';

export class AuthError extends Error {
  constructor(
    readonly kind: AuthErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

/** The one password rule, for the first admin, added users and changed passwords alike. */
export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AuthError('weak-password', `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
}

/** Console users' credentials and sessions; tokens only ever stored hashed. */
export class AuthService {
  private readonly limiter: RateLimiter;
  private readonly streams = new LiveStreams();
  private readonly hashSlots = new HashSlots();

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
  ) {
    // Shared by login and change-password: both let a client guess a password.
    this.limiter = new RateLimiter(5, 60_000, now);
  }

  async needsSetup(): Promise<boolean> {
    return (await this.repo.countUsers()) === 0;
  }

  /** First start in the browser: creates the admin and returns a session token for it. */
  async setup(password: string): Promise<string> {
    return this.startSession(await this.createAdmin(password));
  }

  /** Creates the first admin (also the headless FLOCK_ADMIN_PASSWORD path); refused once any user exists. */
  async createAdmin(password: string): Promise<number> {
    checkNewPassword(password);
    if (!(await this.needsSetup()))
      throw new AuthError('already-set-up', 'The admin password is already set.');
    const userId = await this.repo.createUser(
      ADMIN_USERNAME,
      await this.hashNewPassword(password),
      this.now(),
      'admin',
    );
    log('info', 'console: admin password set');
    return userId;
  }

  async login(username: string, password: string, client: string): Promise<string> {
    const user = await this.repo.findUser(normalizeUsername(username));
    // Hash even for an unknown user, so timing does not reveal which names exist.
    const ok = await this.checkPassword(password, user?.passwordHash ?? DUMMY_HASH, client);
    if (!user || !ok) {
      log('warn', `console: failed login from ${client}`);
      throw new AuthError('bad-credentials', 'Wrong user name or password.');
    }
    return this.startSession(user.id);
  }

  /** Needs the current password; every other session of the user ends (the caller's stays). */
  async changePassword(
    user: SessionUser,
    current: string,
    next: string,
    client: string,
    keepToken: string,
  ): Promise<void> {
    checkNewPassword(next);
    const stored = await this.repo.findUserById(user.id);
    if (!stored || !(await this.checkPassword(current, stored.passwordHash, client))) {
      log('warn', `console: wrong current password for ${user.username} from ${client}`);
      throw new AuthError('wrong-current-password', 'The current password is wrong.');
    }
    await this.repo.setPasswordHash(user.id, await this.hashNewPassword(next));
    await this.revokeSessions(user.id, keepToken);
    log('info', `console: ${user.username} changed their password; other sessions ended`);
  }

  async logout(token: string): Promise<void> {
    await this.repo.deleteSession(hashToken(token));
  }

  /** Ends a user's sessions and their open live feeds at once, except the session `keepToken`. */
  async revokeSessions(userId: number, keepToken?: string): Promise<void> {
    const keep = keepToken === undefined ? undefined : hashToken(keepToken);
    await this.repo.deleteSessionsOf(userId, keep);
    this.streams.end(userId, keep);
  }

  async userFor(token: string | undefined): Promise<SessionUser | null> {
    if (!token || token.length > 100) return null;
    return (await this.repo.findSessionUser(hashToken(token), this.now())) ?? null;
  }

  /** Registers a live feed opened with this session, so revoking the session ends it. */
  trackStream(user: SessionUser, token: string, res: ServerResponse): void {
    this.streams.track(user.id, hashToken(token), res);
  }

  openStreams(userId: number): number {
    return this.streams.count(userId);
  }

  /** Password checks and hashes run since start: each is one scrypt derivation. */
  get passwordChecks(): number {
    return this.hashSlots.admitted;
  }

  /** Hashes a new password in a hash slot (refused with `busy` when all are taken). */
  async hashNewPassword(password: string): Promise<string> {
    const done = await this.hashSlots.run(() => hashPassword(password));
    if (!done) throw busy();
    return done.value;
  }

  /**
   * Checks a password against a stored hash. The attempt is reserved before the slow hash starts, so
   * simultaneous guesses cannot all pass the limit, and given back when the password is right: a lab
   * behind one address can log in all day, a guesser gets five tries a minute.
   */
  private async checkPassword(password: string, storedHash: string, client: string): Promise<boolean> {
    if (!this.limiter.attempt(client)) {
      log('warn', `console: password attempts rate-limited for ${client}`);
      throw rateLimited();
    }
    const checked = await this.hashSlots.run(() => verifyPassword(password, storedHash));
    if (!checked) {
      this.limiter.release(client);
      throw busy();
    }
    if (checked.value) this.limiter.release(client);
    return checked.value;
  }

  private async startSession(userId: number): Promise<string> {
    const token = newToken();
    const now = this.now();
    await this.repo.createSession(hashToken(token), userId, now, now + SESSION_TTL_MS);
    return token;
  }
}

export const rateLimited = (): AuthError =>
  new AuthError('rate-limited', 'Too many attempts. Wait a minute and try again.');

const busy = (): AuthError =>
  new AuthError('busy', 'The console is checking other passwords right now. Try again in a few seconds.');

/** User names are compared case-insensitively: stored and looked up in lower case. */
export const normalizeUsername = (name: string): string => name.trim().toLowerCase();

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
