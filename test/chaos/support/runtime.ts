import type { Emulator, EmulatorOptions } from '../../../src/emulator';
import { startEmulator } from '../../support/fixtures';
import { helper } from '../../support/node-red';

/** Registers the hooks of a suite that runs flows in Node-RED against one emulator; `emulator()` is the live one. */
export function withEmulatorAndNodeRed(options: EmulatorOptions = {}): () => Emulator {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await startEmulator(options);
    await helper.startServer();
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await emulator?.stop();
  });
  return () => {
    if (!emulator) throw new Error('the emulator is not started yet');
    return emulator;
  };
}
