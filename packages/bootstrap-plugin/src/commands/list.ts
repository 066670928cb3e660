import { listTemplates, type Template } from '../core/templates.js';
import { defineCommand } from '../cli/command.js';
import { out, TEMPLATE_OPTIONS, templateLookup, warn } from '../cli/io.js';

function printList(templates: Template[]): void {
  const width = Math.max(10, ...templates.map((t) => t.name.length));
  const rows = templates.map((t) => `     * ${t.name.padEnd(width)} ${t.description}`.trimEnd());
  out(['List of available plugin templates:', ...rows].join('\n'));
}

export const list = defineCommand({
  name: 'list',
  summary: 'list the available plugin templates',
  args: [],
  options: {
    ...TEMPLATE_OPTIONS,
    json: { type: 'boolean', summary: 'print an array of {name, description, source, fields}' },
  },
  run({ options }) {
    const { templates, warnings } = listTemplates(templateLookup(options));
    warnings.forEach(warn);
    if (options.json) {
      const rows = templates.map((t) => ({
        name: t.name,
        description: t.description,
        source: t.source,
        fields: t.fields,
      }));
      out(JSON.stringify(rows, null, 2));
    } else printList(templates);
  },
});
