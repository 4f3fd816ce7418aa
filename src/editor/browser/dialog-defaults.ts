import type { EditorNodeProperties, EditorNodePropertiesDef } from 'node-red';
import { acceptable, type NodeValues, type SettingRule } from '../setting-rule';

/** A node as its dialog's code sees it: the editor's own properties and the node's settings. */
export type DialogNode = EditorNodeProperties & Record<string, unknown>;

/** A node type's settings as Node-RED's `defaults`: the same values, and a `validate` for each rule that checks something. */
export function dialogDefaults(settings: Readonly<Record<string, SettingRule<string | number | boolean>>>): EditorNodePropertiesDef<DialogNode> {
  const defaults: EditorNodePropertiesDef<DialogNode> = {};
  for (const [key, rule] of Object.entries(settings)) {
    // Node-RED tests for a key's presence ("validate" in definition), so an absent setting has no key at all.
    defaults[key] = rule.type
      ? { value: rule.value, type: rule.type, required: rule.required === true }
      : {
          value: rule.value,
          validate: function (this: NodeValues, value: string) {
            return acceptable(rule, value, this);
          },
        };
  }
  return defaults;
}
