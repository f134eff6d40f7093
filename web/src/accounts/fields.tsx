import type { ComponentChildren } from 'preact';
import { RiffApiError } from '../../../src/client/index.js';
import { problem } from '../shared/ui.js';

/**
 * The server's complaints about single fields (`details: [{field, message}]`), by field name,
 * so a form can show each beside its control; a detail without its own message gets the envelope's.
 */
export function fieldProblems(error: unknown): Record<string, string> {
  if (!(error instanceof RiffApiError)) return {};
  const problems: Record<string, string> = {};
  for (const detail of error.body.details) {
    if (typeof detail.field !== 'string') continue;
    const field = detail.field.split('.')[0]!;
    problems[field] ??= typeof detail.message === 'string' ? sentence(detail.message) : error.body.message;
  }
  return problems;
}

/** The validator speaks in fragments ("must NOT have fewer than 8 characters"): make one a sentence. */
const sentence = (fragment: string) => {
  const text = fragment.replace(/\bNOT\b/g, 'not');
  return text.charAt(0).toUpperCase() + text.slice(1);
};

/** The note over the whole form: when fields are marked, it points at them rather than repeating the envelope. */
export const formProblem = (error: unknown, problems: Record<string, string>) =>
  Object.keys(problems).length > 0 ? 'Please fix the marked fields' : problem(error);

/** What an input needs to be announced with its rule and its problem. */
export interface Described {
  name: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/**
 * A labelled control with an optional rule shown under it and the server's complaint about it, both
 * announced with the control: `children` renders the control from the attributes that tie them together.
 */
export function Field({ label, name, hint, problem, children }: { label: string; name: string; hint?: string; problem?: string; children: (described: Described) => ComponentChildren }) {
  const hintId = hint ? `${name}-hint` : undefined;
  const problemId = problem ? `${name}-problem` : undefined;
  const described: Described = { name, 'aria-invalid': problem ? true : undefined, 'aria-describedby': [problemId, hintId].filter(Boolean).join(' ') || undefined };
  return (
    <div class="field">
      <label>
        {label} {children(described)}
      </label>
      {problem && (
        <p class="field-problem" id={problemId}>
          {problem}
        </p>
      )}
      {hint && (
        <p class="field-hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
