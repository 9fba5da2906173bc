import type { Role } from '../../src/lib/roles';
import type { RunningConsole } from '../../src/server/start';
import { call, login } from './console';

export const ROLE_PASSWORD = 'a long password for every role';

/** Logs a user in and returns the session cookie. */
export async function logIn(running: RunningConsole, username: string, password: string): Promise<string> {
  const { status, setCookie } = await call(running, 'mutation', 'auth.login', { username, password });
  if (status !== 200 || !setCookie) throw new Error(`login of ${username} failed: ${status}`);
  return setCookie.split(';')[0] ?? '';
}

/**
 * A session for each role: the first admin's, and a user per role added by it (named after the role,
 * e.g. `viewer`; the admin is `admin`).
 */
export async function sessionsByRole(
  running: RunningConsole,
): Promise<Record<Role, string> & { add: AddUser }> {
  const admin = await login(running);
  const add: AddUser = async (username, role) => {
    const added = await call(
      running,
      'mutation',
      'users.add',
      { username, password: ROLE_PASSWORD, role },
      { cookie: admin },
    );
    if (added.status !== 200) throw new Error(`adding ${username} failed: ${added.status}`);
    return logIn(running, username, ROLE_PASSWORD);
  };
  return { admin, viewer: await add('viewer', 'viewer'), operator: await add('operator', 'operator'), add };
}

type AddUser = (username: string, role: Role) => Promise<string>;
