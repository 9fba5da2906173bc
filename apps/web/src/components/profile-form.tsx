'use client';
import { type FormEvent, useState } from 'react';
import { fromLimitsDraft, toLimitsDraft } from '../lib/profile-limits';
import { checkFields, type ProfileInput, ProfileInputSchema } from '../lib/profiles';
import { FormIssues } from './form-issues';
import { ProfileLimitsFields } from './profile-limits-fields';
import { type RuleDraft, RuleEditor } from './rule-editor';

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
  const [limits, setLimits] = useState(() => toLimitsDraft(initial.limits));
  const [rules, setRules] = useState<RuleDraft[]>(initial.rules);
  const candidate = { name, limits: fromLimitsDraft(limits), rules };
  const { value, issues, invalid } = checkFields(ProfileInputSchema, candidate);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value) onSave(value);
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
      <p className="muted">Each limit is left as each machine has it, set to no limit, or set to a value.</p>
      <ProfileLimitsFields draft={limits} onChange={setLimits} invalid={invalid} />
      <h3>Rules</h3>
      <RuleEditor rules={rules} onChange={setRules} invalid={invalid} />
      <FormIssues issues={issues} testId="profile-issues" />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={disabled || busy || !value}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </div>
    </form>
  );
}
