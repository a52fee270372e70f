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

  it('leaves text without credentials alone', () => {
    expect(redactedUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactedUrl('h1:7000,h2:7001')).toBe('h1:7000,h2:7001');
  });
});
