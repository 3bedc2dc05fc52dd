/**
 * What ebcli's commands import from `@oclif/core`, taken from its submodules. The per-command
 * bundles (scripts/bundle-commands.js) resolve `@oclif/core` to this file, so a command run from
 * its bundle loads oclif's Command class, parser, flags and errors but not the package index,
 * which loads oclif's plugin loader, help, themes and performance tracking too. Type-only imports
 * (`Interfaces`, `Hook`) vanish at compile time and need no entry here.
 */
export { Command } from '@oclif/core/command';
export * as Args from '@oclif/core/args';
export * as Errors from '@oclif/core/errors';
export * as Flags from '@oclif/core/flags';
