'use client';
import { LIMIT_BOUNDS } from '@flock/protocol';
import { acceptsNoLimit, isNumericLimit, type LimitDraft, type LimitsDraft } from '../lib/profile-limits';
import type { ProfileLimitName } from '../lib/profiles';

const FIELD_LABEL: Record<ProfileLimitName, string> = {
  computeMethod: 'Compute method',
  cores: 'Cores',
  memoryBytes: 'Memory (GiB)',
  maxFrameTimeSeconds: 'Max frame time (min)',
  priority: `Priority (${LIMIT_BOUNDS.priority.min}–${LIMIT_BOUNDS.priority.max})`,
  requestTime: 'Request time',
};

const NO_LIMIT_LABEL: Partial<Record<ProfileLimitName, string>> = {
  cores: 'No limit: all cores',
  requestTime: 'No limit: any time',
};

const PLACEHOLDER: Partial<Record<ProfileLimitName, string>> = {
  requestTime: 'mon-fri 18:00-08:00',
};

const CHOICE_LIMITS = [
  'cores',
  'memoryBytes',
  'maxFrameTimeSeconds',
  'priority',
  'requestTime',
] as const satisfies readonly ProfileLimitName[];

/**
 * The limits of a profile: each is left as each machine has it, set to no limit (where the limit has
 * one) or set to a value. `invalid(path)` marks a field the form's check refused.
 */
export function ProfileLimitsFields({
  draft,
  onChange,
  invalid,
}: {
  draft: LimitsDraft;
  onChange: (draft: LimitsDraft) => void;
  invalid: (path: string) => boolean;
}) {
  const set = (limit: ProfileLimitName, next: LimitDraft) => onChange({ ...draft, [limit]: next });
  const method = draft.computeMethod;
  return (
    <div className="row">
      <label>
        {FIELD_LABEL.computeMethod}
        <select
          value={method.choice === 'value' ? method.text : ''}
          onChange={(e) =>
            set('computeMethod', { choice: e.target.value ? 'value' : 'leave', text: e.target.value })
          }
        >
          <option value="">As each machine has it</option>
          <option value="cpu">CPU</option>
          <option value="gpu">GPU</option>
          <option value="cpu_gpu">CPU + GPU</option>
        </select>
      </label>
      {CHOICE_LIMITS.map((limit) => (
        <LimitChoiceField
          key={limit}
          limit={limit}
          draft={draft[limit]}
          onChange={(next) => set(limit, next)}
          invalid={invalid(`limits.${limit}`)}
        />
      ))}
    </div>
  );
}

function LimitChoiceField({
  limit,
  draft,
  onChange,
  invalid,
}: {
  limit: ProfileLimitName;
  draft: LimitDraft;
  onChange: (draft: LimitDraft) => void;
  invalid: boolean;
}) {
  const label = FIELD_LABEL[limit];
  return (
    <div className="limit-choice">
      <label>
        {label}
        <select
          value={draft.choice}
          onChange={(e) => onChange({ ...draft, choice: e.target.value as LimitDraft['choice'] })}
        >
          <option value="leave">As each machine has it</option>
          {acceptsNoLimit(limit) && <option value="none">{NO_LIMIT_LABEL[limit] ?? 'No limit'}</option>}
          <option value="value">Set to</option>
        </select>
      </label>
      {draft.choice === 'value' && (
        <input
          type={isNumericLimit(limit) ? 'number' : 'text'}
          step={limit === 'memoryBytes' ? 'any' : undefined}
          aria-label={`${label} value`}
          placeholder={PLACEHOLDER[limit]}
          value={draft.text}
          aria-invalid={invalid}
          onChange={(e) => onChange({ ...draft, text: e.target.value })}
        />
      )}
    </div>
  );
}
