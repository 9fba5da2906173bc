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
        /** The id of the oldest entry already shown: the next page starts below it. */
        cursor: z.number().int().positive().nullish(),
        limit: z.number().int().min(1).max(200).default(100),
      }),
    )
    .query(({ ctx, input: { cursor, ...query } }) =>
      ctx.core.audit.list({ ...query, ...(cursor ? { beforeId: cursor } : {}) }),
    ),

  /** The user names that appear in the trail, for the filter. */
  usernames: operatorProcedure.query(({ ctx }) => ctx.core.audit.usernames()),
});
