import type { JobState } from './api-shapes.js';
import { html } from './html.js';

/** A job's state, coloured by it (app.css: `.state-Completed` and the rest). */
export function StateBadge({ state }: { state: JobState }) {
  return html`<span class=${`state state-${state}`}>${state}</span>`;
}
