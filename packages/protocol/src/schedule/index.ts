export {
  MINUTES_PER_DAY,
  MINUTES_PER_WEEK,
  normalizeIntervals,
  parseWindowSpec,
  ScheduleParseError,
  type WeekInterval,
} from './parse';
export { parseSchedule, Schedule, type ScheduleOptions, type ScheduleStatus } from './schedule';
