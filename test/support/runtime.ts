import type { Emulator, EmulatorOptions } from '../../src/emulator';
import { startEmulator } from './fixtures';
import { helper } from './node-red';

/**
 * Registers the hooks of a suite whose tests each load a flow into Node-RED against a fresh emulator; the
 * returned function gives the current test's emulator.
 */
export function emulatorPerTest(options: EmulatorOptions = {}): () => Emulator {
  let emulator: Emulator | undefined;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    emulator = await startEmulator(options);
  });
  afterEach(async () => {
    await helper.unload();
    await emulator?.stop();
    emulator = undefined;
  });
  return () => {
    if (!emulator) throw new Error('no emulator outside a test');
    return emulator;
  };
}
