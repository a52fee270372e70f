import { describe, expect, it } from 'vitest';
import { agentRow } from './agent-row.js';
import type { Agent, Job } from './api-shapes.js';
import { invokeBody, EMPTY_FIELDS } from './invoke-body.js';
import { filterChildren, filterJobs } from './job-filters.js';
import { parseRecords, recordText } from './output-records.js';
import { parseRoute, routeHash } from './page-route.js';
import { childrenProgress, progressLabel, progressSegments } from './progress-bar.js';
import { ageText, formatDuration, jobDuration } from './time-text.js';
import { visibleRows } from './visible-rows.js';

const job = (id: number, extra: Partial<Job>): Job => ({
  id,
  name: `Job${id}`,
  type: 'remote',
  state: 'Completed',
  hasMoreData: false,
  location: 'localhost',
  command: 'true',
  parentId: null,
  childIds: [],
  beganAt: null,
  endedAt: null,
  exitCode: null,
  reason: null,
  ...extra,
});

describe('the web page: what it computes', () => {
  it('filters jobs by state and by a piece of the name or the id, children by state and host', () => {
    const jobs = [
      job(1, { name: 'backup' }),
      job(2, { name: 'Deploy-web', state: 'Running' }),
      job(12, { name: 'web-check', state: 'Failed' }),
    ];
    expect(filterJobs(jobs, { state: '', text: '' }).map((one) => one.id)).toEqual([1, 2, 12]);
    expect(filterJobs(jobs, { state: '', text: 'WEB' }).map((one) => one.id)).toEqual([2, 12]);
    expect(filterJobs(jobs, { state: 'Failed', text: 'web' }).map((one) => one.id)).toEqual([12]);
    expect(filterJobs(jobs, { state: '', text: ' 12 ' }).map((one) => one.id)).toEqual([12]);
    expect(filterJobs(jobs, { state: 'Stopped', text: '' })).toEqual([]);
    const children = [
      job(3, { location: 'web1' }),
      job(4, { location: 'web2', state: 'Failed' }),
      job(5, { location: 'db1', state: 'Failed' }),
    ];
    expect(filterChildren(children, { state: 'Failed', text: '' }).map((one) => one.id)).toEqual([4, 5]);
    expect(filterChildren(children, { state: '', text: 'web' }).map((one) => one.id)).toEqual([3, 4]);
    expect(filterChildren(children, { state: 'Failed', text: 'web' }).map((one) => one.id)).toEqual([4]);
  });

  it('draws the progress bar as done · failed · running · waiting of N, stopped counted as failed', () => {
    const progress = { id: 1, total: 10, completed: 3, failed: 1, stopped: 1, running: 2 };
    expect(progressSegments(progress)).toEqual([
      { kind: 'done', count: 3, percent: 30 },
      { kind: 'failed', count: 2, percent: 20 },
      { kind: 'running', count: 2, percent: 20 },
      { kind: 'waiting', count: 3, percent: 30 },
    ]);
    expect(progressLabel(progress)).toBe('3 done · 2 failed · 2 running · 3 waiting of 10');
    expect(progressSegments({ id: 1, total: 0, completed: 0, failed: 0, stopped: 0, running: 0 }).every((one) => one.percent === 0)).toBe(
      true,
    );
    const children = [job(2, {}), job(3, { state: 'Running' }), job(4, { state: 'NotStarted' }), job(5, { state: 'Stopped' })];
    expect(childrenProgress(1, children)).toEqual({ id: 1, total: 4, completed: 1, failed: 0, stopped: 1, running: 1 });
  });

  it('says how long a job ran, and how old a heartbeat is', () => {
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(12_900)).toBe('12 s');
    expect(formatDuration(184_000)).toBe('3 min 04 s');
    expect(formatDuration(7_500_000)).toBe('2 h 05 min');
    expect(formatDuration(-5)).toBe('0.0 s');
    const began = '2026-01-01T00:00:00.000Z';
    expect(jobDuration({ beganAt: null, endedAt: null }, Date.parse(began))).toBeNull();
    expect(jobDuration({ beganAt: began, endedAt: '2026-01-01T00:00:02.500Z' }, 0)).toBe(2500);
    expect(jobDuration({ beganAt: began, endedAt: null }, Date.parse(began) + 1000)).toBe(1000);
    expect(ageText(began, Date.parse(began) + 3200)).toBe('3.2 s ago');
  });

  it('draws only the rows in view of a long list, and a few beyond', () => {
    expect(visibleRows({ scrollTop: 0, height: 280, rowHeight: 28, count: 1000, overscan: 5 })).toEqual({
      start: 0,
      end: 15,
      totalHeight: 28_000,
    });
    expect(visibleRows({ scrollTop: 2800, height: 280, rowHeight: 28, count: 1000, overscan: 5 })).toEqual({
      start: 95,
      end: 115,
      totalHeight: 28_000,
    });
    expect(visibleRows({ scrollTop: 27_900, height: 280, rowHeight: 28, count: 1000, overscan: 5 })).toMatchObject({ end: 1000 });
    // Scrolled past the end of a list a filter just shortened: its last rows, not none.
    expect(visibleRows({ scrollTop: 500, height: 280, rowHeight: 28, count: 3, overscan: 5 })).toEqual({
      start: 0,
      end: 3,
      totalHeight: 84,
    });
    expect(visibleRows({ scrollTop: 27_000, height: 280, rowHeight: 28, count: 100, overscan: 5 })).toEqual({
      start: 85,
      end: 100,
      totalHeight: 2800,
    });
  });

  it('reads the route from the fragment, anything unknown being the jobs', () => {
    expect(parseRoute('')).toEqual({ view: 'jobs' });
    expect(parseRoute('#/jobs/42')).toEqual({ view: 'job', id: 42 });
    expect(parseRoute('#/agents')).toEqual({ view: 'agents' });
    expect(parseRoute('#/invoke')).toEqual({ view: 'invoke' });
    expect(parseRoute('#/jobs/x')).toEqual({ view: 'jobs' });
    expect(parseRoute('#session=abc')).toEqual({ view: 'jobs' });
    expect(routeHash({ view: 'job', id: 7 })).toBe('#/jobs/7');
  });

  it('reads NDJSON output, leaving out a last line cut short', () => {
    const text = [
      '{"jobId":2,"host":"web1","stream":"stdout","data":"<b>hi</b>"}',
      '{"jobId":2,"host":"web1","stream":"stderr","dataBase64":"/w==","newline":false}',
      '{"jobId":3,"host":"web2","stream":"output","data":{"load":1}}',
      '{"jobId":3,"host":"web2","stream":"error","data":"connection refused"}',
      '{"jobId":2,"host":"web1","stream":"end","data":{"state":"Failed","exitCode":3,"reason":"exit code 3"}}',
      '{"jobId":3,"host":"web2","stream":"err',
    ].join('\n');
    const records = parseRecords(text);
    expect(records.map(recordText)).toEqual([
      '<b>hi</b>',
      '\ufffd',
      '{"load":1}',
      'connection refused',
      'ended: Failed, exit 3: exit code 3',
    ]);
  });

  it("makes POST /api/jobs's body of the form: empty fields left out, the command one word, numbers as numbers", () => {
    expect(invokeBody({ ...EMPTY_FIELDS, hosts: ' web[1-3] ', command: 'echo a  b' })).toEqual({
      hosts: 'web[1-3]',
      command: ['echo a  b'],
    });
    expect(
      invokeBody({ ...EMPTY_FIELDS, hosts: 'h', command: 'c', exclude: '@db', user: 'u', name: 'n', throttle: '8', timeout: '2.5' }),
    ).toEqual({
      hosts: 'h',
      command: ['c'],
      exclude: '@db',
      user: 'u',
      name: 'n',
      throttle: 8,
      timeout: 2.5,
    });
    // Not a number: sent as typed, for the server to refuse with its message.
    expect(invokeBody({ ...EMPTY_FIELDS, hosts: 'h', command: 'c', throttle: 'many' }).throttle).toBe('many');
  });

  it('shows a forged agent record as text, its running ids only when they are a list of integers', () => {
    const forged = { id: { a: 1 }, host: ['h'], pid: '12', runningIds: 'nope', serves: 7, draining: 'yes' } as unknown as Agent;
    expect(agentRow(forged)).toMatchObject({ id: '{"a":1}', host: '["h"]', pid: '12', runningIds: [], serves: '7', draining: false });
    expect(agentRow({ ...forged, runningIds: [3, '4', 5.5, 6] as unknown as number[] }).runningIds).toEqual([3, 6]);
    expect(agentRow({ ...forged, serves: null }).serves).toBe('the shared queue');
  });
});
