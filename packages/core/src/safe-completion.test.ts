import { describe, expect, it } from 'vitest';
import { isSafeToComplete } from './safe-completion.js';

describe('isSafeToComplete', () => {
  it('offers names, ids and host names', () => {
    for (const word of ['nightly-backup', '42', 'web1.example.com', 'deploy@web2:2222', 'a_b+c=d,e%f/g'])
      expect(isSafeToComplete(word), word).toBe(true);
  });

  it('leaves out anything the shell would read as more than a word', () => {
    for (const word of ['x;curl${IFS}e|sh', '$(id)', '`id`', 'a b', "it's", 'a&b', 'a>b', '~root', '*', '-rf', '', 'a\nb', '!1', '{a,b}'])
      expect(isSafeToComplete(word), word).toBe(false);
  });
});
