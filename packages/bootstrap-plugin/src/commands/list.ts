import { formatValue, type Field } from '../core/fields.js';
import { findTemplate, listTemplates, type Template } from '../core/templates.js';
import { defineCommand } from '../cli/command.js';
import { STDOUT, out, paint, warn } from '../cli/io.js';
import { JSON_OPTION, TEMPLATE_OPTIONS, templateLookup } from '../cli/options.js';

const SOURCES: Record<Template['source'], string> = { builtin: 'built-in', pack: 'pack', user: 'user template' };

function printList(templates: Template[]): void {
  const width = Math.max(10, ...templates.map((t) => t.name.length));
  const rows = templates.map((t) => `     * ${paint(STDOUT, 'bold', t.name.padEnd(width))} ${t.description}`.trimEnd());
  out(['List of available plugin templates:', ...rows].join('\n'));
}

/** What a field accepts, its default and when it is asked, in words. */
function fieldTerms(field: Field): string {
  const kind = {
    string: field.patternHint ? `text: ${field.patternHint}` : 'text',
    choice: `one of ${(field.choices ?? []).join(', ')}`,
    confirm: 'yes or no',
    integer: 'a whole number',
  }[field.type];
  const terms = [kind];
  if (field.default !== undefined) terms.push(`default: ${formatValue(field.default) || '(empty)'}`);
  if (field.when) {
    const conditions = Object.entries(field.when).map(([name, value]) => `${name}=${[value].flat().join('|')}`);
    terms.push(`asked only when ${conditions.join(' and ')}`);
  }
  return terms.join('; ');
}

function printTemplate(template: Template): void {
  out(`${paint(STDOUT, 'bold', template.name)}: ${template.description}`);
  out(`  ${SOURCES[template.source]}, from ${template.dir}`);
  if (template.fields.length === 0) return void out('  No fields: create asks nothing.');
  out(`Fields, in the order create asks them (or answer with --set FIELD=VALUE):`);
  const width = Math.max(...template.fields.map((field) => field.name.length));
  for (const field of template.fields) {
    out(`  ${paint(STDOUT, 'bold', field.name.padEnd(width))}  ${field.message}`);
    out(`  ${' '.repeat(width)}  ${fieldTerms(field)}`);
  }
}

const asJson = (t: Template) => ({ name: t.name, description: t.description, source: t.source, fields: t.fields });

export const list = defineCommand({
  name: 'list',
  summary: 'list the available plugin templates, or show the fields of one',
  args: [{ name: 'template', completes: 'templates', summary: "a template's name or path: print its fields" }],
  options: {
    ...TEMPLATE_OPTIONS,
    json: { ...JSON_OPTION, summary: 'print {name, description, source, fields} (an array without TEMPLATE)' },
  },
  async run({ options, args }) {
    if (args.template !== undefined) {
      const template = findTemplate(args.template, templateLookup(options), process.cwd());
      if (options.json) return void out(JSON.stringify(asJson(template), null, 2));
      return printTemplate(template);
    }
    const { templates, warnings } = listTemplates(templateLookup(options));
    warnings.forEach(warn);
    if (options.json) out(JSON.stringify(templates.map(asJson), null, 2));
    else printList(templates);
  },
});
