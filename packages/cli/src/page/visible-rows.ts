/** Where a list of rows of one height is scrolled to, and how tall its box is. */
export interface ListViewport {
  scrollTop: number;
  height: number;
  rowHeight: number;
  count: number;
  /** Rows drawn beyond each edge, so that a quick scroll shows no gap. */
  overscan: number;
}

/** The rows to draw, `[start, end)`, and the list's full height: a long list draws only what can be seen. */
export function visibleRows(viewport: ListViewport): { start: number; end: number; totalHeight: number } {
  const { scrollTop, height, rowHeight, count, overscan } = viewport;
  const inView = Math.ceil(height / rowHeight);
  // A list that just got shorter (filtered) may still be scrolled past its end: show its last rows.
  const first = Math.min(Math.floor(Math.max(0, scrollTop) / rowHeight), Math.max(0, count - inView));
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + inView + overscan);
  return { start, end, totalHeight: count * rowHeight };
}
