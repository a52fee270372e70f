import type { JobFilter } from './job-filters.js';
import { STATE_ORDER } from './job-filters.js';
import { html } from './html.js';

/** A state to choose and a piece of text to type; `textLabel` says what the text matches. */
export function FilterBar({
  filter,
  onChange,
  textLabel,
}: {
  filter: JobFilter;
  onChange: (filter: JobFilter) => void;
  textLabel: string;
}) {
  return html`<div class="filters">
    <label
      >State
      <select
        name="state"
        value=${filter.state}
        onChange=${(event: Event) => onChange({ ...filter, state: (event.target as HTMLSelectElement).value })}
      >
        <option value="">any</option>
        ${STATE_ORDER.map((state) => html`<option key=${state} value=${state}>${state}</option>`)}
      </select>
    </label>
    <label
      >${textLabel}
      <input
        name="text"
        type="search"
        value=${filter.text}
        onInput=${(event: Event) => onChange({ ...filter, text: (event.target as HTMLInputElement).value })}
      />
    </label>
  </div>`;
}
