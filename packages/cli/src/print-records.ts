import { formatRecordText, type JobType, type OutputRecord } from '@fleet/core';

/** Prints a record as `receive` does: one JSON object a line, or text on stdout or stderr. */
export function recordPrinter(json: boolean): (record: OutputRecord, jobType: JobType) => void {
  if (json) return (record) => void process.stdout.write(`${JSON.stringify(record)}\n`);
  return (record, jobType) => {
    const { line, toStderr } = formatRecordText(record, jobType);
    (toStderr ? process.stderr : process.stdout).write(`${line}\n`);
  };
}
