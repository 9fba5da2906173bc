'use client';
import { DEFAULT_RULE_ACTION, type Rule, type RuleCondition } from '@flock/protocol';

/** A rule as the form holds it: numbers may be NaN until typed, names a comma-separated text. */
export type RuleDraft = Rule;

const CONDITION_DEFAULTS: Record<RuleCondition['kind'], RuleCondition> = {
  'user-active': { kind: 'user-active', idleMinutes: 10 },
  'process-running': { kind: 'process-running', names: [] },
  'on-battery': { kind: 'on-battery' },
  'temperature-above': { kind: 'temperature-above', sensor: 'cpu', celsius: 85 },
  'owner-cpu-above': { kind: 'owner-cpu-above', percent: 50 },
  'time-window': { kind: 'time-window', window: 'mon-fri 09:00-18:00' },
};

const CONDITION_LABEL: Record<RuleCondition['kind'], string> = {
  'user-active': 'Someone uses the computer',
  'process-running': 'A program runs',
  'on-battery': 'On battery',
  'temperature-above': 'Temperature above',
  'owner-cpu-above': "Owner's CPU load above",
  'time-window': 'Within a time window',
};

export const newRule = (index: number): RuleDraft => ({
  name: `rule ${index + 1}`,
  when: CONDITION_DEFAULTS['user-active'],
  action: DEFAULT_RULE_ACTION,
});

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
const shown = (value: number) => (Number.isNaN(value) ? '' : String(value));

/**
 * The rules of a profile, one row each: name, condition with its value, action. `invalid(path)` says
 * whether the form's check refused that field (it is marked and its message shown by the form).
 */
export function RuleEditor({
  rules,
  onChange,
  invalid,
}: {
  rules: RuleDraft[];
  onChange: (rules: RuleDraft[]) => void;
  invalid: (path: string) => boolean;
}) {
  const set = (index: number, rule: RuleDraft) => onChange(rules.map((r, i) => (i === index ? rule : r)));
  return (
    <div className="rule-editor">
      {rules.map((rule, index) => {
        const at = `rules[${index + 1}]`;
        const when = rule.when;
        const setWhen = (next: RuleCondition) => set(index, { ...rule, when: next });
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; a rename must not remount them
          <fieldset key={index} className="rule-row-edit" aria-label={`Rule ${index + 1}`}>
            <label>
              Name
              <input
                value={rule.name}
                aria-invalid={invalid(`${at}.name`)}
                onChange={(e) => set(index, { ...rule, name: e.target.value })}
              />
            </label>
            <label>
              When
              <select
                value={when.kind}
                onChange={(e) => setWhen(CONDITION_DEFAULTS[e.target.value as RuleCondition['kind']])}
              >
                {Object.entries(CONDITION_LABEL).map(([kind, label]) => (
                  <option key={kind} value={kind}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <ConditionValue
              when={when}
              onChange={setWhen}
              invalid={(field) => invalid(`${at}.when.${field}`)}
            />
            <label>
              Then
              <select
                value={rule.action.type}
                onChange={(e) =>
                  set(index, {
                    ...rule,
                    action:
                      e.target.value === 'limit-cores'
                        ? { type: 'limit-cores', cores: 2 }
                        : { type: e.target.value as 'stop-requesting' | 'pause-now' },
                  })
                }
              >
                <option value="stop-requesting">Finish the frame, ask for no new job</option>
                <option value="pause-now">Pause now</option>
                <option value="limit-cores">Limit cores</option>
              </select>
            </label>
            {rule.action.type === 'limit-cores' && (
              <label>
                Cores
                <input
                  type="number"
                  value={shown(rule.action.cores)}
                  aria-invalid={invalid(`${at}.action.cores`)}
                  onChange={(e) =>
                    set(index, { ...rule, action: { type: 'limit-cores', cores: num(e.target.value) } })
                  }
                />
              </label>
            )}
            <button type="button" onClick={() => onChange(rules.filter((_, i) => i !== index))}>
              Remove rule
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => onChange([...rules, newRule(rules.length)])}>
        Add rule
      </button>
    </div>
  );
}

function ConditionValue({
  when,
  onChange,
  invalid,
}: {
  when: RuleCondition;
  onChange: (when: RuleCondition) => void;
  invalid: (field: string) => boolean;
}) {
  switch (when.kind) {
    case 'user-active':
      return (
        <label>
          Idle minutes needed
          <input
            type="number"
            value={shown(when.idleMinutes)}
            aria-invalid={invalid('idleMinutes')}
            onChange={(e) => onChange({ ...when, idleMinutes: num(e.target.value) })}
          />
        </label>
      );
    case 'process-running':
      return (
        <label>
          Programs (comma-separated)
          <input
            value={when.names.join(',')}
            placeholder="blender, Teams.exe"
            aria-invalid={invalid('names')}
            onChange={(e) =>
              onChange({
                ...when,
                names: e.target.value === '' ? [] : e.target.value.split(',').map((n) => n.trimStart()),
              })
            }
          />
        </label>
      );
    case 'temperature-above':
      return (
        <>
          <label>
            Sensor
            <select
              value={when.sensor}
              onChange={(e) => onChange({ ...when, sensor: e.target.value as 'cpu' | 'gpu' })}
            >
              <option value="cpu">CPU</option>
              <option value="gpu">GPU</option>
            </select>
          </label>
          <label>
            °C
            <input
              type="number"
              value={shown(when.celsius)}
              aria-invalid={invalid('celsius')}
              onChange={(e) => onChange({ ...when, celsius: num(e.target.value) })}
            />
          </label>
        </>
      );
    case 'owner-cpu-above':
      return (
        <label>
          Percent
          <input
            type="number"
            value={shown(when.percent)}
            aria-invalid={invalid('percent')}
            onChange={(e) => onChange({ ...when, percent: num(e.target.value) })}
          />
        </label>
      );
    case 'time-window':
      return (
        <label>
          Window
          <input
            value={when.window}
            placeholder="mon-fri 09:00-18:00"
            aria-invalid={invalid('window')}
            onChange={(e) => onChange({ ...when, window: e.target.value })}
          />
        </label>
      );
    case 'on-battery':
      return null;
  }
}
