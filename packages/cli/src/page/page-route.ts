/** What the page shows, from the URL's fragment. */
export type PageRoute = { view: 'jobs' } | { view: 'job'; id: number } | { view: 'agents' } | { view: 'invoke' };

/** `#/jobs` (or nothing), `#/jobs/12`, `#/agents`, `#/invoke`; anything else shows the jobs. */
export function parseRoute(hash: string): PageRoute {
  const path = hash.replace(/^#/, '');
  const job = /^\/jobs\/(\d{1,15})$/.exec(path);
  if (job) return { view: 'job', id: Number(job[1]) };
  if (path === '/agents') return { view: 'agents' };
  if (path === '/invoke') return { view: 'invoke' };
  return { view: 'jobs' };
}

export function routeHash(route: PageRoute): string {
  return route.view === 'job' ? `#/jobs/${route.id}` : `#/${route.view}`;
}
