import { z } from 'zod';
import { operatorProcedure, router } from '../trpc';

/**
 * The audit trail, newest first, for operators and admins. Viewers do not see it: it names console
 * users and their admin actions, which a viewer cannot see anywhere else (the user list is admin-only).
 */
export const auditRouter = router({
  list: operatorProcedure
    .input(
      z.object({
        machineId: z.string().min(1).max(100).optional(),
        username: z.string().min(1).max(100).optional(),
        beforeId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(200).default(100),
      }),
    )
    .query(({ ctx, input }) => ctx.core.audit.list(input)),

  /** The user names that appear in the trail, for the filter. */
  usernames: operatorProcedure.query(({ ctx }) => ctx.core.audit.usernames()),
});
