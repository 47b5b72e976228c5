/**
 * `merge <a.json> <b.json> … --out merged.json`: combine the results of the
 * shards of one distributed run (`run --shard i/n` on several load hosts).
 * Exit 2 with one line naming the file when the inputs are unreadable, of
 * another schema, or not shards of one run (configuration, shard numbering,
 * time windows). The output is written atomically.
 */
import type { Command } from '../command.js';
import { EXIT_OK } from '../command.js';
import { UsageError } from '../../protocol/errors.js';
import { loadResult } from '../../report/load.js';
import { mergeResults } from '../../report/merge.js';
import { writeFileAtomic } from '../../report/atomic.js';
import { variantsOf } from '../../report/load.js';
import { fmtInt, fmtUs } from '../../report/format.js';

const command: Command = {
  name: 'merge',
  summary: 'merge the result files of several load hosts (run --shard i/n) into one: histograms added exactly, counters summed',
  positionals: '<shard.json> <shard.json> …',
  options: [
    { name: 'out', type: 'string', arg: '<merged.json>', doc: 'where the merged result goes' },
    { name: 'json', type: 'bool', doc: 'print the merged result JSON on stdout too', default: false },
  ],
  async run(args) {
    const out = args.values.out as string | undefined;
    if (!out) throw new UsageError('merge: --out <merged.json> is required');
    if (args.positionals.length < 2) throw new UsageError(`merge: needs at least two shard result files, got ${args.positionals.length}`);
    const inputs = args.positionals.map((file) => ({ file, result: loadResult(file) }));
    const { result, warnings } = mergeResults(inputs);
    for (const w of warnings) process.stderr.write(`merge: warning: ${w}\n`);
    const text = JSON.stringify(result, null, 2) + '\n';
    writeFileAtomic(out, text);
    if (args.values.json) process.stdout.write(text);
    else {
      for (const v of variantsOf(result)) {
        const x = result.variants[v]!;
        process.stdout.write(`${v.padEnd(12)} ${fmtInt(x.responses).padStart(12)} responses  ${fmtInt(x.throughputRps).padStart(9)}/s  p50 ${fmtUs(x.latencyUs.p50)}  p99 ${fmtUs(x.latencyUs.p99)}  mismatches ${x.mismatches}  errors ${x.errors}\n`);
      }
    }
    process.stderr.write(`merge: wrote ${out} from ${inputs.length} shards\n`);
    return EXIT_OK;
  },
};
export default command;
