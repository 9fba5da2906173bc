import type { Role } from '../../lib/roles';
import type { ConsoleRepo, UserInfo } from '../db/repo';
import { log } from '../log';
import { RateLimiter } from './rate-limit';
import {
  AuthError,
  type AuthService,
  checkNewPassword,
  normalizeUsername,
  rateLimited,
  type SessionUser,
} from './service';

/** Lower-case letters, digits, `.`, `_` and `-`; starts with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** Console users as an admin manages them: list, add, change the role, remove. Passwords are scrypt-hashed like the admin's. */
export class Accounts {
  // Each new user costs a 32 MiB scrypt hash: the same limit as login (and the same hash slots)
  // keeps that from being abused.
  private readonly limiter: RateLimiter;

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly auth: AuthService,
    private readonly now: () => number,
  ) {
    this.limiter = new RateLimiter(5, 60_000, now);
  }

  list(): Promise<UserInfo[]> {
    return this.repo.listUsers();
  }

  /** The user's name, if there is such a user. */
  async usernameOf(id: number): Promise<string | undefined> {
    return (await this.repo.findUserById(id))?.username;
  }

  async add(
    by: SessionUser,
    request: { username: string; password: string; role: Role },
    client: string,
  ): Promise<UserInfo> {
    const username = normalizeUsername(request.username);
    if (!USERNAME_PATTERN.test(username)) {
      throw new AuthError('bad-name', 'Use 1-32 letters, digits, dots, dashes or underscores.');
    }
    checkNewPassword(request.password);
    if (!this.limiter.attempt(client)) throw rateLimited();
    if (await this.repo.findUser(username))
      throw new AuthError('name-taken', `“${username}” already exists.`);
    const createdAt = this.now();
    const hash = await this.auth.hashNewPassword(request.password);
    const id = await this.repo.createUser(username, hash, createdAt, request.role).catch((error) => {
      // Two admins adding the same name at once: the unique index refuses the second.
      if (/UNIQUE/.test(String(error))) throw new AuthError('name-taken', `“${username}” already exists.`);
      throw error;
    });
    log('info', `console: ${by.username} added ${request.role} ${username}`);
    return { id, username, role: request.role, createdAt };
  }

  /** Gives a user another role; the last admin stays an admin. Applies from the user's next request. */
  async setRole(by: SessionUser, id: number, role: Role): Promise<UserInfo> {
    const target = await this.repo.findUserById(id);
    if (!target) throw new AuthError('no-such-user', 'No such user.');
    if (!(await this.repo.setRoleKeepingAnAdmin(id, role))) {
      throw new AuthError('last-admin', 'This is the last admin: make another user an admin first.');
    }
    log('info', `console: ${by.username} made ${target.username} ${role === 'admin' ? 'an' : 'a'} ${role}`);
    return { id, username: target.username, role, createdAt: target.createdAt };
  }

  /** Removes a user and ends their sessions and live feeds at once; the last admin stays. */
  async remove(by: SessionUser, id: number): Promise<void> {
    const target = await this.repo.findUserById(id);
    if (!target) throw new AuthError('no-such-user', 'No such user.');
    if (!(await this.repo.deleteUserKeepingAnAdmin(id))) {
      throw new AuthError('last-admin', 'This is the last admin: add another admin before removing it.');
    }
    await this.auth.revokeSessions(id);
    log('info', `console: ${by.username} removed user ${target.username}`);
  }
}
