'use client';
import type { Rule } from '@flock/protocol';
import { type FormEvent, useState } from 'react';
import { checkFields, type Overrides, OverridesInputSchema } from '../lib/profiles';
import { FormIssues } from './form-issues';
import { type RuleDraft, RuleEditor } from './rule-editor';

/**
 * A machine's override rules, edited with the profile form's rule editor and checked as you type with
 * the schema the server checks them with. A rule named like one of the profile's replaces it on this
 * machine; another comes in addition. The override limits are kept as they are.
 */
export function OverrideRulesForm({
  overrides,
  profileRules,
  busy,
  onSave,
  onCancel,
}: {
  overrides: Overrides;
  profileRules: readonly Rule[];
  busy: boolean;
  onSave: (overrides: Overrides) => void;
  onCancel: () => void;
}) {
  const [rules, setRules] = useState<RuleDraft[]>(overrides.rules);
  const candidate = { limits: overrides.limits, rules };
  const { value, issues, invalid } = checkFields(OverridesInputSchema, candidate);
  const overridden = new Set(rules.map((rule) => rule.name.trim().toLowerCase()));
  const replaceable = profileRules.filter((rule) => !overridden.has(rule.name.toLowerCase()));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value) onSave(value);
  };
  return (
    <form className="form override-rules-form" onSubmit={submit} aria-label="Override rules">
      <p className="muted">
        A rule named like one of the profile's replaces it on this machine; another comes in addition.
      </p>
      {replaceable.length > 0 && (
        <label>
          Change a rule of the profile for this machine
          <select
            value=""
            onChange={(e) => {
              const rule = replaceable.find((r) => r.name === e.target.value);
              if (rule) setRules([...rules, structuredClone(rule)]);
            }}
          >
            <option value="">Choose a rule to copy here…</option>
            {replaceable.map((rule) => (
              <option key={rule.name} value={rule.name}>
                {rule.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <RuleEditor rules={rules} onChange={setRules} invalid={invalid} />
      <FormIssues issues={issues} testId="override-issues" />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy || !value}>
          {busy ? 'Saving…' : 'Save override rules'}
        </button>
      </div>
    </form>
  );
}
