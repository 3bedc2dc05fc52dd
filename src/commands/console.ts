import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { consoleUrl, hasDisplay, openInBrowser } from '../cli/console-link.js';
import { resolveInstance } from '../cli/instance-refs.js';

export interface ConsoleResult {
  url: string;
  opened: boolean;
}

export default class Console extends BaseCommand<typeof Console> {
  static override summary = 'Open the web console in a browser (without a display, print its URL)';
  static override description =
    "Sign in there with your email and password. With an instance, opens that instance's page.";
  static override examples = ['<%= config.bin %> console', '<%= config.bin %> console my-instance'];
  static override args = {
    instance: Args.string({ description: "instance id or name: open that instance's page", required: false }),
  };

  async run(): Promise<ConsoleResult> {
    const client = await this.client();
    const instance = this.args.instance ? await resolveInstance(client, this.args.instance) : undefined;
    const url = consoleUrl(client.baseUrl, instance);
    const opened = hasDisplay() && !this.jsonEnabled() ? await openInBrowser(url) : false;
    this.out(`${url}\n`);
    if (!this.jsonEnabled()) {
      this.note(opened ? 'Opened in your browser.' : 'Open this address in a browser to use the console.');
    }
    return { url, opened };
  }
}
