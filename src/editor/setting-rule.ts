// What a node property is, written once for the editor (its dialog's `defaults`) and the runtime (the value it takes
// when a flow leaves the property out, and which values it accepts). Pure: bundled into the editor and the runtime.

/** The node's other properties, as the editor hands them to a check (Node-RED calls `validate` with the node as `this`). */
export type NodeValues = Readonly<Record<string, unknown>>;

export interface SettingRule<T extends string | number | boolean> {
  /** What a new node starts with, and what the runtime uses when a saved flow lacks the property. */
  value: T;
  required?: boolean;
  /** The config node type this property points at. */
  type?: string;
  /** The only values allowed: the dialog's select options, and what the runtime accepts from a message or a request. */
  choices?: readonly T[];
  /** Whether a value typed in the dialog is acceptable; blank is always acceptable unless `required`. */
  check?: (value: string, node: NodeValues) => boolean;
}

export const text = (value = '', check?: SettingRule<string>['check']): SettingRule<string> => ({ value, check });

export const matching = (pattern: RegExp): SettingRule<string> => text('', (v) => pattern.test(v.trim()));

export const choice = <T extends string>(choices: readonly T[], value: T): SettingRule<T> & { choices: readonly T[] } => ({ value, choices });

export const flag = (value: boolean): SettingRule<boolean> => ({ value });

export const configNode = (type: string, required = false): SettingRule<string> => ({ value: '', type, required });

/** A number field: blank means the default; `above` excludes that value and everything under it (a bound of 0 would refuse every publish). */
export const numberField = (value: number, above?: number): SettingRule<number> => ({
  value,
  check: (v) => {
    const n = Number(v);
    return Number.isFinite(n) && (above === undefined || n > above);
  },
});

/** The type a rule's value has, narrowed to its choices when it has them. */
type RuleValue<R> = R extends SettingRule<infer T> ? T : never;

/** The properties a saved node may carry: each optional (older flows lack newer properties), numbers also as text (the dialog saves what was typed). */
export type SettingValues<S> = { [K in keyof S]?: RuleValue<S[K]> extends number ? number | string : RuleValue<S[K]> };

/** `value` when it is one of the rule's choices, else the rule's default. */
export function chosen<T extends string>(rule: SettingRule<T>, value: unknown): T {
  return rule.choices?.find((c) => c === value) ?? rule.value;
}

/** Whether a dialog value passes its rule: what the editor marks invalid. */
export function acceptable(rule: SettingRule<string | number | boolean>, value: unknown, node: NodeValues): boolean {
  const typed = value === undefined || value === null ? '' : String(value);
  if (typed.trim() === '') return !rule.required;
  if (rule.choices && !rule.choices.some((c) => String(c) === typed)) return false;
  return rule.check ? rule.check(typed, node) : true;
}

/** Every setting of `rules` from an untrusted object (a request body, a message): its value when it is text the rule allows, else the default. */
export function textSettings<S extends Readonly<Record<string, SettingRule<string>>>>(rules: S, raw: Readonly<Record<string, unknown>>): { [K in keyof S]: RuleValue<S[K]> } {
  const entries = Object.entries(rules).map(([key, rule]) => {
    const value = raw[key];
    return [key, typeof value === 'string' ? (rule.choices ? chosen(rule, value) : value) : rule.value];
  });
  // Object.fromEntries cannot carry a mapped type; each entry above is its rule's value type.
  return Object.fromEntries(entries) as { [K in keyof S]: RuleValue<S[K]> };
}
