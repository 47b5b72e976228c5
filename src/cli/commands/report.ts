/**
 * `report <result.json> [--html out.html] [--markdown out.md]`: render a result
 * file. Without --html/--markdown both are written next to the result
 * (<name>.html, <name>.md). `--markdown -` prints the Markdown on stdout (for
 * `>> $GITHUB_STEP_SUMMARY`). Files are written atomically: a bad input leaves
 * nothing half-written.
 */
import type { Command } from '../command.js';
import { EXIT_OK } from '../command.js';
import { UsageError } from '../../protocol/errors.js';
import { loadResult } from '../../report/load.js';
import { renderHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { writeFileAtomic } from '../../report/atomic.js';

export function siblingPath(resultPath: string, ext: string): string {
  return resultPath.replace(/\.json$/i, '') + ext;
}

const command: Command = {
  name: 'report',
  summary: 'render a result file as a self-contained HTML page (plots, works offline) and as Markdown (GitHub job summary)',
  positionals: '<result.json>',
  usage: 'Without --html/--markdown, writes <result>.html and <result>.md next to the result file.',
  options: [
    { name: 'html', type: 'string', arg: '<out.html>', doc: 'write the HTML report here' },
    { name: 'markdown', type: 'string', arg: '<out.md|->', doc: 'write the Markdown summary here (- for stdout)' },
  ],
  async run(args) {
    if (args.positionals.length !== 1) throw new UsageError(`report: expected exactly one result file, got ${args.positionals.length} (usage: pagestream-bench report <result.json> [--html out.html] [--markdown out.md])`);
    const file = args.positionals[0]!;
    const result = loadResult(file);
    let html = args.values.html as string | undefined;
    let md = args.values.markdown as string | undefined;
    if (html === undefined && md === undefined) {
      html = siblingPath(file, '.html');
      md = siblingPath(file, '.md');
    }
    // Render everything before writing anything: a rendering failure writes nothing.
    const htmlText = html !== undefined ? renderHtml(result) : undefined;
    const mdText = md !== undefined ? renderMarkdown(result) : undefined;
    if (html !== undefined) {
      writeFileAtomic(html, htmlText!);
      process.stderr.write(`report: wrote ${html}\n`);
    }
    if (md === '-') process.stdout.write(mdText!);
    else if (md !== undefined) {
      writeFileAtomic(md, mdText!);
      process.stderr.write(`report: wrote ${md}\n`);
    }
    return EXIT_OK;
  },
};
export default command;
