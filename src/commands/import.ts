import BoxesImport from './boxes/import.js';

/** `ebcli import`, the original top-level verb: same as `boxes import`. */
export default class Import extends BoxesImport {
  static override hidden = true;
  static override summary = 'Same as `boxes import` (original ebcli verb)';
}
