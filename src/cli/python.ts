// Python 3 with PyTorch and numpy, which the PyTorch export's tests run (the export itself needs neither):
// PYTHON when set (only it), else python3 on PATH or Debian's /usr/bin/python3, the first that has both. Looked up
// without importing torch (importlib's find_spec), so the check costs milliseconds, not seconds.
import { spawnSync } from 'node:child_process';

const HAS_TORCH =
  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('torch') and u.find_spec('numpy') else 1)";

/** The first Python that has torch and numpy, or undefined. */
export function pythonWithTorch(): string | undefined {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
  return candidates.find((p) => spawnSync(p, ['-c', HAS_TORCH], { stdio: 'ignore' }).status === 0);
}

/** pythonWithTorch, or an error that says what to install. */
export function requirePythonWithTorch(): string {
  const p = pythonWithTorch();
  if (p === undefined)
    throw new Error(
      `no python3 with PyTorch found: install it (apt-get install -y python3-torch) or set PYTHON${process.env.PYTHON ? ` (now ${process.env.PYTHON}, which lacks torch or numpy)` : ''}`,
    );
  return p;
}
