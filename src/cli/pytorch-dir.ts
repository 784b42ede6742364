// --export-pytorch DIR (train and predict): the library's PyTorch files for a model, written into DIR.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pytorchFiles, type SavedModel } from '../index.ts';
import { writeAtomic } from './common.ts';

/** Writes model.py, train.py, README.md and weights.safetensors into `dir` (made if missing); train.py's
 *  default --epochs is `epochs` when given. Returns the file names written. */
export function writePytorchDir(dir: string, model: SavedModel, epochs?: number): string[] {
  const files = pytorchFiles(model, epochs !== undefined ? { epochs } : {});
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeAtomic(join(dir, name), content);
  return Object.keys(files);
}
