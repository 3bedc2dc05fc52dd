#!/usr/bin/env node
// Bundles the machine agent and the `elasticbox` helper command into dist/agent-bundle/ (one
// self-contained file each), which the local provider copies to <data-dir>/agent/ for machines that
// run as another user in their own mount namespace. Run after tsc.
import { fileURLToPath } from 'node:url';
import { bundleAgentProgram, bundleStandaloneAgent } from '../dist/server/providers/agent-bundle.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
await bundleAgentProgram(dist, `${dist}agent-bundle`, 'js');
// The agent other hosts install (served at /services/agent/agent.mjs): one file, Node >= 18.
await bundleStandaloneAgent(dist, `${dist}agent-bundle`, 'js');
process.stdout.write('bundled dist/agent-bundle/agent.mjs, helper-cli.mjs and ebcli-agent.mjs\n');
