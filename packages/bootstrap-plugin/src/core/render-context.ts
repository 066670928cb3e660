import type { Answers } from './fields.js';

/**
 * What templates see: the plugin's identity, the answers, and the helpers. The helpers are built
 * from data (`withHelpers`), here and in the render worker alike: functions cannot be posted to a
 * worker, so a user template's context crosses as data and is rebuilt there by the same code.
 */
export interface RenderContext extends Record<string, unknown> {
  name: string;
  module: string;
  label: string;
  [SECRET_LOG]?: SecretLog;
}

/** The secrets a render hands out, in order: `replay` first (a re-render's, see record.ts), then fresh ones. */
export interface SecretLog {
  replay: string[];
  handedOut: string[];
}

/** A symbol, so that no answer or template variable can shadow it, and spreading a context keeps it. */
const SECRET_LOG: unique symbol = Symbol('secretLog');
const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)';
/** Loaded on first use, not at start-up: `list`, `env` and `--version` never need randomness. */
const crypto = () => process.getBuiltinModule('node:crypto');

/** `extra`: values a generation's templates need besides the answers (format 2: `metworkVersion`). */
export function renderContext(
  name: string,
  module: string,
  answers: Answers,
  extra: Record<string, unknown> = {},
): RenderContext {
  const data = { ...extra, ...answers, name, module, label: `plugin_${name}@${module}` };
  return withHelpers(data, { replay: [], handedOut: [] });
}

/** The context's data with its helpers, which record what they hand out in `log`. */
export function withHelpers(data: RenderContext, log: SecretLog): RenderContext {
  const helper = (length?: number, alphabet?: string): string => {
    const next = log.replay[log.handedOut.length];
    const value =
      next !== undefined && (length === undefined || next.length === length) ? next : secret(length, alphabet);
    log.handedOut.push(value);
    return value;
  };
  return { ...data, secret: helper, [SECRET_LOG]: log };
}

/** The log of a context made by `renderContext` (a fresh one, attached, for any other). */
export function secretLogOf(context: RenderContext): SecretLog {
  if (!context[SECRET_LOG]) Object.assign(context, withHelpers(context, { replay: [], handedOut: [] }));
  return context[SECRET_LOG]!;
}

/** What crosses to a worker: the context without its functions (the helpers are rebuilt there). */
export function contextData(context: RenderContext): RenderContext {
  return Object.fromEntries(
    Object.entries(context).filter(([, value]) => typeof value !== 'function'),
  ) as RenderContext;
}

/** A cryptographically random string; the default is Django's secret-key alphabet and length. */
export function secret(length = 50, alphabet = SECRET_ALPHABET): string {
  return Array.from({ length }, () => alphabet[crypto().randomInt(alphabet.length)]).join('');
}
