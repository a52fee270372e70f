import { describe, expect, it } from 'vitest';
import { allNodesOf, type StaticGroup } from './clustershell-groups.js';
import { GroupsFileError } from './group-errors.js';
import { evaluateNodeSet, type NodeSetLookup } from './nodeset-expression.js';

function lookupOf(sources: Record<string, Record<string, string>>, defaultSource: string): NodeSetLookup {
  const group = (name: string, namespace: string | null): StaticGroup | undefined => {
    const nodes = sources[namespace ?? defaultSource]?.[name];
    return nodes === undefined ? undefined : { nodes, origin: { file: 'g.yaml', line: 1 } };
  };
  return {
    group,
    all: (namespace) => {
      const name = namespace ?? defaultSource;
      const groups = Object.entries(sources[name] ?? {}).map(
        ([group, nodes]) => [group, { nodes, origin: { file: 'g.yaml', line: 1 } }] as const,
      );
      return allNodesOf({ name, groups: new Map(groups) });
    },
  };
}

const lookup = lookupOf(
  {
    roles: { web: 'web[1-3]', db: 'db1 db2', both: '@web,@db', io: '@racks:rack2,x9', loop: '@loop' },
    racks: { rack1: 'n[1-2]', rack2: 'n[3-4]', old: '@rack[1-2]!n2' },
  },
  'roles',
);
const context = { namespace: null, origin: { file: 'g.yaml', line: 7 }, chain: [] };

describe('evaluateNodeSet', () => {
  it('applies , ! & ^ from left to right', () => {
    expect(evaluateNodeSet('web[1-4]!web2', lookup, context)).toEqual(['web1', 'web3', 'web4']);
    expect(evaluateNodeSet('web[1-4]&web[3-9]', lookup, context)).toEqual(['web3', 'web4']);
    expect(evaluateNodeSet('a,b^b,c', lookup, context)).toEqual(['a', 'c']);
  });

  it('expands groups, group ranges and other sources, in the namespace they were written in', () => {
    expect(evaluateNodeSet('@both', lookup, context)).toEqual(['web1', 'web2', 'web3', 'db1', 'db2']);
    expect(evaluateNodeSet('@io', lookup, context)).toEqual(['n3', 'n4', 'x9']);
    expect(evaluateNodeSet('@racks:old', lookup, context)).toEqual(['n1', 'n3', 'n4']);
    // ClusterShell joins every group's nodes in the order of the sorted group names and reads them as
    // one set: old (first) takes n2 out of nothing yet, and rack1 brings it back (nodeset -e agrees).
    expect(evaluateNodeSet('@racks:*', lookup, context)).toEqual(['n1', 'n3', 'n4', 'n2']);
  });

  it('refuses, with the line, a group that is not there and a group that contains itself', () => {
    expect(() => evaluateNodeSet('@nope', lookup, context)).toThrow(new GroupsFileError('g.yaml', 7, '@nope is not a group'));
    expect(() => evaluateNodeSet('@loop', lookup, context)).toThrow(/contains itself/);
    expect(() => evaluateNodeSet('web[1-', lookup, context)).toThrow(/g\.yaml:7: malformed range in web\[1-/);
  });

  it('refuses a set past the limit', () => {
    expect(() => evaluateNodeSet('n[1-20]', lookup, { ...context, limit: 10 })).toThrow(/more than the 10/);
  });
});
