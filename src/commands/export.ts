import BoxesExport from './boxes/export.js';

/** `ebcli export`, the original top-level verb: same as `boxes export`. */
export default class Export extends BoxesExport {
  static override hidden = true;
  static override summary = 'Same as `boxes export` (original ebcli verb)';
}
