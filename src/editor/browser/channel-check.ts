import { channelProblem, type ChannelUse } from '../../protocol/channel';

/**
 * Shows the runtime's words for an invalid channel as the user types (`.appsync-channel-problem`). Only a plain string
 * is checked: msg, flow, global and env values are known at run time.
 */
export function showChannelProblems(use: ChannelUse): void {
  const input = $('#node-input-channel');
  const check = () => {
    const value = String(input.typedInput('value') ?? '').trim();
    const problem = input.typedInput('type') === 'str' && value !== '' ? channelProblem(value, use) : undefined;
    $('.appsync-channel-problem').text(problem ?? '').toggle(problem !== undefined);
  };
  input.on('change', check);
  // The TypedInput hides the node's input and shows one of its own beside it.
  input.parent().on('keyup input', 'input', check);
  check();
}
