// Messages between the bench driver, the emulator process and the measured worker processes.

export interface EmulatorInfo {
  httpUrl: string;
  apiKey: string;
}

export type EmulatorCommand =
  | { cmd: 'inject'; channel: string; count: number; event: string }
  | { cmd: 'drop' }
  | { cmd: 'stats' };

export interface WorkerJob {
  scenario: string;
  params: Record<string, number | string | boolean>;
  emulator: EmulatorInfo;
}

export type WorkerMessage =
  | { type: 'emulator'; id: number; command: EmulatorCommand }
  | { type: 'result'; values: Record<string, number> }
  | { type: 'error'; message: string };

export type DriverMessage = { type: 'job'; job: WorkerJob } | { type: 'emulator-reply'; id: number; reply: unknown };

/** One small sensor reading, the event every scenario sends. */
export const EVENT = { sensor: 'room-1', temperature: 21.5, unit: 'C', ok: true };
export const EVENT_TEXT = JSON.stringify(EVENT);
