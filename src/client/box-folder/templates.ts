import { CONTEXT_NAMES, templateNames, templateSyntaxError, unknownFilters } from '../../shared/template-check.js';
import type { Report } from './load.js';
import type { LocalBox } from './types.js';

/**
 * Parses every event script of `box` as the agent will render it (Jinja2 through nunjucks):
 * a syntax error is an error (the deploy would fail); a name that neither a variable of the box
 * nor the script context defines is a warning (it renders empty). Files are reported as `path:line`.
 */
export function checkEventTemplates(box: LocalBox, report: Report): void {
  const known = new Set<string>([...CONTEXT_NAMES, ...box.doc.variables.map((v) => v.name)]);
  for (const file of Object.values(box.events)) {
    if (!file) continue;
    const source = file.content.toString('utf8');
    const syntax = templateSyntaxError(source);
    if (syntax) {
      report(`${file.path}${syntax.line ? `:${syntax.line}` : ''}`, `template syntax error: ${syntax.message}`);
      continue;
    }
    for (const { name, line } of unknownFilters(source)) {
      report(`${file.path}:${line}`, `template filter '${name}' does not exist`);
    }
    for (const { name, line } of templateNames(source)) {
      if (known.has(name)) continue;
      report(
        `${file.path}:${line}`,
        `template variable '${name}' is not a variable of box ${box.doc.name} (it renders empty)`,
        'warning',
      );
    }
  }
}
