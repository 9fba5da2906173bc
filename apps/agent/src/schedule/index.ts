export {
  MINUTES_PER_DAY,
  MINUTES_PER_WEEK,
  normalizeIntervals,
  parseWindowSpec,
  ScheduleParseError,
  type WeekInterval,
} from './parse.js';
export { parseSchedule, Schedule, type ScheduleOptions, type ScheduleStatus } from './schedule.js';
