import { describe, expect, it } from 'vitest';
import { redactedUrl } from './redacted-url.js';

describe('redactedUrl', () => {
  it('hides the password of a URL and keeps the rest', () => {
    expect(redactedUrl('redis://fleet:s3cret@db1:6379/0')).toBe('redis://fleet:***@db1:6379/0');
    expect(redactedUrl('rediss://:s3cret@db1')).toBe('rediss://:***@db1');
  });

  it('hides a password that holds @ or : itself, and one given without a user', () => {
    expect(redactedUrl('redis://u:p@ss:w@rd@h:1')).toBe('redis://u:***@h:1');
    expect(redactedUrl('redis://s3cret@h')).toBe('redis://***@h');
  });

  it('hides the password of malformed URLs and seed lists', () => {
    expect(redactedUrl('redis//fleet:s3cret@db1')).toBe('redis//fleet:***@db1');
    expect(redactedUrl('http://fleet:s3cret@db1')).toBe('http://fleet:***@db1');
    expect(redactedUrl('fleet:s3cret@db1')).toBe('fleet:***@db1');
    expect(redactedUrl('redis://fleet:s3,cr:et@h1:7000,h2:7001')).toBe('redis://fleet:***@h1:7000,h2:7001');
  });

  it('hides what reads as a password where the @ is missing, and a password= parameter', () => {
    expect(redactedUrl('redis://user:s3cret')).toBe('redis://user:***');
    expect(redactedUrl('redis://user:s3cret/0')).toBe('redis://user:***/0');
    expect(redactedUrl('redis://user:s3cret,h1:7000')).toBe('redis://user:***,h1:7000');
    expect(redactedUrl('user:s3cret')).toBe('user:***');
    expect(redactedUrl('redis://h1:6379/0?password=s3cret&db=1')).toBe('redis://h1:6379/0?password=***&db=1');
  });

  it('leaves text without credentials alone', () => {
    expect(redactedUrl('redis://[::1]:6379')).toBe('redis://[::1]:6379');
    expect(redactedUrl('redis://db1/0')).toBe('redis://db1/0');
    expect(redactedUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactedUrl('h1:7000,h2:7001')).toBe('h1:7000,h2:7001');
  });
});
