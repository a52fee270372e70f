// The web page of `fleet serve`, bundled by scripts/bundle.mjs into dist/page/app.js.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AgentsView } from './agents-view.js';
import { ApiClient } from './api-client.js';
import { html } from './html.js';
import { InvokeForm } from './invoke-form.js';
import { JobView } from './job-view.js';
import { JobsView } from './jobs-view.js';
import { parseRoute, routeHash, type PageRoute } from './page-route.js';
import { takePageSecret } from './page-secret.js';

function App({ api }: { api: ApiClient }) {
  const [route, setRoute] = useState<PageRoute>(parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  const tab = (view: 'jobs' | 'agents' | 'invoke', label: string) => {
    const current = route.view === view || (view === 'jobs' && route.view === 'job');
    return html`<a href=${routeHash({ view })} class=${current ? 'current' : ''}>${label}</a>`;
  };
  return html`<header>
      <span class="brand">fleet</span>
      <nav>${tab('jobs', 'Jobs')} ${tab('agents', 'Agents')} ${tab('invoke', 'Invoke')}</nav>
    </header>
    <main>
      ${
        route.view === 'job'
          ? html`<${JobView} key=${route.id} api=${api} id=${route.id} />`
          : route.view === 'agents'
            ? html`<${AgentsView} api=${api} />`
            : route.view === 'invoke'
              ? html`<${InvokeForm} api=${api} />`
              : html`<${JobsView} api=${api} />`
      }
    </main>`;
}

/** Without the secret (a new tab, or the server restarted), nothing can be read: say how to get it. */
function NoSecret() {
  return html`<main>
    <p class="error" role="alert">
      This tab has no session of fleet serve: open the URL fleet serve printed (with its <code>?token=</code>) in this tab.
    </p>
  </main>`;
}

const secret = takePageSecret();
const root = document.getElementById('app') as HTMLElement;
render(secret === null ? html`<${NoSecret} />` : html`<${App} api=${new ApiClient(secret)} />`, root);
