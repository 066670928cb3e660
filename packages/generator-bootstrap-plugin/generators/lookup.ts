import { BUILTIN_TEMPLATES, type TemplateLookup } from 'bootstrap-plugin';

/** The generators offer the templates shipped with the package (built-ins and packs). */
export const LOOKUP: TemplateLookup = { builtinDir: BUILTIN_TEMPLATES, userDirs: [] };

/** Yeoman's name for a package's main generator; any other (`bootstrap-plugin:flask`) names a template. */
export const MAIN_GENERATOR = 'app';
