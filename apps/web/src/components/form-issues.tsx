'use client';

/** The problems a form's check found, each naming its field; nothing when there is none. */
export function FormIssues({ issues, testId }: { issues: readonly string[]; testId: string }) {
  if (issues.length === 0) return null;
  return (
    <ul className="error-text form-issues" aria-live="polite" data-testid={testId}>
      {issues.map((issue) => (
        <li key={issue}>{issue}</li>
      ))}
    </ul>
  );
}
