'use client';
import type { ReactNode } from 'react';
import { needsRole, type Role } from '../lib/roles';
import { useRole } from './use-role';

/**
 * Disables every control inside (a disabled fieldset) for a user whose role is below `minimum`,
 * with a tooltip saying why. Only a convenience: the server refuses the call anyway.
 */
export function RoleGate({ minimum, children }: { minimum: Role; children: ReactNode }) {
  const { can } = useRole();
  const denied = !can(minimum);
  return (
    <fieldset className="role-gate" disabled={denied} title={denied ? needsRole(minimum) : undefined}>
      {children}
    </fieldset>
  );
}
