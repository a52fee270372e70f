import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_DIR } from '../package-files.js';

/** A file of the web page, with the type it is served as. */
export interface PageAsset {
  type: string;
  body: Buffer;
}

/** The page's files by the path they are served at. */
export type PageAssets = ReadonlyMap<string, PageAsset>;

const FILES: readonly [path: string, file: string, type: string][] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/page/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/page/app.css', 'app.css', 'text/css; charset=utf-8'],
  ['/page/icon.svg', 'icon.svg', 'image/svg+xml'],
];

/** The paths the page's files are served at. */
export const PAGE_PATHS: ReadonlySet<string> = new Set(FILES.map(([path]) => path));

/** Thrown when the page was not built: the server still serves the API. */
export class PageNotBuiltError extends Error {
  override readonly name = 'PageNotBuiltError';
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(`the web page is not built (${file} is missing): npm run build builds it; the API under /api is served all the same`, options);
  }
}

/** Reads the page's files once, when the server starts: they change only with a new build. */
export async function readPageAssets(dir = PAGE_DIR): Promise<PageAssets> {
  const assets = new Map<string, PageAsset>();
  for (const [path, file, type] of FILES) {
    const body = await readFile(join(dir, file)).catch((error: unknown) => {
      throw new PageNotBuiltError(join(dir, file), { cause: error });
    });
    assets.set(path, { type, body });
  }
  return assets;
}
