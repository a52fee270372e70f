import { parse } from 'yaml';
import { parseAnsibleIni } from './ansible-inventory-ini.js';
import type { AnsibleInventory } from './ansible-inventory.js';
import { parseAnsibleYaml } from './ansible-inventory-yaml.js';

/**
 * Reads one inventory file into `inventory` with the plugin Ansible would
 * pick: its yaml plugin takes `.yaml`, `.yml`, `.json` and names without an
 * extension when the text is a YAML mapping; the ini plugin takes the rest.
 * Returns the warnings of the yaml plugin.
 */
export function parseAnsibleInventory(text: string, file: string, inventory: AnsibleInventory): string[] {
  const extension = /\.([^./]+)$/.exec(file)?.[1]?.toLowerCase();
  if (extension === 'yaml' || extension === 'yml' || extension === 'json') return parseAnsibleYaml(text, file, inventory);
  if (extension === undefined && looksLikeYamlMapping(text)) return parseAnsibleYaml(text, file, inventory);
  parseAnsibleIni(text, file, inventory);
  return [];
}

function looksLikeYamlMapping(text: string): boolean {
  try {
    const value: unknown = parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}
