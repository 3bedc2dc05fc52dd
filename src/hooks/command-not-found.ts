import type { Hook } from '@oclif/core';
import { commandNotFoundMessage } from '../cli/not-found.js';

/** "Did you mean" for mistyped commands, without a prompt (exit 2). */
const hook: Hook.CommandNotFound = async function (opts) {
  this.error(
    commandNotFoundMessage(
      opts.id,
      opts.config.commands,
      opts.config.topics,
      opts.config.topicSeparator,
      opts.config.bin,
    ),
    {
      exit: 2,
    },
  );
};

export default hook;
