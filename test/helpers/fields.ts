/**
 * The fields every MFSERV template shares (`templates/_common/template.json`), in the order they
 * are asked; the same names are the first keys of a plugin's `[general]` section.
 */
export const COMMON_FIELDS = ['version', 'release', 'summary', 'license', 'url', 'maintainer', 'vendor'];
