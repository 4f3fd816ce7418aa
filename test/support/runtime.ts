import type { Emulator, EmulatorOptions } from '../../src/emulator';
import { startEmulator } from './fixtures';
import { helper } from './node-red';

/**
 * Registers the hooks of a suite that loads flows into Node-RED against an emulator: a fresh emulator for each test
 * (default), or one for the whole suite. The returned function gives the current emulator.
 */
export function emulatorForFlows(options: EmulatorOptions = {}, each: 'test' | 'suite' = 'test'): () => Emulator {
  let emulator: Emulator | undefined;
  const [setUp, tearDown] = each === 'test' ? [beforeEach, afterEach] : [before, after];
  setUp(async () => {
    emulator = await startEmulator(options);
  });
  // Registered before the server's own `after`, so that the flows stop before the server does.
  tearDown(async () => {
    await helper.unload();
    await emulator?.stop();
    emulator = undefined;
  });
  before(() => helper.startServer());
  after(() => helper.stopServer());
  return () => {
    if (!emulator) throw new Error('no emulator outside a test');
    return emulator;
  };
}
