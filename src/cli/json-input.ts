import { readFileSync } from 'node:fs';
import { CliError } from './context.js';

/** Reads all of stdin as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A JSON document from a file or stdin. The messages name the source, never its content: the
 * document may hold secrets.
 */
export async function readJsonInput(source: { file?: string; stdin?: boolean }): Promise<unknown> {
  let text: string;
  const where = source.file ?? 'stdin';
  if (source.file !== undefined) {
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(
        `cannot read ${source.file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
      );
    }
  } else {
    text = await readStdin();
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${where} is not valid JSON`);
  }
}
