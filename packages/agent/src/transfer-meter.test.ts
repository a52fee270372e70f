import { describe, expect, it } from 'vitest';
import { TransferMeter } from './transfer-meter.js';

/** A meter whose reports are recorded, and whose timer never fires on its own in a test (an hour). */
function recordingMeter(): { meter: TransferMeter; reports: [number, number][] } {
  const reports: [number, number][] = [];
  const meter = new TransferMeter((rootId, bytes) => {
    reports.push([rootId, bytes]);
    return Promise.resolve();
  }, 3_600_000);
  return { meter, reports };
}

describe('TransferMeter', () => {
  it('reports the bytes of many chunks and children in one command per job', async () => {
    const { meter, reports } = recordingMeter();
    for (let chunk = 0; chunk < 100; chunk += 1) {
      meter.add(7, 1024);
      meter.add(9, 1);
    }
    expect(reports).toEqual([]);
    await meter.flush();
    expect(reports).toEqual([
      [7, 102_400],
      [9, 100],
    ]);
    await meter.flush();
    expect(reports).toHaveLength(2);
  });

  it('reports one job at once as a child ends, and nothing when nothing is pending', async () => {
    const { meter, reports } = recordingMeter();
    meter.add(7, 10);
    meter.add(9, 20);
    await meter.flushJob(7);
    await meter.flushJob(7);
    await meter.flushJob(8);
    expect(reports).toEqual([[7, 10]]);
    await meter.flush();
    expect(reports).toEqual([
      [7, 10],
      [9, 20],
    ]);
  });

  it('drops a report that fails: it only feeds the progress line', async () => {
    const meter = new TransferMeter(() => Promise.reject(new Error('OOM command not allowed')), 3_600_000);
    meter.add(7, 10);
    await expect(meter.flush()).resolves.toBeUndefined();
  });

  it('reports on its own after the interval', async () => {
    const reported = new Promise<[number, number]>((resolve) => {
      const meter = new TransferMeter((rootId, bytes) => {
        resolve([rootId, bytes]);
        return Promise.resolve();
      }, 1);
      meter.add(3, 5);
    });
    await expect(reported).resolves.toEqual([3, 5]);
  });
});
