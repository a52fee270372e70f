#!/usr/bin/env node
// The CLI bundled by scripts/bundle.mjs: one file and the chunks a command needs,
// which starts in a fraction of the time of loading dist/main.js's module graph.
import { main } from '../dist/fleet-cli.js';

main(process.argv.slice(2));
