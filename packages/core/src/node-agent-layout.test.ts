import { describe, expect, it } from 'vitest';
import { nodeAgentLayout } from './node-agent-layout.js';

describe('nodeAgentLayout', () => {
  it('gives every entry a directory and a systemd unit of its own', () => {
    const entries = ['web1', 'deploy@web1', 'web1:2222', '127.0.0.1', '127.0.0.2', 'a b/../c'];
    const layouts = entries.map(nodeAgentLayout);
    expect(new Set(layouts.map((layout) => layout.dir)).size).toBe(entries.length);
    expect(new Set(layouts.map((layout) => layout.unit)).size).toBe(entries.length);
    expect(nodeAgentLayout('deploy@web1:2222').dir).toBe('.local/share/fleet/nodes/deploy@web1:2222');
  });

  it('keeps a hostile entry inside the nodes directory, and the unit name to what systemd allows', () => {
    const { dir, unit } = nodeAgentLayout('../../x y');
    expect(dir).toBe('.local/share/fleet/nodes/%2E.%2F..%2Fx%20y');
    expect(unit).toMatch(/^fleet-agent-[0-9a-f]{12}\.service$/);
  });
});
