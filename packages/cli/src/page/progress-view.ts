import type { JobProgress } from './api-shapes.js';
import { html } from './html.js';
import { progressLabel, progressSegments } from './progress-bar.js';

/** The bar (done · failed · running · waiting) and its words. Widths are set through the DOM (`style` objects), which the page's CSP allows. */
export function ProgressBar({ progress }: { progress: JobProgress }) {
  const label = progressLabel(progress);
  return html`<div class="progress" title=${label}>
    <div class="bar" role="img" aria-label=${label}>
      ${progressSegments(progress)
        .filter((segment) => segment.count > 0)
        .map(
          (segment) => html`<span key=${segment.kind} class=${`segment ${segment.kind}`} style=${{ width: `${segment.percent}%` }}></span>`,
        )}
    </div>
    <span class="progress-label">${label}</span>
  </div>`;
}
