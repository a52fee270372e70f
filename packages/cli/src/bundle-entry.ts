/** The entry of the single-file bundle deployed to nodes: the same CLI, run as `node fleet-agent.mjs agent ...`. */
import { main } from './main.js';

void main(process.argv.slice(2));
