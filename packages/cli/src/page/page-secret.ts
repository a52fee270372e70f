import { PAGE_SECRET_KEY } from '../serve/page-contract.js';

const STORAGE_KEY = 'fleet-page-secret';

/**
 * The page's secret: taken from the fragment the server redirected to
 * (`/#session=...`, once, when the URL with the token is opened) into
 * `sessionStorage`, which only this origin (port included) and this tab can
 * read, then dropped from the address bar. A reload finds it there; a new
 * tab has none (null) until the URL is opened again.
 */
export function takePageSecret(): string | null {
  const given = new RegExp(`^#${PAGE_SECRET_KEY}=([A-Za-z0-9_-]+)$`).exec(location.hash)?.[1];
  if (given !== undefined) {
    sessionStorage.setItem(STORAGE_KEY, given);
    history.replaceState(null, '', `${location.pathname}#/jobs`);
  }
  return sessionStorage.getItem(STORAGE_KEY);
}
