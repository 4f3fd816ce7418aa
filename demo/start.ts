// `npm start`: the local emulator and Node-RED with this pack and a demo flow, until Ctrl-C.
import { startDemo } from './demo';

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const demo = await startDemo({ userDir: process.env.DEMO_USER_DIR || undefined, log: verbose ? (line) => console.log(`[node-red] ${line}`) : undefined });
  console.log(`
  AppSync Events demo
  Node-RED editor:   ${demo.editorUrl}
  Emulator endpoint: ${demo.emulator.httpUrl}  (API key ${demo.apiKey})

  Open the editor: the demo flow publishes every 5 seconds and on its button,
  and the Debug sidebar shows every event the subscribe node receives.
  Press Ctrl-C to stop Node-RED and the emulator.
`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('\n  Stopping Node-RED and the emulator...');
    void demo.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  demo.nodeRed.once('exit', (code) => {
    if (!stopping) {
      console.error(`  Node-RED stopped unexpectedly (exit code ${code}); run with --verbose to see its log.`);
      void demo.emulator.stop().then(() => process.exit(1));
    }
  });
}

main().catch((err: unknown) => {
  console.error(`npm start: ${(err as Error).message}`);
  process.exit(1);
});
