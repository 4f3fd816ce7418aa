// The globals the Node-RED editor gives a node's script: RED (its API) and jQuery as `$`.
import type { EditorRED } from 'node-red';

declare global {
  const RED: EditorRED;
}
