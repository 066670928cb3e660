import { findTemplate, listTemplates } from '../core/templates.js';
import { UsageError } from '../core/errors.js';
import { defineCommand, GLOBAL_OPTIONS, type Command, type OptionSpec } from '../cli/command.js';
import { out } from '../cli/io.js';
import { templateLookup } from '../cli/options.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/**
 * Each script asks `bootstrap-plugin __complete WORD...` for the candidates of the last word,
 * so commands, options, template names and fields come from the installed version's table;
 * with no candidate, the shell completes file names.
 */
const SCRIPTS: Record<(typeof SHELLS)[number], string> = {
  bash: `_bootstrap_plugin() {
  local IFS=$'\\n'
  local candidates
  candidates=$(bootstrap-plugin __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  COMPREPLY=($(compgen -W "$candidates" -- "\${COMP_WORDS[COMP_CWORD]}"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && compopt -o default
  return 0
}
complete -F _bootstrap_plugin bootstrap-plugin`,
  zsh: `#compdef bootstrap-plugin
_bootstrap_plugin() {
  local -a candidates
  candidates=("\${(@f)$(bootstrap-plugin __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then compadd -- "\${candidates[@]}"; else _files; fi
}
compdef _bootstrap_plugin bootstrap-plugin`,
  fish: `function __bootstrap_plugin_complete
    set -l c (bootstrap-plugin __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)
    if test (count $c) -gt 0
        printf "%s\\n" $c
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c bootstrap-plugin -f -a '(__bootstrap_plugin_complete)'`,
};

export const completion = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script: eval "$(bootstrap-plugin completion bash)"',
  args: [{ name: 'shell', required: true, label: 'bash|zsh|fish', summary: 'the shell to complete in' }],
  options: {},
  run({ args }) {
    const script = (SCRIPTS as Record<string, string>)[args.shell];
    if (script === undefined) throw new UsageError(`completion "${args.shell}": expected one of ${SHELLS.join(', ')}`);
    out(script);
  },
});

const optionSpellings = (options: Record<string, OptionSpec>) =>
  Object.entries<OptionSpec>({ ...options, ...GLOBAL_OPTIONS }).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.aliases ?? []).map((alias) => `--${alias}`),
  ]);

/** The candidates for the last of `words` (the one being typed, maybe empty). */
export async function completeWords(commands: readonly Command[], words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const typed = before.filter((word) => !word.startsWith('-'));
  const command =
    commands.find((c) => c.name === typed.slice(0, 2).join(' ')) ?? commands.find((c) => c.name === typed[0]);
  if (!command) {
    const names =
      typed.length === 0
        ? commands.map((c) => c.name.split(' ')[0])
        : commands.filter((c) => c.name.startsWith(`${typed[0]} `)).map((c) => c.name.split(' ')[1]);
    return [...new Set(names)].filter((name) => name.startsWith(current));
  }
  const previous = before.at(-1) ?? '';
  const spec = Object.entries(command.options).find(
    ([name, s]) => previous === `--${name}` || (s.short && previous === `-${s.short}`),
  )?.[1];
  // `list fla<TAB>`: the first argument, when it names a template and none is typed yet.
  const firstArgument = command.args[0]?.completes === 'templates' && !spec && !current.startsWith('-');
  const completes =
    spec?.completes ?? (firstArgument && typed.length === command.name.split(' ').length ? 'templates' : undefined);
  const lookup = () => templateLookup({ metwork: valueOf(before, 'metwork') });
  if (completes === 'templates')
    return listTemplates(lookup())
      .templates.map((t) => t.name)
      .filter((name) => name.startsWith(current));
  if (completes === 'fields') {
    const template = findTemplate(valueOf(before, 'template', 't') ?? 'default', lookup(), process.cwd());
    return template.fields.map((field) => `${field.name}=`).filter((name) => name.startsWith(current));
  }
  if (spec?.choices) return spec.choices.filter((choice) => choice.startsWith(current));
  if (spec || !current.startsWith('-')) return [];
  return optionSpellings(command.options).filter((flag) => flag.startsWith(current));
}

function valueOf(words: string[], name: string, short?: string): string | undefined {
  for (let i = words.length - 1; i >= 0; i--) {
    if (words[i].startsWith(`--${name}=`)) return words[i].slice(name.length + 3);
    if ((words[i] === `--${name}` || (short && words[i] === `-${short}`)) && i + 1 < words.length) return words[i + 1];
  }
  return undefined;
}
