import { useState } from 'preact/hooks';
import type { Job } from './api-shapes.js';
import { html } from './html.js';
import { StateBadge } from './state-badge.js';
import { formatDuration, jobDuration } from './time-text.js';
import { visibleRows } from './visible-rows.js';

/** A row's height in pixels: app.css gives `.child-row` the same. */
const ROW_HEIGHT = 28;
/** The list box's height in pixels (app.css `.children`). */
const LIST_HEIGHT = 420;

/**
 * A job's children, coloured by state, with their reasons. Only the rows in
 * view are drawn, so a job of thousands of hosts scrolls and filters as
 * one of ten does. Choosing a row shows that host's output.
 */
export function ChildrenList({ children, chosen, onChoose }: { children: Job[]; chosen: string | null; onChoose: (host: string) => void }) {
  const [scrollTop, setScrollTop] = useState(0);
  const { start, end, totalHeight } = visibleRows({
    scrollTop,
    height: LIST_HEIGHT,
    rowHeight: ROW_HEIGHT,
    count: children.length,
    overscan: 10,
  });
  const now = Date.now();
  return html`<div class="children" onScroll=${(event: Event) => setScrollTop((event.currentTarget as HTMLElement).scrollTop)}>
    <div class="children-inner" style=${{ height: `${totalHeight}px` }}>
      <div style=${{ height: `${start * ROW_HEIGHT}px` }}></div>
      ${children.slice(start, end).map((child) => {
        const duration = jobDuration(child, now);
        return html`<div
          key=${child.id}
          class=${`child-row child-${child.state}${child.location === chosen ? ' chosen' : ''}`}
          data-host=${child.location}
          onClick=${() => onChoose(child.location)}
        >
          <span class="host">${child.location}</span>
          <${StateBadge} state=${child.state} />
          <span class="exit">${child.exitCode === null ? '' : `exit ${child.exitCode}`}</span>
          <span class="duration">${duration === null ? '' : formatDuration(duration)}</span>
          <span class="reason" title=${child.reason ?? ''}>${child.reason ?? ''}</span>
        </div>`;
      })}
    </div>
  </div>`;
}
