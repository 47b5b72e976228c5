/**
 * One JSON line per incident on stderr (or wherever the embedder points it).
 * Cold path only: connection-level events, never per request.
 */
export type LogSink = (line: string) => void;

export const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};
export const silentSink: LogSink = () => {};

export class Logger {
  constructor(private readonly sink: LogSink) {}
  event(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
    this.sink(JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields }));
  }
}
