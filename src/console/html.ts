import { h } from 'preact';
import htm from 'htm';

/** JSX-like tagged templates without a JSX build step (htm, compiled by preact's `h`). */
export const html = htm.bind(h);
