import { z } from 'zod';
import { HISTORY_RANGES } from '../../history/series';
import { router, viewerProcedure } from '../trpc';

/** The most a time zone is ahead of or behind UTC, in minutes (UTC+14:00, UTC−14:00). */
export const MAX_TZ_OFFSET_MINUTES = 14 * 60;

export const historyRouter = router({
  /**
   * Frames, credits, render and connected time and errors per hour or day over a range, for one
   * machine or the whole fleet (machines removed since included), with the top projects.
   */
  series: viewerProcedure
    .input(
      z.object({
        range: z.enum(HISTORY_RANGES),
        machineId: z.string().min(1).max(100).optional(),
        tzOffsetMinutes: z.number().int().min(-MAX_TZ_OFFSET_MINUTES).max(MAX_TZ_OFFSET_MINUTES),
      }),
    )
    .query(({ ctx, input }) => ctx.core.history.series(input)),
});
