import { Type } from '@sinclair/typebox';

/**
 * The one identifier rule of box variables, scopes and script environment names: a letter or
 * underscore, then letters, digits and underscores (CAM's rule; a name is also an environment
 * variable of the scripts, so no `-` or `.`). The box folder tools, the server's schemas and the
 * agent protocol all check it from here.
 */
export const IDENTIFIER_SOURCE = '[A-Za-z_][A-Za-z0-9_]*';
/** Longest variable name. */
export const MAX_IDENTIFIER = 64;
/** Longest dotted scope. */
export const MAX_SCOPE = 512;

export const IDENTIFIER = new RegExp(`^${IDENTIFIER_SOURCE}$`);
/** A dotted scope of identifiers (`''` is the main box, checked apart). */
export const SCOPE = new RegExp(`^${IDENTIFIER_SOURCE}(\\.${IDENTIFIER_SOURCE})*$`);

/** Whether `name` is a valid variable name (also its environment variable name). */
export const isIdentifier = (name: string): boolean => name.length <= MAX_IDENTIFIER && IDENTIFIER.test(name);
/** Whether `scope` is `''` (the main box) or dotted identifiers. */
export const isScope = (scope: string): boolean => scope === '' || (scope.length <= MAX_SCOPE && SCOPE.test(scope));

/** A variable name (no dots: dots separate scopes). */
export const VariableName = Type.String({ minLength: 1, maxLength: MAX_IDENTIFIER, pattern: `^${IDENTIFIER_SOURCE}$` });
/** Dotted box scope relative to the instance's main box; `''` is the main box itself. */
export const Scope = Type.String({
  maxLength: MAX_SCOPE,
  pattern: `^(${IDENTIFIER_SOURCE}(\\.${IDENTIFIER_SOURCE})*)?$`,
});

/**
 * Usernames: also the id of the user's personal workspace, so lowercase and path-safe.
 * (SSH login names on remote hosts follow the host's rules, not this one.)
 */
export const USERNAME = /^[a-z][a-z0-9_-]{0,63}$/;
export const USERNAME_RULE = "up to 64 lowercase letters, digits, '-' or '_', starting with a letter";
