'use client';
import { LIMIT_BOUNDS } from '@flock/protocol';
import { type FormEvent, useState } from 'react';
import {
  describeIssues,
  fieldName,
  type ProfileInput,
  ProfileInputSchema,
  type ProfileLimits,
} from '../lib/profiles';
import { type RuleDraft, RuleEditor } from './rule-editor';

const GIB = 2 ** 30;
type LimitsDraft = Record<
  'computeMethod' | 'cores' | 'memoryGiB' | 'maxFrameTimeMinutes' | 'priority' | 'requestTime',
  string
>;

function toDraft(limits: ProfileLimits): LimitsDraft {
  const text = (value: number | null | undefined, scale = 1) =>
    value === null || value === undefined ? '' : String(Math.round((value / scale) * 10) / 10);
  return {
    computeMethod: limits.computeMethod ?? '',
    cores: text(limits.cores),
    memoryGiB: text(limits.memoryBytes, GIB),
    maxFrameTimeMinutes: text(limits.maxFrameTimeSeconds, 60),
    priority: text(limits.priority),
    requestTime: limits.requestTime ?? '',
  };
}

/** The limits the profile sets: a blank field is one the profile leaves as each machine has it. */
function fromDraft(draft: LimitsDraft): Record<string, unknown> {
  const limits: Record<string, unknown> = {};
  const number = (text: string, scale = 1) => Math.round(Number(text) * scale);
  if (draft.computeMethod) limits.computeMethod = draft.computeMethod;
  if (draft.cores.trim()) limits.cores = number(draft.cores);
  if (draft.memoryGiB.trim()) limits.memoryBytes = number(draft.memoryGiB, GIB);
  if (draft.maxFrameTimeMinutes.trim()) limits.maxFrameTimeSeconds = number(draft.maxFrameTimeMinutes, 60);
  if (draft.priority.trim()) limits.priority = number(draft.priority);
  if (draft.requestTime.trim()) limits.requestTime = draft.requestTime.trim();
  return limits;
}

/**
 * A profile's name, limits and rules, checked as you type with the same schemas the server and the
 * agents use; every problem names its field, and Save waits until there is none.
 */
export function ProfileForm({
  initial,
  busy,
  disabled,
  onSave,
  onCancel,
}: {
  initial: ProfileInput;
  busy: boolean;
  disabled: boolean;
  onSave: (profile: ProfileInput) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(initial.name);
  const [limits, setLimits] = useState(toDraft(initial.limits));
  const [rules, setRules] = useState<RuleDraft[]>(initial.rules);
  const candidate = { name, limits: fromDraft(limits), rules };
  const checked = ProfileInputSchema.safeParse(candidate);
  const issues = checked.success ? [] : describeIssues(checked.error, candidate);
  const badFields = checked.success
    ? []
    : checked.error.issues.map((issue) => fieldName(issue.path, candidate).replace(/ \('[^']*'\)/g, ''));
  const invalid = (path: string) =>
    badFields.some((field) => field === path || field.startsWith(`${path}[`) || field.startsWith(`${path}.`));
  const set = (key: keyof LimitsDraft) => (event: { target: { value: string } }) =>
    setLimits((d) => ({ ...d, [key]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (checked.success) onSave(checked.data);
  };
  return (
    <form className="form profile-form" onSubmit={submit} aria-label="Profile">
      <label>
        Name
        <input
          value={name}
          aria-invalid={invalid('name')}
          onChange={(e) => setName(e.target.value)}
          placeholder="office"
        />
      </label>
      <h3>Limits</h3>
      <p className="muted">A blank field is left as each machine has it.</p>
      <div className="row">
        <label>
          Compute method
          <select value={limits.computeMethod} onChange={set('computeMethod')}>
            <option value="">as the machine has it</option>
            <option value="cpu">CPU</option>
            <option value="gpu">GPU</option>
            <option value="cpu_gpu">CPU + GPU</option>
          </select>
        </label>
        <label>
          Cores
          <input
            type="number"
            value={limits.cores}
            aria-invalid={invalid('limits.cores')}
            onChange={set('cores')}
          />
        </label>
        <label>
          Memory (GiB)
          <input
            type="number"
            step="any"
            value={limits.memoryGiB}
            aria-invalid={invalid('limits.memoryBytes')}
            onChange={set('memoryGiB')}
          />
        </label>
        <label>
          Max frame time (min)
          <input
            type="number"
            value={limits.maxFrameTimeMinutes}
            aria-invalid={invalid('limits.maxFrameTimeSeconds')}
            onChange={set('maxFrameTimeMinutes')}
          />
        </label>
        <label>
          {`Priority (${LIMIT_BOUNDS.priority.min}–${LIMIT_BOUNDS.priority.max})`}
          <input
            type="number"
            value={limits.priority}
            aria-invalid={invalid('limits.priority')}
            onChange={set('priority')}
          />
        </label>
        <label>
          Request time
          <input
            value={limits.requestTime}
            placeholder="mon-fri 18:00-08:00"
            aria-invalid={invalid('limits.requestTime')}
            onChange={set('requestTime')}
          />
        </label>
      </div>
      <h3>Rules</h3>
      <RuleEditor rules={rules} onChange={setRules} invalid={invalid} />
      {issues.length > 0 && (
        <ul className="error-text form-issues" aria-live="polite" data-testid="profile-issues">
          {issues.map((issue) => (
            <li key={issue}>{issue}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={disabled || busy || !checked.success}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </div>
    </form>
  );
}
