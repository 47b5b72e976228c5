import type { Command } from '../command.js';
import { UsageError } from '../../protocol/errors.js';

// Placeholder until the command is implemented; says so instead of pretending.
const command: Command = {
  name: 'sweep',
  summary: 'not implemented yet',
  options: [],
  async run() {
    throw new UsageError('sweep: not implemented yet');
  },
};
export default command;
