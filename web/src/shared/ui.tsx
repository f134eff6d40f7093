import type { ComponentChildren } from 'preact';
import { RiffApiError } from '../../../src/client/index.js';

/** What to tell the person when a request fails: the server's own sentence when there is one. */
export const problem = (error: unknown) => (error instanceof RiffApiError ? error.body.message : 'Something went wrong — try again');

/** A time of day in the viewer's zone. */
export const clockTime = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** A date and time in the viewer's zone, or in `timeZone` (a meetup's own) when given. */
export const dateTime = (iso: string, timeZone?: string) =>
  new Date(iso).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: timeZone ? 'short' : undefined });

/** Reads a submitted form's fields as trimmed strings. */
export function formFields(event: Event): (name: string) => string {
  const form = new FormData(event.currentTarget as HTMLFormElement);
  return (name) => String(form.get(name) ?? '').trim();
}

export function ErrorNote({ error, onDismiss }: { error: string; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}{' '}
      {onDismiss && (
        <button type="button" class="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </p>
  );
}

/** A page's frame: its title as the heading screen readers land on, and its content. */
export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <main class="page" aria-label={title}>
      <header class="page-head">
        <h1>{title}</h1>
        {actions}
      </header>
      {children}
    </main>
  );
}
