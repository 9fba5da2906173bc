'use client';
import { useQuery } from '@tanstack/react-query';
import { hasRole, type Role } from '../lib/roles';
import { useTRPC } from '../lib/trpc';

/**
 * The signed-in user's role, to hide or disable what the server would refuse anyway. Until it is
 * known, `can` answers false: a control appears once allowed rather than vanishing after a click.
 */
export function useRole(): { role: Role | undefined; can: (minimum: Role) => boolean } {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions());
  const role = status.data?.user?.role;
  return { role, can: (minimum) => role !== undefined && hasRole(role, minimum) };
}
