import { z } from 'zod';

/**
 * What a console user may do, from least to most: a viewer reads, an operator also controls machines
 * (commands, limits, blocks, names), an admin also manages users, pairing, removal, the farm account
 * and fleet settings. The server enforces it on every call; the pages only hide what would be refused.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** Whether `role` may do what needs at least `minimum`. */
export const hasRole = (role: Role, minimum: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(minimum);

export const ROLE_LABELS: Record<Role, string> = {
  viewer: 'Viewer',
  operator: 'Operator',
  admin: 'Admin',
};

/** What each role adds, for the account page and the tooltips of controls a role may not use. */
export const ROLE_ABILITIES: Record<Role, string> = {
  viewer: 'sees the fleet, machines and their logs',
  operator: 'also pauses, resumes, stops, renames machines and changes limits and blocked projects',
  admin: 'also manages users, adds and removes machines, the farm account and fleet settings',
};

/** The tooltip of a control the current user's role may not use. */
export const needsRole = (minimum: Role): string =>
  `Needs the ${ROLE_LABELS[minimum].toLowerCase()} role: ask an admin.`;
