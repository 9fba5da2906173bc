import {
  PROFILE_LIMIT_NAMES,
  type ProfileLimitName,
  type ProfileLimits,
  ProfileLimitsSchema,
} from './profiles';

// The profile form's limits as their fields hold them: for each limit, leave each machine's value,
// set "no limit", or set a value typed in the field's unit (GiB, minutes).

/** `leave`: the profile does not set it; `none`: it sets no limit (null); `value`: it sets `text`. */
export type LimitChoice = 'leave' | 'none' | 'value';
export interface LimitDraft {
  choice: LimitChoice;
  text: string;
}
export type LimitsDraft = Record<ProfileLimitName, LimitDraft>;

const GIB = 2 ** 30;

/** How many of the limit's own unit one unit of its field is; absent: the limit is text. */
const FIELD_SCALE: Partial<Record<ProfileLimitName, number>> = {
  cores: 1,
  memoryBytes: GIB,
  maxFrameTimeSeconds: 60,
  priority: 1,
};

export const isNumericLimit = (limit: ProfileLimitName): boolean => FIELD_SCALE[limit] !== undefined;

/** Whether the limit has a "no limit" (null): the priority and the compute method always have a value. */
export const acceptsNoLimit = (limit: ProfileLimitName): boolean =>
  ProfileLimitsSchema.shape[limit].safeParse(null).success;

/**
 * A limit's value in its field's unit: to one decimal when that reads back as the same value, else
 * in full, so saving a profile nobody edited never changes a limit set elsewhere (by the API).
 */
function fieldText(limit: ProfileLimitName, value: unknown): string {
  const scale = FIELD_SCALE[limit];
  if (typeof value !== 'number' || scale === undefined || scale === 1) return String(value);
  const short = Math.round((value / scale) * 10) / 10;
  return Math.round(short * scale) === value ? String(short) : String(value / scale);
}

export function toLimitsDraft(limits: ProfileLimits): LimitsDraft {
  const draft = {} as LimitsDraft;
  for (const limit of PROFILE_LIMIT_NAMES) {
    const value = limits[limit];
    if (value === undefined) draft[limit] = { choice: 'leave', text: '' };
    else if (value === null) draft[limit] = { choice: 'none', text: '' };
    else draft[limit] = { choice: 'value', text: fieldText(limit, value) };
  }
  return draft;
}

/** A typed value in the limit's unit; a blank or non-number field is NaN, which the check names. */
function fieldValue(limit: ProfileLimitName, text: string): unknown {
  const scale = FIELD_SCALE[limit];
  if (scale === undefined) return text.trim();
  if (text.trim() === '') return Number.NaN;
  return scale === 1 ? Number(text) : Math.round(Number(text) * scale);
}

/** The limits the profile sets, for the check: a left limit is absent, "no limit" is null. */
export function fromLimitsDraft(draft: LimitsDraft): Record<string, unknown> {
  const limits: Record<string, unknown> = {};
  for (const limit of PROFILE_LIMIT_NAMES) {
    const { choice, text } = draft[limit];
    if (choice === 'none') limits[limit] = null;
    else if (choice === 'value') limits[limit] = fieldValue(limit, text);
  }
  return limits;
}
