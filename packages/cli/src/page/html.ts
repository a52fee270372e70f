import htm from 'htm';
import { h } from 'preact';

/** Preact's `h` as tagged templates: components without a JSX compile step. Text in `${}` is always set as text, never HTML. */
export const html = htm.bind(h);
